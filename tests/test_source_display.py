"""What a reader sees of a cited document's metadata: the relative-time pattern, the words
("Title, Site, 12 May 2024"), the source card's HTML (escaped, links only for http(s)), the
Knowledge base tab's URL box, and the terminal's `sources list` and `ask` lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.cli.context import AppContext
from assistant.documents.web import WebFetcher
from assistant.relative_time import mentions_relative_time, relative_times
from assistant.runtime import Runtime
from assistant.source_label import (
    DATE_NOT_STATED,
    citation_lines,
    date_note,
    display_date,
    heading_parts,
)
from assistant.types import Citation, DocumentRecord
from assistant.ui import render
from assistant.ui.handlers import KnowledgeHandler
from assistant.ui.uploads import UploadInbox
from tests.cli_helpers import run_main
from tests.web_site import Site, site_fixture  # noqa: F401  (the `site` fixture)

META = {
    "url": "https://daily.example/tokyo-budget",
    "published": "2024-05-12",
    "author": "Jane Doe",
    "site": "The Daily",
}
PASSAGE = "The budget rose last year. Ships were ordered in 2023."


def card(quote: str = "The budget rose last year.", **metadata: str) -> str:
    at = PASSAGE.find(quote)
    citation = Citation(
        n=1,
        chunk_id="c1",
        document_id="doc-1",
        title="Tokyo budget rises",
        location="paragraph 4",
        quote=quote,
        passage=PASSAGE,
        highlights=((at, at + len(quote)),),
        document_metadata=dict(metadata),
    )
    return render.source_card(citation)


def text_of(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", markup)


# ---- relative times ----


@pytest.mark.parametrize(
    "sentence",
    [
        "The budget rose last year.",
        "In April last year the cabinet met.",
        "Talks resume this month.",
        "Yesterday the minister resigned.",
        "An election is due next year.",
        "The strategy adopted two years ago set a target.",
        "Exercises are planned in the coming year.",
        "It was signed a few weeks ago.",
        "Parliament meets next Tuesday.",
        "Prices fell over the past decade.",
    ],
)
def test_relative_times_are_recognised(sentence: str) -> None:
    assert mentions_relative_time(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The budget rose in 2023.",
        "On 3 March 2021 the two governments agreed.",
        "The yearly report lists twelve ships.",
        "It may last for years.",
        "This May be the end.",  # "this may": the verb, not the month
        "Days of talks ended.",
    ],
)
def test_absolute_dates_and_plain_words_are_not_relative_times(sentence: str) -> None:
    assert not mentions_relative_time(sentence)


def test_relative_times_are_returned_as_written() -> None:
    assert relative_times("In April Last Year, and two years ago.") == [
        "Last Year",
        "two years ago",
    ]


# ---- the words ----


def test_dates_are_written_out_and_only_known_parts_are_named() -> None:
    assert display_date("2024-05-02") == "2 May 2024"
    assert display_date("not a date") is None and display_date(None) is None
    assert heading_parts("T", META) == ["T", "The Daily", "12 May 2024"]
    assert heading_parts("T", {"published": "2024-05-12"}) == ["T", "12 May 2024"]
    assert heading_parts("T", {}) == ["T"]


def test_a_date_note_only_for_a_quote_with_a_relative_time() -> None:
    assert date_note("It rose last year.", META) == "source dated 12 May 2024"
    assert date_note("It rose last year.", {"site": "The Daily"}) == DATE_NOT_STATED
    assert date_note("It rose in 2023.", META) is None


def test_citation_lines_without_metadata_are_the_old_two_lines() -> None:
    assert citation_lines(1, "T", "paragraph 2", "doc-1", "It rose.", {}) == [
        "[1] T — paragraph 2 (doc-1)",
        "    “It rose.”",
    ]
    assert citation_lines(1, "T", "paragraph 2", "doc-1", "It rose last year.", META) == [
        "[1] T, The Daily, 12 May 2024 — paragraph 2 (doc-1)",
        "    “It rose last year.”",
        "    (source dated 12 May 2024)",
        f"    by Jane Doe · {META['url']}",
    ]


# ---- the source card ----


def test_a_card_names_title_site_date_and_location_and_links_the_address() -> None:
    html = card(**META)
    assert "Tokyo budget rises, The Daily, 12 May 2024, paragraph 4" in text_of(html)
    link = re.search(r"<a [^>]*>", html)
    assert link is not None
    assert f'href="{META["url"]}"' in link.group(0)
    assert 'target="_blank"' in link.group(0)
    assert 'rel="noopener noreferrer"' in link.group(0)
    assert "by Jane Doe" in text_of(html)


def test_a_card_without_metadata_names_only_title_and_location() -> None:
    html = card("Ships were ordered in 2023.")
    assert "Tokyo budget rises, paragraph 4" in text_of(html)
    assert "<a " not in html and "source-byline" not in html and "date-note" not in html


def test_a_javascript_address_is_never_a_link() -> None:
    html = card(url="javascript:alert(1)")
    assert "<a " not in html and "href" not in html
    assert "javascript:alert(1)" in text_of(html)  # shown as text


def test_hostile_metadata_stays_text() -> None:
    html = card(site="<script>x</script>", author='"><img src=x>', url='https://e.x/"onmouseover=')
    assert "<script>" not in html and "<img" not in html and '"onmouseover' not in html


def test_a_relative_time_in_the_quote_gets_the_source_date_and_the_quote_is_unchanged() -> None:
    html = card(**META)
    assert '<p class="date-note dated">source dated 12 May 2024</p>' in html
    assert '<mark class="quote">The budget rose last year.</mark>' in html


def test_a_relative_time_in_an_undated_source_says_the_date_is_not_stated() -> None:
    html = card(site="The Daily")
    assert "the source&#x27;s date is not stated" in html
    assert "source dated" not in html


def test_no_date_note_without_a_relative_time() -> None:
    assert "date-note" not in card("Ships were ordered in 2023.", **META)


def test_the_documents_table_shows_site_author_date_and_link() -> None:
    record = DocumentRecord("d1", "Tokyo budget rises", META["url"], "html", "s", 2, "", "", META)
    html = render.documents_html([record], 2)
    assert "The Daily · Jane Doe · 12 May 2024" in text_of(html)
    assert 'target="_blank" rel="noopener noreferrer"' in html
    plain = DocumentRecord("d2", "Notes", "notes.md", "md", "s", 1, "", "")
    assert "doc-meta" not in render.documents_html([plain], 1)


# ---- the URL box's handler and the terminal ----


def handler(runtime: Runtime, tmp_path: Path, fetch: object = None) -> KnowledgeHandler:
    inbox = UploadInbox(tmp_path / "inbox", max_file=10_000, max_total=30_000)
    return KnowledgeHandler(runtime.knowledge, inbox, fetch)  # type: ignore[arg-type]


def test_add_page_adds_it_and_lists_it_with_its_metadata(
    fake_runtime: Runtime, tmp_path: Path, site: Site
) -> None:
    kb = handler(fake_runtime, tmp_path, WebFetcher().fetch)
    result, table, choices = kb.add_pages(f"  {site.url('/article')}\n")
    assert "added" in result and site.url("/article") in result
    assert "The Daily · Jane Doe · 12 May 2024" in text_of(table)
    assert [label for label, _ in choices] == [f"Tokyo budget rises ({choices[0][1]})"]
    again, _, _ = kb.add_pages(site.url("/article"))
    assert "unchanged" in again


def test_add_page_rejects_in_one_line_and_changes_nothing(
    fake_runtime: Runtime, tmp_path: Path, site: Site
) -> None:
    kb = handler(fake_runtime, tmp_path, WebFetcher().fetch)
    for address in (site.url("/missing"), site.url("/image.png"), "javascript:alert(1)"):
        result, _, choices = kb.add_pages(address)
        assert "rejected" in result and choices == []
    assert fake_runtime.knowledge.documents() == []
    empty, _, _ = kb.add_pages("   ")
    assert "Paste a web address first." in empty


def test_the_web_page_of_a_public_server_may_not_fetch_loopback(
    fake_runtime: Runtime, tmp_path: Path, site: Site
) -> None:
    settings = fake_runtime.settings.model_copy(update={"host": "0.0.0.0"})
    fetch = WebFetcher.from_settings(settings, from_web_page=True).fetch
    result, _, choices = handler(fake_runtime, tmp_path, fetch).add_pages(site.url("/article"))
    assert "rejected" in result and choices == []


def test_sources_list_and_ask_show_site_date_and_address(
    fake_runtime: Runtime, site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    app = AppContext(fake_runtime.settings, fake_runtime)
    run_main(capsys, ["ingest", site.url("/article")], obj=app)
    code, out, _ = run_main(capsys, ["sources", "list"], obj=app)
    header = out.splitlines()[0].split()
    assert code == 0 and header[-3:] == ["site", "published", "url"]
    assert "The Daily" in out and "2024-05-12" in out and site.url("/article") in out
    code, out, _ = run_main(capsys, ["ask", "How much will the defence budget rise?"], obj=app)
    assert code == 0
    assert re.search(r"\[1\] Tokyo budget rises, The Daily, 12 May 2024 — paragraph", out)
    assert f"by Jane Doe · {site.url('/article')}" in out
