"""The chat's "Search only these sources" filter in a real headless Chromium, over fakes: it lists
the documents, limits an answer to the chosen one (the card says so), and follows the Knowledge
base tab when a document is removed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.runtime import Runtime
from assistant.testing import FakeAnswerer, FakeEmbedder, InMemoryStore
from tests.ui_helpers import serving

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = next(
    (p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))), None
)
if CHROMIUM is None:
    pytest.skip("no Chromium on PATH (.ci/run installs Debian's)", allow_module_level=True)

QUESTION = "How big will Japan's defence budget be by 2027?"
DOCS = [
    (
        "budget.md",
        b"---\ntitle: Budget notes\n---\n\nJapan will raise its defence budget by 2027.\n",
    ),
    ("trade.md", b"---\ntitle: Trade notes\n---\n\nTrade talks touched the defence budget too.\n"),
]
OPTION = "#source-filter [data-testid=dropdown-option]"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Runtime]]:
    runtime = Runtime(
        Settings(data_dir=tmp_path / "data"),
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
        answerer_override=FakeAnswerer(),
    )
    runtime.knowledge.ingest_bytes(DOCS)
    with serving(runtime) as url:
        yield url, runtime


@pytest.fixture
def page(served: tuple[str, Runtime]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.set_default_timeout(30_000)
        page.goto(served[0])
        page.wait_for_selector("#question textarea")
        yield page
        browser.close()


def _open_options(page: Any) -> list[str]:
    """Open the filter's list; the texts of its options."""
    page.locator("#source-filter input").click()
    page.wait_for_selector(OPTION)
    return [t.strip() for t in page.locator(OPTION).all_inner_texts()]


def test_choose_a_source_ask_and_see_the_limit(page: Any, served: tuple[str, Runtime]) -> None:
    _, runtime = served
    ids = {r.title: r.document_id for r in runtime.knowledge.documents()}
    assert sorted(_open_options(page)) == sorted(f"{t} ({d})" for t, d in ids.items())
    page.locator(OPTION, has_text="Trade notes").click()
    page.keyboard.press("Escape")
    page.locator("#question textarea").fill(QUESTION)
    page.locator("#ask-button").click()
    note = page.locator("#chatbot .note.limited")
    note.wait_for()
    assert note.inner_text() == "Searched only: Trade notes"
    assert "Trade talks touched" in page.locator("#chatbot .answer").last.inner_text()

    runtime.knowledge.remove(ids["Trade notes"])  # removed elsewhere; the tab's list refreshes
    page.get_by_role("tab", name="Knowledge base").click()
    page.wait_for_function(
        "() => !document.querySelector('#documents').innerText.includes('Trade notes')"
    )
    page.get_by_role("tab", name="Chat").click()
    assert _open_options(page) == [f"Budget notes ({ids['Budget notes']})"]
    assert page.locator("#source-filter .token").count() == 0  # the removed choice is dropped
