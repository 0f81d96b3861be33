"""Fetching pages by address from a local test site: what is kept of a page, what is not, its
metadata, one-line rejections, and the private-network guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.documents.private_network import (
    RefusedAddress,
    refused_reason,
    resolve_checked,
)
from assistant.documents.web import FetchLimits, RejectedPage, WebFetcher, normalise_url
from assistant.loopback import is_loopback_host
from tests.web_site import (
    ARTICLE_SENTENCES,
    BOILERPLATE,
    STATEMENT_SENTENCES,
    Site,
    site_fixture,  # noqa: F401  (the `site` fixture)
)


def rejection(fetcher: WebFetcher, url: str) -> str:
    with pytest.raises(RejectedPage) as info:
        fetcher.fetch(url)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_article_keeps_the_main_text_and_drops_the_page_around_it(site: Site) -> None:
    doc = WebFetcher().fetch(site.url("/article"))
    for sentence in ARTICLE_SENTENCES:
        assert sentence in doc.text
    for junk in (*BOILERPLATE, "Home", "Politics", "Comments", "Osaka trade fair"):
        assert junk not in doc.text, junk
    assert doc.title == "Tokyo budget rises"
    assert doc.doc_type == "html"
    assert doc.source == site.url("/article")
    assert doc.metadata == {
        "published": "2024-05-12",
        "author": "Jane Doe",
        "site": "The Daily",
        "url": site.url("/article"),
    }
    # one paragraph per block, with exact offsets
    assert [doc.text[p.start : p.end] for p in doc.paragraphs][-3:] == list(ARTICLE_SENTENCES)


def test_date_only_in_json_ld_is_found_and_the_prose_date_is_not_used(site: Site) -> None:
    doc = WebFetcher().fetch(site.url("/statement"))
    assert [doc.text[p.start : p.end] for p in doc.paragraphs] == list(STATEMENT_SENTENCES)
    assert doc.title == "Ministry statement on the alliance"
    assert doc.metadata["published"] == "2023-11-02"  # not 2021-03-03, which the text mentions
    assert doc.metadata["author"] == "Taro Yamada"
    assert doc.metadata["site"] == "Ministry Press"


def test_a_pdf_address_goes_through_the_pdf_loader(site: Site) -> None:
    doc = WebFetcher().fetch(site.url("/report.pdf"))
    assert doc.doc_type == "pdf"
    assert doc.title == "Alliance Report"
    assert doc.paragraphs[0].page == 1
    assert doc.metadata["author"] == "Policy Unit"
    assert doc.metadata["url"] == site.url("/report.pdf")


def test_each_failure_is_one_line_with_its_reason(site: Site) -> None:
    fetcher = WebFetcher(limits=FetchLimits(max_bytes=50 * 1024, read_timeout_s=0.5))
    cases = {
        "/missing": "could not be fetched: 404 Not Found",
        "/loop": "redirects in a loop",
        "/image.png": "is not HTML or PDF (image/png)",
        "/big": "is 58.7 KB, over the 50 KB limit",
        "/big-streamed": "is over the 50 KB limit (stopped downloading)",
        "/links": "has no main text",
        "/slow": "timed out (no answer within 0.5 s)",
    }
    for path, reason in cases.items():
        message = rejection(fetcher, site.url(path))
        assert message.startswith(f"'{site.url(path)}' "), message
        assert reason in message, message


def test_only_http_and_https_addresses_are_fetched() -> None:
    for url in ("ftp://example.org/a", "file:///etc/passwd", "javascript:alert(1)"):
        assert "is not an http or https address" in rejection(WebFetcher(), url)
    for url in ("http://", "http://exa mple.org/", "http://example.org:port/"):
        assert "is not a valid web address" in rejection(WebFetcher(), url)


def test_the_identity_of_an_address_drops_the_fragment_and_case_of_the_host() -> None:
    assert (
        normalise_url(" HTTPS://Example.ORG/News/A?id=3#top ") == "https://example.org/News/A?id=3"
    )
    assert normalise_url("http://example.org") == "http://example.org/"


def test_the_guard_refuses_loopback_when_asked_to(site: Site) -> None:
    message = rejection(WebFetcher(allow_private=False), site.url("/article"))
    assert "127.0.0.1 is a loopback address" in message
    assert "ASSISTANT_ALLOW_PRIVATE_URLS=1" in message
    assert WebFetcher(allow_private=True).fetch(site.url("/article")).title == "Tokyo budget rises"


def test_the_guard_checks_every_address_a_name_resolves_to() -> None:
    with pytest.raises(RefusedAddress, match=r"localhost \(127\.0\.0\.1\) is a loopback address"):
        resolve_checked("localhost", 80)
    assert refused_reason("a.example", ["93.184.216.34", "10.0.0.7"]) == (
        "a.example (10.0.0.7) is a private address"
    )
    expected = {
        "10.1.2.3": "a private address",
        "192.168.1.1": "a private address",
        "172.16.0.1": "a private address",
        "169.254.169.254": "a link-local address",
        "fe80::1": "a link-local address",
        "::1": "a loopback address",
        "::ffff:127.0.0.1": "a loopback address",
        "0.0.0.0": "an unspecified address",
        "100.64.0.1": "a non-public address",
    }
    for address, kind in expected.items():
        assert refused_reason(address, [address]) == f"{address} is {kind}"
    assert refused_reason("public", ["93.184.216.34", "2001:4860:4860::8888"]) is None


def test_who_is_guarded(tmp_path: Path) -> None:
    def guarded(from_web_page: bool, **settings: object) -> bool:
        config = Settings(data_dir=tmp_path, **settings)  # type: ignore[arg-type]
        return not WebFetcher.from_settings(config, from_web_page=from_web_page).allow_private

    assert guarded(True, host="0.0.0.0")
    assert guarded(True, host="192.168.1.20")
    assert not guarded(True, host="0.0.0.0", allow_private_urls=True)
    assert not guarded(True, host="127.0.0.1")  # a page only this machine can open
    assert not guarded(False, host="0.0.0.0")  # the command line may fetch its own intranet
    assert is_loopback_host("[::1]") and is_loopback_host("localhost")
    assert not is_loopback_host("example.org")


def test_the_setting_is_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_ALLOW_PRIVATE_URLS", "1")
    assert Settings(data_dir=tmp_path).allow_private_urls is True
