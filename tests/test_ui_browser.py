"""The web page in a real headless Chromium (Debian's package, driven by Playwright).

Asks, reads the cited answer, opens a source, follows up, rates an answer, uploads a document
and gets an answer citing it, removes it; checks that document markup stays text and that the
page never talks to anything but the server. Saves screenshots under test-artifacts/screenshots/
(set ASSISTANT_SCREENSHOTS=eval/screenshots to refresh the committed ones).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.ui_helpers import (
    NEW_DOC,
    NEW_DOC_NAME,
    NEW_DOC_QUESTION,
    ask,
    real_runtime_copy,
    serving,
)
from tests.web_site import Site, site_fixture  # noqa: F401  (the `site` fixture)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")  # Debian, Ubuntu, Google
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / os.environ.get("ASSISTANT_SCREENSHOTS", "test-artifacts/screenshots")
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
# answered from the test site's article: its quote says "two years ago"
WEB_QUESTION = "What target did the National Security Strategy adopted two years ago set?"
LOCAL_SCHEMES = ("data", "blob", "about")
TIMEOUT = 60_000  # ms; answers take a few seconds on two cores


def find_chromium() -> str | None:
    """The path of the first of CHROMIUM_NAMES found on PATH, or None when there is none."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path is not None:
            return path
    return None


CHROMIUM = find_chromium()
if CHROMIUM is None:
    pytest.skip(
        f"no Chromium on PATH (looked for {', '.join(CHROMIUM_NAMES)}): "
        "install Debian's chromium (.ci/run does)",
        allow_module_level=True,
    )


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in LOCAL_SCHEMES or parsed.hostname in ("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    real_kb_dir: Path,
    real_embedder: Any,
) -> Iterator[tuple[str, Any]]:
    runtime = real_runtime_copy(tmp_path_factory, real_kb_dir, real_embedder)
    with serving(runtime) as url:
        yield url, runtime


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-gpu",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


