"""Serving the web app on a free loopback port for the UI integration and browser tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port

# A document the shipped knowledge base knows nothing about, with markup that must stay text.
NEW_DOC_NAME = "kestrel-accord.md"
NEW_DOC = b"""# The Kestrel Accord <script>alert('title')</script>

The Kestrel Accord was signed in Nagoya in March 2031 by Japan and Chile to cooperate on lithium \
recycling. <script>alert(1)</script> <img src=x onerror="alert(2)"> **Not bold.**

Its secretariat is hosted by the city of Valparaiso.
"""
NEW_DOC_QUESTION = "Where was the Kestrel Accord signed?"


@contextmanager
def serving(runtime: Any, **launch: Any) -> Iterator[str]:
    """The app for `runtime`, launched in this process on 127.0.0.1; yields its URL."""
    from assistant.ui.app import create_app
    from assistant.ui.server import launch_options

    app = create_app(runtime)
    port = free_port()
    options = {**launch_options(runtime), **launch}
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, **options)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


def real_runtime_copy(tmp_path_factory: pytest.TempPathFactory, kb_dir: Path, embedder: Any) -> Any:
    """A runtime over a private copy of the indexed shipped knowledge base (real model, Chroma)."""
    from assistant.config import Settings
    from assistant.runtime import Runtime

    data = tmp_path_factory.mktemp("ui-data") / "data"
    shutil.copytree(kb_dir, data)
    return Runtime(Settings(data_dir=data), embedder_override=embedder)


def ask(page: Any, question: str) -> Any:
    """Type a question, send it, and return the locator of the finished answer."""
    answers = page.locator("#chatbot .bot")
    before = page.locator("#chatbot .answer:not(.pending), #chatbot .declined").count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask-button").click()
    page.wait_for_function(
        "n => document.querySelectorAll("
        "'#chatbot .answer:not(.pending), #chatbot .declined').length > n",
        arg=before,
    )
    return answers.last
