"""`assistant ask` with an LLM answerer (fake chat model): per-sentence marks, JSON, fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli.context import AppContext
from assistant.cli.main import main
from assistant.config import Settings
from assistant.generation.extractive import ExtractiveAnswerer
from assistant.generation.llm import LLMAnswerer
from assistant.runtime import Runtime
from assistant.testing import FakeChatModel, FakeEmbedder, FakeReader, InMemoryStore

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
QUESTION = "How much will Japan's defence budget grow by 2027?"


@pytest.fixture
def app(tmp_path: Path) -> AppContext:
    settings = Settings(data_dir=tmp_path / "data", llm="openai", llm_model="fake")
    embedder = FakeEmbedder()
    model = FakeChatModel()
    answerer = LLMAnswerer(
        chat_model=model,
        name="openai:fake",
        offline=ExtractiveAnswerer(embedder, FakeReader(), min_score=0.1),
        embedder=embedder,
    )
    runtime = Runtime(
        settings,
        embedder_override=embedder,
        store_override=InMemoryStore(),
        answerer_override=answerer,
    )
    runtime.knowledge.ingest([KNOWLEDGE])
    return AppContext(settings, runtime)


def script(app: AppContext, *replies: str) -> str:
    """Queue replies; returns the first sentence of the top passage (a supported claim)."""
    runtime = app.runtime
    top = runtime.retriever.retrieve(QUESTION)[0].chunk
    answerer = runtime.answerer
    assert isinstance(answerer, LLMAnswerer)
    answerer.chat_model.enqueue(*replies)  # type: ignore[attr-defined]
    return top.text.split(". ")[0].rstrip(".") + "."


def test_ask_marks_unsupported_sentences(
    app: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    supported = script(app)
    bad = "About 75 per cent of Martians agree with Zorblax [1]."
    app.runtime.answerer.chat_model.enqueue(f"{supported[:-1]} [1]. {bad}")  # type: ignore[attr-defined]
    main(["ask", QUESTION], obj=app)
    out = capsys.readouterr().out
    assert "Checked against the sources:" in out
    checked = out.split("Checked against the sources:")[1]
    assert f"{supported} [1]\n" in checked
    assert "About 75 per cent of Martians agree with Zorblax. [1]  ⚠ unsupported" in checked
    assert "Sources:" in checked


def test_ask_json_reports_sentences_backend_and_fallback(
    app: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    supported = script(app)
    app.runtime.answerer.chat_model.enqueue(  # type: ignore[attr-defined]
        f"{supported[:-1]} [1][9]. Trump will win in 2028."
    )
    main(["ask", "--json", QUESTION], obj=app)
    data = json.loads(capsys.readouterr().out)
    assert data["backend"] == "openai:fake"
    assert data["fallback"] is False
    assert data["sentences"] == [
        {"text": supported, "citations": [1], "status": "supported"},
        {
            "text": "Trump will win in 2028.",
            "citations": [],
            "status": "uncited",
            "reason": "no valid citation",
        },
    ]
    assert "[9]" not in data["answer"] and "Trump" not in data["answer"]


def test_ask_shows_the_offline_answer_on_fallback(
    app: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    script(app, "")
    main(["ask", QUESTION], obj=app)
    out = capsys.readouterr().out
    assert "Offline answer:" in out
    assert "did not survive verification" in out
    main(["ask", "--json", QUESTION], obj=app)  # the fake now replies with the decline phrase
    data = json.loads(capsys.readouterr().out)
    assert data["abstained"] is True and data["fallback"] is False
