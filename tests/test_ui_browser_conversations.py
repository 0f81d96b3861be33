"""Kept conversations in a real headless Chromium, over fakes: the side list survives a reload,
an earlier conversation reopens and continues, exports as Markdown with its numbered sources and
quotes, and is deleted after a confirmation; lists are per browser, or per login when one is set."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from assistant.chats.markdown import conversation_markdown
from assistant.chats.store import Conversation, ConversationStore, user_owner
from assistant.config import Settings
from assistant.runtime import Runtime
from assistant.testing import FakeAnswerer, FakeEmbedder, InMemoryStore
from tests.ui_helpers import ask, serving

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = next(
    (p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))), None
)
if CHROMIUM is None:
    pytest.skip("no Chromium on PATH (.ci/run installs Debian's)", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / os.environ.get("ASSISTANT_SCREENSHOTS", "test-artifacts/screenshots")
DOCS = [
    (
        "fleet.md",
        b"---\ntitle: Fleet notes\n---\n\nThe fleet has twelve ships.\n\n"
        b"It was founded in 1954 in Kure.\n",
    ),
    ("budget.md", b"---\ntitle: Budget notes\n---\n\nThe budget grew last year.\n"),
]
ITEMS = "#conversation-list label"


def runtime_at(data_dir: Path, **settings: Any) -> Runtime:
    runtime = Runtime(
        Settings(data_dir=data_dir, **settings),
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
        answerer_override=FakeAnswerer(),
    )
    runtime.knowledge.ingest_bytes(DOCS)
    return runtime


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def open_page(browser: Any, url: str) -> Any:
    """A page in a new browser context (its own localStorage: a new reader)."""
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#question textarea")
    return page


def listed(page: Any, count: int) -> list[str]:
    """The side list's entries, once there are `count` of them."""
    page.wait_for_function(f"n => document.querySelectorAll('{ITEMS}').length === n", arg=count)
    return [t.strip() for t in page.locator(ITEMS).all_inner_texts()]


def exported(page: Any) -> tuple[str, str]:
    """Click Export as Markdown: (the file's name, its text)."""
    button = page.locator("#export-conversation")
    page.wait_for_function("() => !document.querySelector('#export-conversation').disabled")
    with page.expect_download() as download:
        button.click()
    path = download.value.path()
    return download.value.suggested_filename, Path(path).read_text(encoding="utf-8")


def test_reload_reopen_continue_export_and_delete(browser: Any, tmp_path: Path) -> None:
    with serving(runtime_at(tmp_path / "data")) as url:
        page = open_page(browser, url)
        ask(page, "How many ships does the fleet have?")
        ask(page, "When was it founded?")
        assert listed(page, 1)[0].startswith("How many ships does the fleet have? · ")

        page.reload()
        page.wait_for_selector("#question textarea")
        assert page.locator("#chatbot .bot").count() == 0  # a reload opens a new conversation
        page.locator(ITEMS).first.click()  # ... and the earlier one is in the list
        page.wait_for_function("() => document.querySelectorAll('#chatbot .bot').length === 2")
        assert "twelve ships" in page.locator("#chatbot .bot").first.inner_text()
        assert page.locator("#chatbot .source-card").count() >= 2  # shown as it was answered

        ask(page, "Where was it founded?")  # continues the reopened conversation
        assert len(listed(page, 1)) == 1
        name, text = exported(page)
        assert name == "how-many-ships-does-the-fleet-have.md"
        assert text.startswith("# How many ships does the fleet have?\n")
        assert [line for line in text.splitlines() if line.startswith("## ")] == [
            "## 1. How many ships does the fleet have?",
            "## 2. When was it founded?",
            "## 3. Where was it founded?",
        ]
        [kept] = [
            Conversation.from_json(json.loads(path.read_text(encoding="utf-8")))
            for path in (tmp_path / "data" / "conversations").glob("*/*.json")
        ]
        assert text == conversation_markdown(kept)  # the download is the kept conversation
        first_answer = " ".join(kept.exchanges[0].text.split())  # on one line in the export
        assert f"\n\n{first_answer}\n" in text and "twelve ships" in first_answer
        assert "1. Fleet notes — " in text and "   > “" in text and "[1]" in text

        page.locator("#new-conversation").click()
        page.wait_for_function("() => document.querySelectorAll('#chatbot .bot').length === 0")
        ask(page, "What happened to the budget last year?")
        entries = listed(page, 2)
        assert entries[0].startswith("What happened to the budget") and entries[1].startswith(
            "How many ships"
        )
        page.locator("#conversation-panel").screenshot(path=str(tmp_path / "panel.png"))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "conversations.png"))

        page.locator("#delete-conversation").click()  # the open one: the budget question
        confirm = page.locator(".delete-text")
        confirm.wait_for(state="visible")
        assert "What happened to the budget last year?" in confirm.inner_text()
        page.locator("#delete-no").click()
        confirm.wait_for(state="hidden")
        assert len(listed(page, 2)) == 2  # kept it
        page.locator("#delete-conversation").click()
        page.locator("#delete-yes").click()
        assert listed(page, 1)[0].startswith("How many ships")
        assert page.locator("#chatbot .bot").count() == 0
        assert (
            "Deleted “What happened to the budget last year?”"
            in page.locator("#conversation-notice").inner_text()
        )

        other = open_page(browser, url)  # another browser: its own, empty list
        assert listed(other, 0) == []


def sign_in(browser: Any, url: str) -> Any:
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(url)
    page.locator("input[name=username], input[type=text]").first.fill("ann")
    page.locator("input[type=password]").first.fill("pw")
    page.locator("button[type=submit], button:has-text('Login')").first.click()
    page.wait_for_selector("#question textarea")
    return page


def test_with_a_login_the_list_follows_the_user(browser: Any, tmp_path: Path) -> None:
    runtime = runtime_at(tmp_path / "data", auth=SecretStr("ann:pw"))
    with serving(runtime) as url:
        first = sign_in(browser, url)
        ask(first, "How many ships does the fleet have?")
        listed(first, 1)
        second = sign_in(browser, url)  # another browser, the same login
        assert listed(second, 1)[0].startswith("How many ships")
        store = ConversationStore.in_data_dir(runtime.settings.data_dir)
        assert [s.questions for s in store.summaries(user_owner("ann"))] == [1]
