"""A small web site for the tests, served by http.server on 127.0.0.1 (a random port) in a thread.

Its pages are written for the tests: an article wrapped in navigation, a cookie banner, comments
and related links (its date in a meta tag); a statement whose date is only in JSON-LD (and whose
prose mentions another date); a page of links only; a PDF; a 404; a redirect loop; a binary; a
page over the size limit, with and without a declared length; a slow page; a page whose text the
test changes; and an RSS feed of three entries.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate

ARTICLE_SENTENCES = (
    "Japan's defence budget will rise by sixty-five per cent by 2027, the government said on "
    "Tuesday in a statement to parliament.",
    "The increase follows the National Security Strategy adopted two years ago, which set a "
    "target of two per cent of GDP for security-related spending.",
    "Officials said the money would go to missiles, ships and the fortification of remote "
    "islands in the south-west of the country.",
)
BOILERPLATE = (
    "We use cookies to improve your experience",
    "Accept all cookies",
    "Subscribe to our newsletter",
    "This is outrageous spending on weapons",
    "Related articles",
    "Trump visits Tokyo again",
    "Copyright The Daily",
)

ARTICLE = f"""<!doctype html><html><head><title>Tokyo budget rises | The Daily</title>
<meta charset="utf-8">
<meta name="author" content="Jane Doe">
<meta property="og:site_name" content="The Daily">
<meta property="og:title" content="Tokyo budget rises">
<meta property="article:published_time" content="2024-05-12T08:00:00+09:00">
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/politics">Politics</a></li></ul></nav></header>
<div id="cookie-banner" class="cookie-consent"><p>{BOILERPLATE[0]}. <button>{BOILERPLATE[1]}</button></p></div>
<main><article><h1>Tokyo budget rises</h1>
<p class="byline">By Jane Doe</p>
<p>{ARTICLE_SENTENCES[0]}</p>
<p>{ARTICLE_SENTENCES[1]}</p>
<p>{ARTICLE_SENTENCES[2]}</p>
</article>
<aside class="newsletter"><p>{BOILERPLATE[2]}!</p></aside>
<section id="comments" class="comments"><h3>Comments</h3>
<div class="comment"><p>User123: {BOILERPLATE[3]}!</p></div></section>
<aside class="related"><h3>{BOILERPLATE[4]}</h3><ul>
<li><a href="/a">{BOILERPLATE[5]}</a></li><li><a href="/b">Osaka trade fair opens</a></li></ul></aside>
</main>
<footer><p>{BOILERPLATE[6]} 2024. All rights reserved.</p></footer>
</body></html>"""

STATEMENT_SENTENCES = (
    "The ministry said the alliance would be deepened through new command structures and joint "
    "exercises in the coming year.",
    "It recalled that on 3 March 2021 the two governments first agreed to review their roles.",
)
STATEMENT = f"""<!doctype html><html><head><title>Statement</title>
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "Ministry statement on the alliance", "datePublished": "2023-11-02T09:00:00+09:00",
"author": {{"@type": "Person", "name": "Taro Yamada"}},
"publisher": {{"@type": "Organization", "name": "Ministry Press"}}}}</script>
</head><body><main>
<p>{STATEMENT_SENTENCES[0]}</p>
<p>{STATEMENT_SENTENCES[1]}</p>
</main></body></html>"""

LINKS_ONLY = """<html><head><title>Index</title></head><body>
<nav><a href="/">Home</a> <a href="/x">World</a></nav><div class="cookie">We use cookies</div>
</body></html>"""

THIRD = """<html><head><title>Third entry</title></head><body><article>
<p>The third entry of the feed reports that the Quad leaders will meet again in Tokyo next spring.</p>
</article></body></html>"""


def rss(base: str) -> str:
    items = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link></item>"
        for title, path in (
            ("Tokyo budget rises", "/article"),
            ("Ministry statement", "/statement"),
            ("Third entry", "/third"),
        )
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>The Daily</title>'
        f"<link>{base}/</link><description>News</description>{items}</channel></rss>"
    )


def pdf_report() -> bytes:
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    story = [
        Paragraph("Alliance Report", styles["Title"]),
        Paragraph(
            "Japan has spent the past decade strengthening its alliance with the United States.",
            styles["Normal"],
        ),
    ]
    SimpleDocTemplate(buffer, pagesize=A4, title="Alliance Report", author="Policy Unit").build(
        story
    )
    return buffer.getvalue()


@dataclass
class Site:
    """The running site: its base address, the size of its big pages, and a page to change."""

    base: str
    big_bytes: int
    changing: list[str] = field(default_factory=lambda: [ARTICLE])

    def url(self, path: str) -> str:
        return self.base + path


def _handler(site: Site) -> type[http.server.BaseHTTPRequestHandler]:
    pdf = pdf_report()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _send(self, status: int, kind: str, body: bytes, *, length: bool = True) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            if length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # the client may stop reading: over its size limit, or at its time-out
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def do_GET(self) -> None:
            html = "text/html; charset=utf-8"
            pages = {
                "/article": ARTICLE,
                "/statement": STATEMENT,
                "/links": LINKS_ONLY,
                "/third": THIRD,
                "/changing": site.changing[0],
            }
            if self.path in pages:
                self._send(200, html, pages[self.path].encode())
            elif self.path == "/feed.xml":
                self._send(200, "application/rss+xml", rss(site.base).encode())
            elif self.path == "/report.pdf":
                self._send(200, "application/pdf", pdf)
            elif self.path in ("/loop", "/loop2"):
                self.send_response(302)
                self.send_header("Location", "/loop2" if self.path == "/loop" else "/loop")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == "/image.png":
                self._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
            elif self.path in ("/big", "/big-streamed"):
                body = ("<p>" + "word " * (site.big_bytes // 5) + "</p>").encode()
                self._send(200, html, body, length=self.path == "/big")
                self.close_connection = True
            elif self.path == "/slow":
                time.sleep(2.0)
                self._send(200, html, ARTICLE.encode())
            else:
                self._send(404, html, b"<h1>Not found</h1>")

    return Handler


@pytest.fixture(name="site")
def site_fixture() -> Iterator[Site]:
    """The site on a random loopback port, for one test."""
    state = Site(base="", big_bytes=60_000)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