class Watched:
    """A page plus everything it requested and every dialog it tried to open."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def check_clean(self) -> None:
        assert self.dialogs == [], f"a script ran: {self.dialogs}"
        outside = [u for u in self.requests if not is_local(u)]
        assert outside == [], f"requests left loopback: {outside}"


@pytest.fixture
def page(browser: Any, server: tuple[str, Any]) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    context.set_default_timeout(TIMEOUT)
    watched = Watched(context.new_page())
    watched.page.goto(server[0])
    watched.page.wait_for_selector("#question textarea")
    yield watched
    watched.check_clean()
    context.close()


def test_cited_answer_with_a_checkable_source(page: Watched) -> None:
    p = page.page
    assert p.locator("#chatbot").get_by_text("How much will Japan's defence budget").count() == 1
    p.screenshot(path=str(SCREENSHOTS / "empty.png"))

    # an example question on the empty page asks itself when clicked
    p.locator("#chatbot").get_by_text("How much will Japan's defence budget").click()
    p.wait_for_selector("#chatbot .answer:not(.pending)")
    answer = p.locator("#chatbot .bot").last
    assert "65 per cent higher" in answer.locator(".answer-text").inner_text()
    assert answer.locator(".cite-ref").first.inner_text() == "[1]"
    card = answer.locator(".source-card").first
    assert "Japan's insulation strategy" in card.locator(".source-title").inner_text()
    assert "paragraph" in card.locator(".source-loc").inner_text()
    mark = card.locator("blockquote mark.quote")
    assert mark.inner_text().startswith("By 2027, Japan")
    assert mark.is_visible()

    surrounding = card.locator("details.surrounding")
    assert not surrounding.locator(".context").is_visible()
    surrounding.locator("summary").click()
    context = surrounding.locator(".context")
    assert context.is_visible()
    assert context.locator("mark.quote").inner_text() == mark.inner_text()
    assert len(context.inner_text()) > len(card.locator("blockquote").inner_text())

    several = ask(p, "What military exercises has Japan held with other countries?")
    cards = several.locator(".source-card")
    assert cards.count() >= 2
    assert several.locator(".cite-ref").count() >= 2
    for i in range(cards.count()):
        assert cards.nth(i).locator("blockquote mark.quote").count() >= 1
    # clicking a marker brings its source card forward
    last_ref = several.locator(".answer-text .cite-ref").last
    n = last_ref.inner_text().strip("[]")
    last_ref.click()
    flashed = several.locator(".source-card.flash")
    flashed.wait_for()
    assert flashed.locator(".source-n").inner_text() == n
    cards.first.locator("details.surrounding summary").click()
    several.evaluate("e => e.scrollIntoView({block: 'start'})")
    p.screenshot(path=str(SCREENSHOTS / "sources.png"))


def test_follow_up_declined_feedback_and_new_conversation(
    page: Watched, server: tuple[str, Any]
) -> None:
    p = page.page
    ask(p, "What is the OSA framework?")
    follow = ask(p, "What will Japan provide under it?")
    assert "equipment" in follow.inner_text()

    declined = ask(p, "What is the capital of Peru?")
    assert declined.locator(".declined").is_visible()
    assert declined.locator(".source-card").count() == 0
    assert "The sources don't say" in declined.inner_text()
    p.screenshot(path=str(SCREENSHOTS / "chat.png"))

    # thumbs down on the follow-up answer, with a comment
    rows = p.locator("#chatbot .message-buttons-left, #chatbot .message-buttons")
    assert rows.count() >= 2
    follow_row = p.locator("#chatbot button[aria-label='Dislike']").nth(1)
    follow_row.click()
    p.locator("#feedback-comment textarea").wait_for(state="visible")
    p.locator("#feedback-comment textarea").fill("Right answer, but say what OSA stands for.")
    p.locator("#feedback-send").click()
    p.locator("#feedback-comment textarea").wait_for(state="hidden")
    log = server[1].settings.data_dir / "feedback.jsonl"
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    rated = [e for e in lines if e["question"] == "What will Japan provide under it?"]
    assert [e["rating"] for e in rated] == ["down", "down"]
    assert rated[-1]["comment"] == "Right answer, but say what OSA stands for."
    assert "equipment" in rated[-1]["answer"]
    assert (
        rated[-1]["citations"][0]["title"]
        == "Japan's insulation strategy against a second Trump term"
    )

    p.locator("#new-conversation").click()
    p.wait_for_function("document.querySelectorAll('#chatbot .bot').length === 0")
    ask(p, "What is the OSA framework?")
    assert p.locator("#chatbot .bot").count() == 1 and p.locator("#chatbot .user").count() == 1


def test_thumbs_down_export_review_and_eval(
    page: Watched,
    server: tuple[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Feedback becomes evaluation: rate, download the draft, review it, run it with a gate."""
    from assistant.cli.context import AppContext
    from tests.cli_helpers import run_main

    p = page.page
    ask(p, "Which country does the article call the closest US ally in Asia?")
    p.locator("#chatbot button[aria-label='Dislike']").last.click()
    p.locator("#feedback-comment textarea").wait_for(state="visible")
    p.locator("#feedback-comment textarea").fill("Say it in one word: Japan.")
    p.locator("#feedback-send").click()
    p.locator("#feedback-comment textarea").wait_for(state="hidden")
    record = [
        json.loads(line)
        for line in (server[1].settings.data_dir / "feedback.jsonl").read_text().splitlines()
    ][-1]
    assert record["history"] == [] and record["retrieved"]
    assert {"chunk_id", "document_id", "source", "text"} <= set(record["retrieved"][0])

    p.get_by_role("tab", name="Knowledge base").click()
    from playwright.sync_api import expect

    latest = p.locator("#feedback-latest")
    expect(latest).to_contain_text("closest US ally in Asia")  # refreshed when the tab opens
    assert "Say it in one word: Japan." in latest.inner_text()
    p.locator("#feedback-panel").screenshot(path=str(SCREENSHOTS / "feedback.png"))
    with p.expect_download() as download:
        p.locator("#feedback-download").click()
    draft = tmp_path / "draft.yaml"
    download.value.save_as(draft)
    text = draft.read_text(encoding="utf-8")
    assert "# Reader's comment: Say it in one word: Japan." in text

    # The reviewer keeps only this item, says what a right answer holds, and keeps the cited
    # passages (deleting the retrieved-only ones).
    items = text.split("\n# From feedback ")
    mine = next(i for i in items if "closest US ally in Asia?" in i)
    kept: list[str] = []
    skip = False
    for line in mine.splitlines()[1:]:
        if skip:
            skip = False
            continue
        if "# retrieved, not cited" in line:
            skip = True
            continue
        kept.append(line)
        if line.startswith("  question: "):
            kept.append('  must_include: [["Japan"]]')
    draft.write_text("\n".join(kept) + "\n", encoding="utf-8")

    monkeypatch.setattr(AppContext, "runtime", property(lambda self: server[1]))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(server[1].settings.data_dir))
    out = tmp_path / "out"
    argv = ["eval", str(draft), "--out", str(out), "--json", "--min", "must_include=1"]
    code, stdout, err = run_main(capsys, [*argv, "--min", "hit_at_k=1"])
    assert code == 0, err
    assert json.loads(stdout)["metrics"]["must_include"] == 1.0
    code, _, err = run_main(capsys, [*argv, "--min", "latency_p95_ms=1"])  # 1 ms: fails
    assert code == 1 and "gate failed" in err


