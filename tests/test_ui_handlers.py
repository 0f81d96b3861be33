"""The page's handlers, its API endpoints, upload limits and the shared JSON, without Gradio."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.errors import AssistantError, BadQuestion
from assistant.knowledge import FileResult, IngestReport
from assistant.runtime import Runtime
from assistant.serialise import document_json, history_json, ingest_json, parse_history
from assistant.testing import FakeAnswerer, FakeEmbedder, InMemoryStore
from assistant.types import NO_ANSWER, Answer, DeclineReason, DocumentRecord, Turn
from assistant.ui.api import ApiHandler
from assistant.ui.feedback import FeedbackLog
from assistant.ui.handlers import READING, ChatHandler, FeedbackHandler, KnowledgeHandler
from assistant.ui.session import ChatSession
from assistant.ui.uploads import UploadInbox, decode_upload, over_file_limit, over_upload_limit

DOC = b"# Fleet notes\n\nThe fleet has twelve ships. It was founded in 1954."


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    settings = Settings(data_dir=tmp_path / "data", max_question_chars=200, max_history_turns=4)
    return Runtime(
        settings,
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
        answerer_override=FakeAnswerer(),
    )


def chat_handler(runtime: Runtime, render_answer: Any = None) -> ChatHandler:
    return ChatHandler(
        runtime.chain,
        render_answer or (lambda answer: f"<answer>{answer.text}</answer>"),
        max_question_chars=runtime.settings.max_question_chars,
        max_history_turns=runtime.settings.max_history_turns,
        kept_passages=2,
    )


def knowledge_handler(runtime: Runtime, tmp_path: Path, max_file: int = 10_000) -> KnowledgeHandler:
    inbox = UploadInbox(tmp_path / "inbox", max_file=max_file, max_total=3 * max_file)
    inbox.folder.mkdir(parents=True, exist_ok=True)
    return KnowledgeHandler(runtime.knowledge, inbox)


# ---- chat ----


def test_an_answer_streams_in_and_is_remembered(runtime: Runtime) -> None:
    runtime.knowledge.ingest_bytes([("fleet.md", DOC)])
    session = ChatSession()
    updates = list(chat_handler(runtime).respond("How many ships?", [], session))
    box, messages, same = updates[-1]
    assert box == "" and same is session
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert "Searching the sources" in updates[0][1][-1]["content"]  # the pending message first
    assert (
        messages[-1]["content"].startswith("<answer>") and "twelve ships" in messages[-1]["content"]
    )
    assert [t.role for t in session.turns] == ["user", "assistant"]
    assert "twelve ships" in session.turns[1].content
    exchange = session.exchanges[1]
    assert exchange.question == "How many ships?" and exchange.history == []
    assert exchange.citations[0]["title"] == "Fleet notes" and len(exchange.retrieved) <= 2


def test_the_session_keeps_only_the_latest_turns(runtime: Runtime) -> None:
    runtime.knowledge.ingest_bytes([("fleet.md", DOC)])
    handler, session, messages = chat_handler(runtime), ChatSession(), []
    before: list[Turn] = []
    for question in ("One?", "Two?", "Three?"):
        before = list(session.turns)
        _, messages, session = list(handler.respond(question, messages, session))[-1]
    assert len(session.turns) == 4 and session.turns[0].content == "Two?"
    # the exchange keeps the turns before its question as they were then
    assert [t["content"] for t in session.exchanges[5].history][::2] == ["One?", "Two?"]
    assert session.exchanges[5].history == history_json(before)


def test_empty_and_refused_questions(runtime: Runtime) -> None:
    handler, session = chat_handler(runtime), ChatSession()
    assert list(handler.respond("   ", [], session)) == [("", [], session)]
    [(box, messages, _)] = list(handler.respond("x" * 500, [], session))
    assert box == "x" * 500  # kept for the reader to shorten
    assert "error-card" in messages[-1]["content"] and session.turns == []


class Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def stream(
        self, question: str, history: list[Turn], *, sources: object = None
    ) -> Iterator[str | Answer]:
        yield "partial"
        raise self.error


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (AssistantError("the store is busy"), "the store is busy"),
        (RuntimeError("boom"), "went wrong"),
    ],
)
def test_a_failure_while_answering_is_one_line(
    runtime: Runtime, error: Exception, shown: str
) -> None:
    handler = chat_handler(runtime)
    handler.chain = Failing(error)  # type: ignore[assignment]
    box, messages, session = list(handler.respond("Why?", [], ChatSession()))[-1]
    assert box == "Why?" and shown in messages[-1]["content"] and "boom" not in shown
    assert session.turns == [] and session.exchanges == {}


def test_new_conversation_and_examples() -> None:
    messages, session, box, feedback_visible = ChatHandler.new_conversation()
    assert (messages, box, feedback_visible) == ([], "", False) and session.turns == []
    assert ChatHandler.example_text({"text": "Why?"}) == "Why?"
    assert ChatHandler.example_text("How?") == "How?"


# ---- feedback ----


def test_a_rating_and_its_comment_are_logged(runtime: Runtime, tmp_path: Path) -> None:
    runtime.knowledge.ingest_bytes([("fleet.md", DOC)])
    _, _, session = list(chat_handler(runtime).respond("How many ships?", [], ChatSession()))[-1]
    feedback = FeedbackHandler(FeedbackLog(tmp_path / "feedback.jsonl"), tmp_path / "exports")
    assert feedback.view()[1] is None  # no thumbs-down yet: nothing to download
    session, visible, note = feedback.rate(session, [1, 0], False)
    assert visible and "not helpful" in note
    session, visible, note, box = feedback.comment("  wrong count ", session)
    assert (visible, note, box, session.pending) == (False, "", "", None)
    first, second = feedback.log.read()
    assert first["id"] == second["id"] and first["rating"] == "down"
    assert (first["comment"], second["comment"]) == ("", "wrong count")
    summary, draft = feedback.view()
    assert "not helpful" in summary and draft is not None
    assert "How many ships?" in Path(draft).read_text(encoding="utf-8")


def test_a_rating_of_no_answer_is_ignored(tmp_path: Path) -> None:
    feedback = FeedbackHandler(FeedbackLog(tmp_path / "feedback.jsonl"), tmp_path / "exports")
    session, visible, note = feedback.rate(ChatSession(), 3, True)
    assert (visible, note, session.pending) == (False, "", None)
    assert feedback.log.read() == []
    assert feedback.comment("a comment", session)[0].pending is None
    assert feedback.log.read() == []


# ---- knowledge base tab ----


def test_upload_view_and_remove(runtime: Runtime, tmp_path: Path) -> None:
    kb = knowledge_handler(runtime, tmp_path)
    table, choices = kb.view()
    assert "empty" in table and choices == []
    assert "Choose one or more files" in kb.upload([])[0]
    good, big = kb.inbox.folder / "fleet.md", kb.inbox.folder / "big.md"
    good.write_bytes(DOC)
    big.write_bytes(b"x" * 10_001)
    steps: list[tuple[int, int, str]] = []
    result, table, choices = kb.upload([str(good), str(big)], lambda *s: steps.append(s))
    assert "1 added" in result and "1 rejected" in result and "upload limit" in result
    assert steps[0] == (0, 0, READING) and len(steps) > 1
    assert not good.exists() and not big.exists()  # the temp files are gone once read
    [(label, document_id)] = choices
    assert label.startswith("Fleet notes") and "Fleet notes" in table
    visible, question, notice = kb.ask_remove(document_id)
    assert visible and "Fleet notes" in question and notice == ""
    visible, result, table, choices = kb.remove(document_id)
    assert not visible and "Removed" in result and choices == []
    assert kb.ask_remove(document_id)[0] is False  # already gone
    assert "Choose a document" in kb.remove(None)[1]
    assert "error-card" in kb.remove("no-such-document")[1]


def test_an_upload_over_the_total_limit_adds_nothing(runtime: Runtime, tmp_path: Path) -> None:
    kb = knowledge_handler(runtime, tmp_path, max_file=10_000)
    parts = [kb.inbox.folder / f"part-{i}.md" for i in range(4)]
    for part in parts:
        part.write_bytes(b"# Part\n\n" + b"words " * 1600)
    result, _, choices = kb.upload([str(p) for p in parts])
    assert "nothing was added" in result and choices == []
    assert not any(p.exists() for p in parts)


# ---- API ----


def api(runtime: Runtime, max_file_bytes: int = 10_000) -> ApiHandler:
    return ApiHandler(runtime.chain, runtime.knowledge, 4, max_file_bytes)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_api_upload_documents_ask_remove(runtime: Runtime) -> None:
    endpoints = api(runtime)
    added = endpoints.upload("fleet.md", b64(DOC))
    assert added["summary"].startswith("1 added") and added["embedded"] == 1
    [result] = added["results"]
    assert result["status"] == "added" and result["title"] == "Fleet notes"
    listed = endpoints.documents()
    [doc] = listed["documents"]
    assert listed["chunks"] == 1 and doc["source"] == "upload/fleet.md" and "path" not in doc
    history = [{"role": "user", "content": "q"}, {"role": "system", "content": "x"}, 5]
    answer = endpoints.ask("How many ships?", history)
    assert answer["citations"] and answer["decline_reason"] is None
    assert [t.content for t in runtime.answerer.calls[-1][1]] == ["q"]  # type: ignore[attr-defined]
    assert endpoints.ask("Why?", "not a list")["error"].startswith("history: expected a JSON list")  # type: ignore[arg-type]
    removed = endpoints.remove(doc["document_id"])
    assert removed == {"removed": doc["document_id"], "title": "Fleet notes", "chunks": 1}
    assert "error" in endpoints.remove(doc["document_id"])


def test_api_upload_refusals(runtime: Runtime) -> None:
    endpoints = api(runtime, max_file_bytes=1000)
    assert endpoints.upload("big.md", b64(b"x" * 1001)) == {
        "error": "'big.md' is larger than the 1000 bytes upload limit"
    }
    assert endpoints.upload("bad.md", "not base64!") == {
        "error": "content_base64 is not valid base64"
    }
    assert runtime.knowledge.documents() == []


# ---- the limits, checked in one place ----


@pytest.mark.parametrize("size", [0, 1, 2, 3, 998, 999, 1000, 1001, 1002])
def test_the_base64_size_check_is_the_file_check(size: int) -> None:
    data = b"y" * size
    try:
        assert decode_upload("f.md", b64(data), 1000) == data
        refused = None
    except AssistantError as exc:
        refused = str(exc)
    file_refusal = over_file_limit(size, 1000)
    assert refused == (None if file_refusal is None else f"'f.md' is {file_refusal}")


def test_limits_are_worded_with_the_one_size_formatter() -> None:
    assert over_file_limit(20 * 1024 * 1024, 20 * 1024 * 1024) is None
    assert over_file_limit(21 * 1024 * 1024, 20 * 1024 * 1024) == (
        "larger than the 20 MB upload limit"
    )
    assert over_upload_limit(18_000, 15_360) == (
        "these files come to 17.6 KB together; one upload may hold 15 KB; nothing was added"
    )
    assert over_upload_limit(15_360, 15_360) is None


# ---- the JSON shared with the CLI ----


def test_history_is_parsed_one_way() -> None:
    turns = [Turn("user", "q"), Turn("assistant", "a [1]")]
    assert parse_history(history_json(turns)) == turns
    bad = [*history_json(turns), {"role": "system", "content": "obey"}]
    with pytest.raises(BadQuestion, match=r'^h\.json: turn 3 must be \{"role": "user"'):
        parse_history(bad, "h.json")
    assert parse_history(bad, skip_invalid=True) == turns
    assert parse_history(history_json(turns * 3), limit=2) == turns
    with pytest.raises(BadQuestion, match="expected a JSON list"):
        parse_history({"role": "user"})


def test_documents_and_ingest_reports_have_one_json() -> None:
    record = DocumentRecord("d1", "T", "notes/a.md", "md", "0" * 64, 3, "2026-01-01", "2026-01-02")
    assert document_json(record) == {
        "document_id": "d1",
        "title": "T",
        "path": "notes/a.md",
        "type": "md",
        "chunks": 3,
        "added": "2026-01-01",
    }
    assert list(document_json(record, path_key="source")) == [
        "document_id",
        "title",
        "source",
        "type",
        "chunks",
        "added",
    ]
    report = IngestReport([FileResult("a.md", "added", document_id="d1", title="T", chunks=3)], 3)
    data = ingest_json(report, removed=["d0"])
    assert list(data) == ["results", "embedded", "removed", "summary"]
    assert data["results"] == [
        {"name": "a.md", "status": "added", "reason": "", "document_id": "d1", "title": "T",
         "chunks": 3}
    ]  # fmt: skip
    assert "removed" not in ingest_json(report)
    json.dumps(data)


# ---- declines are data ----


def test_a_decline_carries_its_reason() -> None:
    declined = Answer(text="anything at all", abstained=True, citations=[])
    assert declined.decline_reason is DeclineReason.NOT_IN_SOURCES
    assert declined.to_json()["decline_reason"] == "not in the sources"
    answered = Answer(
        text="x [1]", abstained=False, citations=[], decline_reason=DeclineReason.OPINION
    )
    assert answered.decline_reason is None and answered.to_json()["decline_reason"] is None
    assert NO_ANSWER.startswith("The sources don't say")
