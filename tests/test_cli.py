"""The command line through its entry point, with fake components: exact output, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli.context import AppContext
from assistant.runtime import Runtime
from assistant.testing import FakeAnswerer
from tests.cli_helpers import run_main

DOC = "---\ntitle: Fleet notes\n---\n\nThe fleet has twelve ships.\n\nIt was founded in 1954.\n"


@pytest.fixture
def app(fake_runtime: Runtime) -> AppContext:
    return AppContext(fake_runtime.settings, fake_runtime)


def run(app: AppContext, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_main(capsys, list(argv), obj=app)


def _doc(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.md"
    path.write_text(DOC, encoding="utf-8")
    return path


def test_ingest_then_list_and_remove(
    app: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _doc(tmp_path)
    code, out, _ = run(app, capsys, "ingest", str(path))
    doc_id = app.runtime.knowledge.documents()[0].document_id
    assert code == 0
    assert out == (
        f"    added  fleet.md ({doc_id}): 1 chunks\n"
        "1 added, 0 updated, 0 unchanged, 0 rejected (1 chunks embedded)\n"
    )
    code, out, _ = run(app, capsys, "sources", "list", "--json")
    [row] = json.loads(out)
    assert row["document_id"] == doc_id and row["title"] == "Fleet notes" and row["chunks"] == 1
    assert set(row) == {"document_id", "title", "path", "type", "chunks", "added"}
    code, out, _ = run(app, capsys, "sources", "remove", doc_id)
    assert (code, out) == (0, f"removed {doc_id} (Fleet notes, 1 chunks)\n")
    assert json.loads(run(app, capsys, "sources", "list", "--json")[1]) == []


def test_ingest_rejects_with_one_line_and_exit_1(
    app: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    code, out, err = run(app, capsys, "ingest", str(empty))
    assert code == 1
    assert (
        out
        == " rejected  empty.txt: 'empty.txt' has no text\n0 added, 0 updated, 0 unchanged, 1 rejected (0 chunks embedded)\n"
    )
    assert "Traceback" not in err


def test_ask_json_shape(
    app: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(app, capsys, "ingest", str(_doc(tmp_path)))
    app.runtime.answerer_override = FakeAnswerer()
    app.runtime.__dict__.pop("answerer", None)
    app.runtime.__dict__.pop("chain", None)
    app.runtime.answerer_override.enqueue("The fleet has twelve ships.")  # type: ignore[attr-defined]
    code, out, _ = run(app, capsys, "ask", "--json", "How many ships?")
    data = json.loads(out)
    assert code == 0
    assert data["answer"] == "The fleet has twelve ships. [1]"
    assert data["abstained"] is False
    [citation] = data["citations"]
    assert {"n", "document_id", "title", "location", "quote"} <= set(citation)
    assert citation["n"] == 1 and citation["title"] == "Fleet notes"
    assert set(data["timings_ms"]) >= {"retrieve", "answer", "total"}


def test_ask_human_output_lists_sources(
    app: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(app, capsys, "ingest", str(_doc(tmp_path)))
    app.runtime.answerer_override = FakeAnswerer()
    app.runtime.__dict__.pop("answerer", None)
    app.runtime.__dict__.pop("chain", None)
    app.runtime.answerer_override.enqueue("The fleet has twelve ships.")  # type: ignore[attr-defined]
    code, out, _ = run(app, capsys, "ask", "How many ships?")
    doc_id = app.runtime.knowledge.documents()[0].document_id
    assert code == 0
    assert out.splitlines()[0] == "The fleet has twelve ships. [1]"
    assert f"[1] Fleet notes — paragraphs 1–2 ({doc_id})" in out.splitlines()


def test_ask_batch_reads_stdin_one_json_per_line(
    app: AppContext,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    run(app, capsys, "ingest", str(_doc(tmp_path)))
    monkeypatch.setattr("sys.stdin", io.StringIO("How many ships?\n\nWhen was it founded?\n"))
    code, out, _ = run(app, capsys, "ask", "--json", "-")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1  # the empty line is an error, reported in place
    assert len(lines) == 3
    assert lines[1] == {
        "question": "",
        "error": "the question is empty: type a question about the knowledge base",
    }
    assert "answer" in lines[0] and "answer" in lines[2]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask", ""], "error: the question is empty: type a question about the knowledge base\n"),
        (
            ["ask", "   \t "],
            "error: the question is empty: type a question about the knowledge base\n",
        ),
        (
            ["ask", "x" * 100_000],
            "error: the question is 100,000 characters long; the limit is 2,000\n",
        ),
        (
            ["sources", "remove", "nope"],
            "error: no document with id 'nope' (see: assistant sources list)\n",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    app: AppContext, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(app, capsys, *argv)
    assert (code, out, err) == (1, "", message)


def test_history_file_errors(
    app: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "h.json"
    bad.write_text('[{"role": "robot", "content": "hi"}]')
    code, _, err = run(app, capsys, "ask", "--history", str(bad), "Why?")
    assert code == 1
    assert err == f'error: {bad}: turn 1 must be {{"role": "user"|"assistant", "content": str}}\n'
    bad.write_text("{not json")
    code, _, err = run(app, capsys, "ask", "--history", str(bad), "Why?")
    assert code == 1 and err.startswith(f"error: history file '{bad}' is not valid JSON")


def test_every_command_has_help(app: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["--help"],
        ["ingest", "--help"],
        ["ask", "--help"],
        ["chat", "--help"],
        ["serve", "--help"],
        ["sources", "list", "--help"],
    ):
        code, out, _ = run(app, capsys, *argv)
        assert code == 0 and out.startswith("Usage: assistant")