def test_conversations_are_private(page: Watched, browser: Any, server: tuple[str, Any]) -> None:
    ask(page.page, "Which multilateral groupings is Japan part of?")
    other = browser.new_context()
    try:
        second = other.new_page()
        second.goto(server[0])
        second.wait_for_selector("#question textarea")
        assert second.locator("#chatbot .bot, #chatbot .user").count() == 0
        second.wait_for_timeout(1000)  # the page's load event fills the side list
        assert second.locator("#conversation-list label").count() == 0  # not the other's
    finally:
        other.close()


def test_upload_answer_from_it_and_remove_it(page: Watched, tmp_path: Path) -> None:
    p = page.page
    upload = tmp_path / NEW_DOC_NAME
    upload.write_bytes(NEW_DOC)

    p.get_by_role("tab", name="Knowledge base").click()
    table = p.locator("#documents table.kb-table")
    table.wait_for()
    assert table.locator("tbody tr").count() == 1
    fake_pdf = tmp_path / "report.pdf"
    fake_pdf.write_bytes(b"plain text wearing a .pdf name")
    p.locator("#upload-files input[type=file]").set_input_files([str(upload), str(fake_pdf)])
    p.locator("#upload-button").click()
    added = p.locator("#upload-result .ingest-row.added")
    added.wait_for()
    assert NEW_DOC_NAME in added.inner_text()
    rejected = p.locator("#upload-result .ingest-row.rejected")
    assert "report.pdf" in rejected.inner_text() and "not a valid PDF" in rejected.inner_text()
    assert table.locator("tbody tr").count() == 2
    # the title's <script> tag is shown as text in the table
    assert "The Kestrel Accord <script>alert('title')</script>" in table.inner_text()
    p.screenshot(path=str(SCREENSHOTS / "knowledge.png"), full_page=True)

    p.get_by_role("tab", name="Chat").click()
    answer = ask(p, NEW_DOC_QUESTION)
    assert "Nagoya" in answer.locator(".answer-text").inner_text()
    card = answer.locator(".source-card").first
    assert "Kestrel Accord" in card.locator(".source-title").inner_text()
    card.locator("details.surrounding summary").click()
    shown = card.inner_text()
    assert "<script>alert(1)</script>" in shown and 'onerror="alert(2)"' in shown
    assert "**Not bold.**" in shown
    assert p.locator("#chatbot script, #chatbot img[src='x']").count() == 0

    p.get_by_role("tab", name="Knowledge base").click()
    p.locator("#remove-choice input").click()
    p.get_by_role("option", name="The Kestrel Accord", exact=False).click()
    p.locator("#remove-button").click()
    confirm = p.locator(".confirm-text")
    confirm.wait_for(state="visible")
    assert "The Kestrel Accord" in confirm.inner_text()
    p.locator("#confirm-remove").click()
    p.locator("#remove-result .notice").wait_for()
    assert "Removed" in p.locator("#remove-result").inner_text()
    p.wait_for_function(
        "document.querySelectorAll('#documents table.kb-table tbody tr').length === 1"
    )

    p.get_by_role("tab", name="Chat").click()
    after = ask(p, NEW_DOC_QUESTION)
    assert "Kestrel" not in after.locator(".source-title").all_inner_texts().__str__()


class ScriptedLLMAnswerer:
    """Answers like a verified LLM answer gone partly wrong: one supported sentence, one
    unsupported, one uncited, and the fallback flag; streams the text in three pieces."""

    name = "scripted"

    def answer(self, question: str, history: list[Any], hits: list[Any]) -> Any:
        from assistant.types import Answer, AnswerSentence, Citation

        top = hits[0].chunk
        quote = "The alliance was upgraded in April 2024."
        start = top.text.find(quote)
        sentences = [
            AnswerSentence(quote, (1,), "supported"),
            AnswerSentence("It was signed on the Moon.", (1,), "unsupported"),
            AnswerSentence("Everyone agreed <b>at once</b>.", (), "uncited"),
        ]
        return Answer(
            text=" ".join(s.text + (" [1]" if s.citations else "") for s in sentences),
            abstained=False,
            citations=[
                Citation(
                    1,
                    top.chunk_id,
                    top.document_id,
                    top.title,
                    top.location,
                    quote,
                    top.text,
                    ((start, start + len(quote)),),
                )
            ],
            sentences=sentences,
            backend="scripted",
            fallback=True,
        )

    def stream(self, question: str, history: list[Any], hits: list[Any]) -> Iterator[Any]:
        final = self.answer(question, history, hits)
        yield from ("The alliance ", "was upgraded ", "in April 2024.")
        yield final


