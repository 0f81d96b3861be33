"""The question-answering chain: standalone query, retrieval, answer; one path for ask and stream.

The first two steps are LangChain runnables (the retrieval step is our public
`AssistantRetriever`); what passes between the steps is a `ChainState`. `ask` and `stream` take
the same steps and differ only in how the answerer is called. Callers pass a question and Turns
and get our Answer back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.conversation import clean_question, recent_history, standalone_query
from assistant.generation.base import Answerer
from assistant.retrieval import AssistantRetriever, HybridRetriever, hit_from_document
from assistant.types import Answer, ScoredChunk, Turn

Condenser = Callable[[str, list[Turn]], str]


@dataclass
class ChainInput:
    """A question and the conversation before it, as the caller gave them."""

    question: str
    history: list[Turn] = field(default_factory=list)
    k: int | None = None  # passages to retrieve; None: the retriever's own k
    # the documents to search (id -> title); None or empty: the whole knowledge base
    sources: Mapping[str, str] | None = None


@dataclass
class ChainState:
    """What the steps hand on: the bounded question and history, the query, the hits, timings."""

    question: str
    history: list[Turn]
    query: str
    k: int | None = None
    sources: dict[str, str] = field(default_factory=dict)
    hits: list[ScoredChunk] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


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
        self.documents = AssistantRetriever(hybrid=retriever)
        self.prepare: Runnable[ChainInput, ChainState] = RunnableLambda(
            self._condense, name="standalone_query"
        ) | RunnableLambda(self._retrieve, name="retrieve")

    def ask(
        self,
        question: str,
        history: list[Turn] | None = None,
        *,
        k: int | None = None,
        sources: Mapping[str, str] | None = None,
    ) -> Answer:
        """The finished Answer (from `k` passages; default: the retriever's k), retrieved only
        from `sources` (document id -> title) when given."""
        given = ChainInput(question, history or [], k, sources)
        for item in self._run(given, stream=False):
            if isinstance(item, Answer):
                return item
        raise AssertionError("unreachable: the answer step always ends with an Answer")

    def stream(
        self,
        question: str,
        history: list[Turn] | None = None,
        *,
        k: int | None = None,
        sources: Mapping[str, str] | None = None,
    ) -> Iterator[str | Answer]:
        """Text deltas, then the finished Answer (`k` and `sources` as for `ask`)."""
        yield from self._run(ChainInput(question, history or [], k, sources), stream=True)

    def _run(self, given: ChainInput, *, stream: bool) -> Iterator[str | Answer]:
        state = self.prepare.invoke(given)
        started = time.perf_counter()
        args = (state.question, state.history, state.hits)
        items = self.answerer.stream(*args) if stream else iter([self.answerer.answer(*args)])
        for item in items:
            yield self._finish(item, state, started) if isinstance(item, Answer) else item

    def _condense(self, given: ChainInput) -> ChainState:
        started = time.perf_counter()
        question = clean_question(given.question, self.max_question_chars)
        history = recent_history(given.history, self.max_history_turns, self.max_turn_chars)
        query = self.condense(question, history)
        timings = {"condense": _elapsed_ms(started)}
        sources = dict(given.sources or {})
        return ChainState(question, history, query, given.k, sources, timings_ms=timings)

    def _retrieve(self, state: ChainState) -> ChainState:
        started = time.perf_counter()
        documents = self.documents
        if state.k is not None or state.sources:
            limit = frozenset(state.sources) if state.sources else None
            documents = documents.model_copy(update={"k": state.k, "document_ids": limit})
        state.hits = [hit_from_document(d) for d in documents.invoke(state.query)]
        state.timings_ms["retrieve"] = _elapsed_ms(started)
        return state

    @staticmethod
    def _finish(answer: Answer, state: ChainState, started: float) -> Answer:
        answer.query = state.query
        answer.limited_to = dict(state.sources)
        answer.timings_ms = dict(state.timings_ms)
        answer.timings_ms["answer"] = _elapsed_ms(started)
        answer.timings_ms["total"] = sum(v for k, v in answer.timings_ms.items() if k != "total")
        return answer
