"""The question-answering chain (LangChain runnables): standalone query, retrieval, answer.

LangChain types stay in this module; callers pass a question and Turns and get our Answer back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from assistant.conversation import clean_question, recent_history, standalone_query
from assistant.generation.base import Answerer
from assistant.retrieval import HybridRetriever
from assistant.types import Answer, ScoredChunk, Turn

Condenser = Callable[[str, list[Turn]], str]


class _LangChainRetriever(BaseRetriever):
    """Our hybrid retriever seen as a LangChain retriever; the hit rides along in metadata."""

    hybrid: Any

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        hits: list[ScoredChunk] = self.hybrid.retrieve(query)
        return [
            LCDocument(page_content=h.chunk.text, id=h.chunk.chunk_id, metadata={"hit": h})
            for h in hits
        ]


class AssistantChain:
    """question + history -> standalone query -> passages -> cited answer.

    The question is cleaned and bounded, and only the most recent turns of the history that fit
    (`recent_history`) reach the condenser and the answerer.
    """

    def __init__(
        self,
        *,
        retriever: HybridRetriever,
        answerer: Answerer,
        condense: Condenser | None = None,
        max_question_chars: int = 2000,
        max_history_turns: int = 20,
        max_turn_chars: int = 8000,
    ) -> None:
        self.retriever = retriever
        self.answerer = answerer
        self.condense = condense or standalone_query
        self.max_question_chars = max_question_chars
        self.max_history_turns = max_history_turns
        self.max_turn_chars = max_turn_chars
        self._lc_retriever = _LangChainRetriever(hybrid=retriever)
        self.prepare = RunnableLambda(self._prepare, name="standalone_query") | RunnableLambda(
            self._retrieve, name="retrieve"
        )
        self.runnable = self.prepare | RunnableLambda(self._answer, name="answer")

    def _prepare(self, inputs: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        question = clean_question(inputs["question"], self.max_question_chars)
        history = recent_history(
            inputs.get("history") or [], self.max_history_turns, self.max_turn_chars
        )
        query = self.condense(question, history)
        timings = {"condense": (time.perf_counter() - started) * 1000}
        return {"question": question, "history": history, "query": query, "timings": timings}

    def _retrieve(self, state: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        docs = self._lc_retriever.invoke(state["query"])
        state["hits"] = [d.metadata["hit"] for d in docs]
        state["timings"]["retrieve"] = (time.perf_counter() - started) * 1000
        return state

    def _answer(self, state: dict[str, Any]) -> Answer:
        started = time.perf_counter()
        answer = self.answerer.answer(state["question"], state["history"], state["hits"])
        return self._finish(answer, state, started)

    @staticmethod
    def _finish(answer: Answer, state: dict[str, Any], started: float) -> Answer:
        answer.query = state["query"]
        answer.timings_ms = dict(state["timings"])
        answer.timings_ms["answer"] = (time.perf_counter() - started) * 1000
        answer.timings_ms["total"] = sum(v for k, v in answer.timings_ms.items() if k != "total")
        return answer

    def ask(self, question: str, history: list[Turn] | None = None) -> Answer:
        result: Answer = self.runnable.invoke({"question": question, "history": history or []})
        return result

    def stream(self, question: str, history: list[Turn] | None = None) -> Iterator[str | Answer]:
        """Text deltas, then the finished Answer."""
        state = self.prepare.invoke({"question": question, "history": history or []})
        started = time.perf_counter()
        for item in self.answerer.stream(state["question"], state["history"], state["hits"]):
            if isinstance(item, Answer):
                yield self._finish(item, state, started)
            else:
                yield item