@pytest.fixture(scope="module")
def scripted_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from assistant.config import Settings
    from assistant.runtime import Runtime
    from assistant.testing import FakeEmbedder, InMemoryStore

    runtime = Runtime(
        Settings(data_dir=tmp_path_factory.mktemp("scripted-ui")),
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
        answerer_override=ScriptedLLMAnswerer(),
    )
    runtime.knowledge.ingest_bytes(
        [("alliance.md", b"# Alliance\n\nThe alliance was upgraded in April 2024. More text.")]
    )
    with serving(runtime) as url:
        yield url


def test_unverified_sentences_fallback_note_and_a_hostile_question(
    browser: Any, scripted_url: str
) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    context.set_default_timeout(TIMEOUT)
    watched = Watched(context.new_page())
    p = watched.page
    try:
        p.goto(scripted_url)
        p.wait_for_selector("#question textarea")
        hostile = '<img src=x onerror="alert(3)"> When was the alliance upgraded?'
        answer = ask(p, hostile)
        assert p.locator("#chatbot .user").last.inner_text().strip() == hostile
        supported = answer.locator(".sentence.supported")
        assert supported.inner_text().startswith("The alliance was upgraded in April 2024.")
        unsupported = answer.locator(".sentence.unsupported")
        assert unsupported.locator("s").inner_text() == "It was signed on the Moon."
        assert "not supported" in unsupported.locator(".badge").inner_text()
        uncited = answer.locator(".sentence.uncited")
        assert uncited.locator("s").inner_text() == "Everyone agreed <b>at once</b>."
        assert "failed verification" in answer.locator(".note.fallback").inner_text()
        assert p.locator("#chatbot img[src='x'], #chatbot b").count() == 0
        p.screenshot(path=str(SCREENSHOTS / "unverified.png"))
        watched.check_clean()
    finally:
        context.close()


def test_add_a_page_by_address_and_see_its_date_and_link_on_the_source_card(
    page: Watched, server: tuple[str, Any], site: Site
) -> None:
    p = page.page
    address = site.url("/article")
    p.get_by_role("tab", name="Knowledge base").click()
    p.locator("#documents table.kb-table").wait_for()
    p.locator("#page-url textarea").fill(address)
    p.locator("#page-button").click()
    added = p.locator("#page-result .ingest-row.added")
    added.wait_for()
    assert address in added.inner_text()
    row = p.locator("#documents table.kb-table tbody tr", has_text="Tokyo budget rises")
    row.wait_for()
    assert "The Daily · Jane Doe · 12 May 2024" in row.locator(".doc-meta").inner_text()
    assert p.locator("#page-url textarea").input_value() == ""

    p.get_by_role("tab", name="Chat").click()
    answer = ask(p, WEB_QUESTION)
    card = answer.locator(".source-card", has_text="Tokyo budget rises").first
    card.wait_for()
    assert card.locator(".source-site").inner_text() == "The Daily"
    assert card.locator(".source-date").inner_text() == "12 May 2024"
    assert "Tokyo budget rises, The Daily, 12 May 2024, paragraph" in card.inner_text()
    link = card.locator("a.source-url")
    assert link.get_attribute("href") == address
    assert link.get_attribute("target") == "_blank"
    assert set((link.get_attribute("rel") or "").split()) >= {"noopener", "noreferrer"}
    assert card.locator(".date-note").inner_text() == "source dated 12 May 2024"
    assert "two years ago" in card.locator("blockquote mark.quote").inner_text()
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(SCREENSHOTS / "web-source.png"))

    # reload the page, reopen the earlier conversation, export it and check the Markdown
    p.reload()
    p.wait_for_selector("#question textarea")
    p.locator("#conversation-list label", has_text=WEB_QUESTION).click()
    reopened = p.locator("#chatbot .source-card", has_text="Tokyo budget rises").first
    reopened.wait_for()
    assert reopened.locator(".date-note").inner_text() == "source dated 12 May 2024"
    with p.expect_download() as download:
        p.locator("#export-conversation").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith(f"# {WEB_QUESTION}\n") and f"## 1. {WEB_QUESTION}\n" in text
    assert "Tokyo budget rises, The Daily, 12 May 2024 — paragraph" in text
    assert "two years ago" in text and "   > (source dated 12 May 2024)" in text
    assert f"by Jane Doe · <{address}>" in text

    runtime = server[1]
    [record] = [r for r in runtime.knowledge.documents() if r.path == address]
    runtime.knowledge.remove(record.document_id)  # the module's other tests see the shipped base
