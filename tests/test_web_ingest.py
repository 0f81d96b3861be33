"""Adding web pages and feeds to the knowledge base, by the API and the command line, against a
local test site: what is stored, that a rejected page changes nothing, re-adding, metadata in
`sources list --json` and `ask --json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli.context import AppContext
from assistant.documents.feeds import entry_urls, ingest_feed
from assistant.documents.web import RejectedPage, WebFetcher
from assistant.runtime import Runtime
from assistant.testing import FakeAnswerer
from tests.cli_helpers import run_main
from tests.web_site import (
    ARTICLE,
    ARTICLE_SENTENCES,
    BOILERPLATE,
    Site,
    rss,
    site_fixture,  # noqa: F401  (the `site` fixture)
)

META = {"published": "2024-05-12", "author": "Jane Doe", "site": "The Daily"}


@pytest.fixture
def app(fake_runtime: Runtime) -> AppContext:
    return AppContext(fake_runtime.settings, fake_runtime)


def run(app: AppContext, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_main(capsys, list(argv), obj=app)


def state(runtime: Runtime) -> tuple[set[str], list[tuple[str, str, int]], list[str]]:
    kb = runtime.knowledge
    return (
        kb.store.ids(),
        [(r.document_id, r.sha256, r.chunks) for r in kb.documents()],
        sorted(kb.bm25().chunk_ids),
    )


def test_a_page_is_stored_with_its_metadata_and_without_its_boilerplate(
    fake_runtime: Runtime, site: Site
) -> None:
    kb = fake_runtime.knowledge
    report = kb.ingest_urls([site.url("/article")], WebFetcher().fetch)
    [result] = report.results
    assert (result.name, result.status, result.title) == (
        site.url("/article"),
        "added",
        "Tokyo budget rises",
    )
    [record] = kb.documents()
    assert record.path == site.url("/article") and record.doc_type == "html"
    assert record.metadata == {"url": site.url("/article"), **META}
    chunks = kb.document_chunks(record.document_id)
    text = " ".join(c.text for c in chunks)
    assert all(sentence in text for sentence in ARTICLE_SENTENCES)
    assert not any(junk in text for junk in BOILERPLATE)
    assert all(c.document_metadata == record.metadata for c in chunks)
    assert kb.store.get([chunks[0].chunk_id])[0].document_metadata == record.metadata


def test_adding_again_changes_nothing_unless_the_text_changed(
    fake_runtime: Runtime, site: Site
) -> None:
    kb = fake_runtime.knowledge
    fetch = WebFetcher().fetch
    first = kb.ingest_urls([site.url("/changing")], fetch)
    assert first.count("added") == 1
    again = kb.ingest_urls([site.url("/changing")], fetch)
    assert (again.count("unchanged"), again.embedded) == (1, 0)
    site.changing[0] = ARTICLE.replace("sixty-five per cent", "seventy per cent")
    changed = kb.ingest_urls([site.url("/changing#section")], fetch)
    assert [r.status for r in changed.results] == ["updated"]
    [record] = kb.documents()  # the same document: its identity is its address
    assert record.document_id == first.results[0].document_id
    assert "seventy per cent" in " ".join(c.text for c in kb.document_chunks(record.document_id))


def test_a_rejected_page_changes_nothing_stored(fake_runtime: Runtime, site: Site) -> None:
    kb = fake_runtime.knowledge
    kb.ingest_urls([site.url("/article")], WebFetcher().fetch)
    before = state(fake_runtime)
    fetcher = WebFetcher(allow_private=True)
    bad = ["/missing", "/loop", "/image.png", "/links", "/big-streamed"]
    fetcher.limits = type(fetcher.limits)(max_bytes=50 * 1024)
    report = kb.ingest_urls([site.url(p) for p in bad], fetcher.fetch)
    assert [r.status for r in report.results] == ["rejected"] * len(bad)
    assert all(r.reason and "\n" not in r.reason for r in report.results)
    assert report.embedded == 0
    assert state(fake_runtime) == before


def test_a_feed_adds_only_the_entries_not_in_yet(fake_runtime: Runtime, site: Site) -> None:
    kb = fake_runtime.knowledge
    fetcher = WebFetcher()
    kb.ingest_urls([site.url("/article")], fetcher.fetch)
    report = ingest_feed(kb, fetcher, site.url("/feed.xml"))
    assert [(r.name, r.status) for r in report.results] == [
        (site.url("/article"), "unchanged"),
        (site.url("/statement"), "added"),
        (site.url("/third"), "added"),
    ]
    assert report.results[0].reason == "already added"
    assert len(kb.documents()) == 3
    again = ingest_feed(kb, fetcher, site.url("/feed.xml"))
    assert [r.status for r in again.results] == ["unchanged"] * 3 and again.embedded == 0


def test_feed_entries_resolve_relative_links_and_refuse_what_is_not_a_feed() -> None:
    feed = rss("").encode()  # links relative to the feed
    assert entry_urls(feed, "https://news.example/feed.xml") == [
        "https://news.example/article",
        "https://news.example/statement",
        "https://news.example/third",
    ]
    with pytest.raises(RejectedPage, match="is not an RSS or Atom feed"):
        entry_urls(b"<html><body>hello</body></html>", "https://news.example/")


def test_cli_ingest_url_prints_one_line_per_address(
    app: AppContext, site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(app, capsys, "ingest", site.url("/article"), site.url("/missing"))
    [record] = app.runtime.knowledge.documents()
    assert code == 1
    assert out == (  # rejections first, as for files
        f" rejected  {site.url('/missing')}: '{site.url('/missing')}' could not be fetched: "
        "404 Not Found\n"
        f"    added  {site.url('/article')} ({record.document_id}): 1 chunks\n"
        "1 added, 0 updated, 0 unchanged, 1 rejected (1 chunks embedded)\n"
    )
    assert "Traceback" not in err


def test_cli_mixes_paths_urls_file_and_feed(
    app: AppContext, site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = tmp_path / "note.md"
    note.write_text("---\ntitle: A note\ndate: 2024-06-01\n---\n\nThe note says one thing.\n")
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# pages to follow\n\n{site.url('/statement')}\n  # indented comment\n")
    code, out, _ = run(
        app, capsys, "ingest", str(note), site.url("/article"), "--urls", str(urls),
        "--feed", site.url("/feed.xml"),
    )  # fmt: skip
    assert code == 0, out
    lines = out.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == [
        "added", "added", "added", "unchanged", "unchanged", "added",
    ]  # fmt: skip
    assert lines[-1] == "4 added, 0 updated, 2 unchanged, 0 rejected (4 chunks embedded)"
    assert "--feed" in run(app, capsys, "ingest", "--help")[1]


def test_cli_with_nothing_to_add_is_a_usage_error(
    app: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(app, capsys, "ingest")
    assert code == 2 and "--urls FILE or --feed URL" in err


def test_cli_may_fetch_loopback_addresses_even_when_the_web_page_could_not(
    app: AppContext, site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    app.settings.host = "0.0.0.0"  # the web page would be guarded; the command line is not
    code, out, _ = run(app, capsys, "ingest", site.url("/article"))
    assert code == 0 and out.startswith("    added  ")


def test_sources_list_and_ask_json_carry_the_metadata(
    app: AppContext, site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    run(app, capsys, "ingest", site.url("/article"))
    [row] = json.loads(run(app, capsys, "sources", "list", "--json")[1])
    assert {k: row[k] for k in ("url", *META)} == {"url": site.url("/article"), **META}
    app.runtime.answerer_override = FakeAnswerer()
    app.runtime.__dict__.pop("answerer", None)
    app.runtime.__dict__.pop("chain", None)
    code, out, _ = run(app, capsys, "ask", "--json", "How much will the defence budget rise?")
    [citation] = json.loads(out)["citations"]
    assert code == 0
    assert citation["url"] == site.url("/article")
    assert (citation["published"], citation["author"], citation["site"]) == (
        "2024-05-12",
        "Jane Doe",
        "The Daily",
    )
