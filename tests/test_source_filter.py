"""Asking within chosen sources: dense and BM25 retrieval limited to the chosen documents, the
answer saying so (CLI, `ask --json`, the /ask API, the chat's answer card), unknown ids refused
in one line, and the chat's filter following the knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.chain import AssistantChain
from assistant.cli.context import AppContext
from assistant.errors import AssistantError
from assistant.index.bm25 import BM25Index
from assistant.retrieval import HybridRetriever
from assistant.runtime import Runtime
from assistant.scope import chosen_sources, limited_line
from assistant.testing import FakeAnswerer, FakeEmbedder, InMemoryStore
from assistant.types import Answer, Chunk, DocumentRecord
from assistant.ui import render
from assistant.ui.api import ApiHandler
from assistant.ui.handlers import ChatHandler
from assistant.ui.session import ChatSession
from tests.cli_helpers import run_main

# The question's best passage is in "budget"; "trade" also speaks of it, less closely.
TEXTS = {
    ("budget", "b1"): "Japan will raise its defence budget to 2 per cent of GDP by 2027.",
    ("budget", "b2"): "The defence budget of Japan doubles by 2027, the cabinet said.",
    ("trade", "t1"): "Trade talks mentioned the defence budget only in passing.",
    ("trade", "t2"): "Tariffs on Japanese cars worried the defence ministry too.",
    ("trade", "t3"): "Robots and trade fairs in Osaka drew the crowds.",
}
QUESTION = "How big will Japan's defence budget be by 2027?"


def _chunks() -> list[Chunk]:
    return [
        Chunk(cid, doc, doc.title(), f"{doc}.md", text, 0, len(text), 1, 1)
        for (doc, cid), text in TEXTS.items()
    ]


def _retriever(k: int = 3) -> HybridRetriever:
    embedder, store, chunks = FakeEmbedder(), InMemoryStore(), _chunks()
    store.add(chunks, embedder.embed([c.text for c in chunks]))
    bm25 = BM25Index()
    bm25.build([c.chunk_id for c in chunks], [c.text for c in chunks])
    return HybridRetriever(embedder=embedder, store=store, bm25=lambda: bm25, k=k)


def test_bm25_search_within_chosen_chunks_still_returns_n() -> None:
    bm25 = BM25Index()
    chunks = _chunks()
    bm25.build([c.chunk_id for c in chunks], [c.text for c in chunks])
    assert bm25.search(QUESTION, 1)[0][0] in {"b1", "b2"}
    hits = bm25.search(QUESTION, 2, chunk_ids={"t1", "t2", "t3"})
    assert [cid for cid, _ in hits] == ["t1", "t2"]  # t3 shares no word with the question
    assert bm25.search(QUESTION, 5, chunk_ids=set()) == []


def test_retrieval_is_limited_dense_and_bm25_both() -> None:
    retriever = _retriever(k=3)
    unlimited = retriever.retrieve(QUESTION)
    assert unlimited[0].chunk.document_id == "budget"
    hits = retriever.retrieve(QUESTION, document_ids={"trade"})
    assert {h.chunk.chunk_id for h in hits} == {"t1", "t2", "t3"}  # k come back
    assert all(h.dense_rank is not None for h in hits)
    assert {h.chunk.chunk_id for h in hits if h.bm25_rank is not None} == {"t1", "t2"}
    only_bm25 = retriever.retrieve(QUESTION, mode="bm25", document_ids={"trade"})
    assert [h.chunk.chunk_id for h in only_bm25] == ["t1", "t2"]
    only_dense = retriever.retrieve(QUESTION, mode="dense", document_ids={"trade"})
    assert {h.chunk.document_id for h in only_dense} == {"trade"}


def test_chain_answers_from_the_chosen_documents_and_says_so() -> None:
    answerer = FakeAnswerer()
    chain = AssistantChain(retriever=_retriever(k=3), answerer=answerer)
    answer = chain.ask(QUESTION, sources={"trade": "Trade"})
    [(_, _, hits)] = answerer.calls
    assert {h.chunk.document_id for h in hits} == {"trade"}
    assert answer.citations[0].document_id == "trade"
    assert answer.limited_to == {"trade": "Trade"}
    assert answer.to_json()["limited_to"] == [{"document_id": "trade", "title": "Trade"}]
    streamed = list(chain.stream(QUESTION, sources={"trade": "Trade"}))[-1]
    assert streamed.limited_to == {"trade": "Trade"}  # type: ignore[union-attr]
    whole = chain.ask(QUESTION)
    assert whole.limited_to == {} and "limited_to" not in whole.to_json()
    assert whole.citations[0].document_id == "budget"


def _record(document_id: str, title: str) -> DocumentRecord:
    return DocumentRecord(document_id, title, f"{document_id}.md", "md", "0", 1, "t", "t")


def test_chosen_sources_keeps_order_and_names_an_unknown_id() -> None:
    records = [_record("a1", "Alpha"), _record("b2", "Beta")]
    assert chosen_sources(records, ["b2", "a1"]) == {"b2": "Beta", "a1": "Alpha"}
    with pytest.raises(AssistantError) as caught:
        chosen_sources(records, ["a1", "nope"])
    assert str(caught.value) == "no document with id 'nope' (see: assistant sources list)"
    assert limited_line({"b2": "Beta", "a1": "Alpha"}) == "Searched only: Beta; Alpha"
    assert limited_line({}) == ""


BUDGET_MD = "---\ntitle: Budget notes\n---\n\nJapan will raise its defence budget by 2027.\n"
TRADE_MD = "---\ntitle: Trade notes\n---\n\nTrade talks touched the defence budget too.\n"


@pytest.fixture
def app(fake_runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> AppContext:
    context = AppContext(fake_runtime.settings, fake_runtime)
    for name, text in (("budget.md", BUDGET_MD), ("trade.md", TRADE_MD)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    run_main(capsys, ["ingest", str(tmp_path / "budget.md"), str(tmp_path / "trade.md")], context)
    fake_runtime.answerer_override = FakeAnswerer()
    fake_runtime.__dict__.pop("answerer", None)
    fake_runtime.__dict__.pop("chain", None)
    return context


def _ids(app: AppContext) -> dict[str, str]:
    return {r.title: r.document_id for r in app.runtime.knowledge.documents()}


def test_cli_ask_with_source_prints_what_it_searched(
    app: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    trade = _ids(app)["Trade notes"]
    code, out, err = run_main(capsys, ["ask", "--source", trade, QUESTION], app)
    assert (code, err) == (0, "")
    assert out == (
        "Trade talks touched the defence budget too. [1]\n"
        "Searched only: Trade notes\n"
        "\n"
        "Sources:\n"
        f"[1] Trade notes — paragraph 1 ({trade})\n"
        "    “Trade talks touched the defence budget too.”\n"
    )


def test_cli_ask_json_lists_the_chosen_sources(
    app: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _ids(app)
    argv = ["ask", "--json", "--source", ids["Trade notes"], "--source", ids["Budget notes"]]
    code, out, _ = run_main(capsys, [*argv, QUESTION], app)
    data = json.loads(out)
    assert code == 0
    assert data["limited_to"] == [
        {"document_id": ids["Trade notes"], "title": "Trade notes"},
        {"document_id": ids["Budget notes"], "title": "Budget notes"},
    ]
    assert {h["document_id"] for h in data["retrieved"]} <= set(ids.values())


def test_cli_ask_with_an_unknown_source_is_one_line(
    app: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(capsys, ["ask", "--source", "nope", QUESTION], app)
    assert (code, out) == (1, "")
    assert err == "error: no document with id 'nope' (see: assistant sources list)\n"


def test_api_ask_with_sources(app: AppContext) -> None:
    runtime = app.runtime
    api = ApiHandler(runtime.chain, runtime.knowledge, 4, 10_000)
    trade = _ids(app)["Trade notes"]
    result = api.ask(QUESTION, [], [trade])
    assert result["limited_to"] == [{"document_id": trade, "title": "Trade notes"}]
    assert {c["document_id"] for c in result["citations"]} == {trade}
    assert {h["document_id"] for h in result["retrieved"]} == {trade}
    assert "limited_to" not in api.ask(QUESTION, [])
    assert api.ask(QUESTION, [], ["nope"]) == {
        "error": "no document with id 'nope' (see: assistant sources list)"
    }


def _chat(app: AppContext) -> ChatHandler:
    runtime = app.runtime
    return ChatHandler(
        runtime.chain,
        render.answer_html,
        max_question_chars=200,
        max_history_turns=4,
        kept_passages=2,
        records=runtime.knowledge.documents,
    )


def test_chat_handler_searches_only_the_chosen_sources(app: AppContext) -> None:
    chat, trade = _chat(app), _ids(app)["Trade notes"]
    *_, (box, messages, _) = chat.respond(QUESTION, [], ChatSession(), [trade])
    final = messages[-1]["content"]
    assert box == ""
    assert '<p class="note limited">Searched only: Trade notes</p>' in final
    assert "Trade talks touched the defence budget" in final
    assert "raise its defence budget" not in final
    *_, (_, unlimited, _) = chat.respond(QUESTION, [], ChatSession())
    assert "Searched only" not in unlimited[-1]["content"]


def test_chat_handler_refuses_a_removed_source_in_one_line(app: AppContext) -> None:
    *_, (box, messages, _) = _chat(app).respond(QUESTION, [], ChatSession(), ["gone"])
    assert box == QUESTION  # kept, to ask again
    assert messages[-1]["content"] == render.error_html(
        "no document with id 'gone' (see: assistant sources list)"
    )


def test_source_choices_follow_the_knowledge_base(app: AppContext) -> None:
    chat, ids = _chat(app), _ids(app)
    choices, kept = chat.source_choices([ids["Trade notes"], "removed-meanwhile"])
    assert sorted(choices) == sorted((f"{t} ({d})", d) for t, d in ids.items())
    assert kept == [ids["Trade notes"]]
    app.runtime.knowledge.remove(ids["Trade notes"])
    choices, kept = chat.source_choices([ids["Trade notes"]])
    assert choices == [(f"Budget notes ({ids['Budget notes']})", ids["Budget notes"])]
    assert kept == []


def test_the_limitation_line_is_escaped_text() -> None:
    answer = Answer("nothing", abstained=True, citations=[], limited_to={"x": "<b>Bold</b> & co"})
    markup = render.answer_html(answer)
    assert '<p class="note limited">Searched only: &lt;b&gt;Bold&lt;/b&gt; &amp; co</p>' in markup
    assert "<b>Bold</b>" not in markup


def test_served_ask_endpoint_takes_sources(app: AppContext) -> None:
    from gradio_client import Client

    from tests.ui_helpers import serving

    ids = _ids(app)
    with serving(app.runtime) as url:
        client = Client(url, verbose=False)
        limited = client.predict(QUESTION, [], [ids["Trade notes"]], api_name="/ask")
        whole = client.predict(QUESTION, [], api_name="/ask")
        unknown = client.predict(QUESTION, [], ["nope"], api_name="/ask")
    assert limited["limited_to"] == [{"document_id": ids["Trade notes"], "title": "Trade notes"}]
    assert [c["title"] for c in limited["citations"]] == ["Trade notes"]
    assert "limited_to" not in whole and whole["citations"][0]["title"] == "Budget notes"
    assert unknown == {"error": "no document with id 'nope' (see: assistant sources list)"}
