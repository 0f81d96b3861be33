"""The Answerer protocol and the wording shared by every answerer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from assistant.types import Answer, ScoredChunk, Turn

NO_ANSWER = "The sources don't say: nothing in the knowledge base answers this question."


@runtime_checkable
class Answerer(Protocol):
    """Writes an answer to a question from retrieved passages, citing them."""

    name: str

    def answer(self, question: str, history: list[Turn], hits: list[ScoredChunk]) -> Answer: ...

    def stream(
        self, question: str, history: list[Turn], hits: list[ScoredChunk]
    ) -> Iterator[str | Answer]:
        """Text deltas as they are ready, then the finished Answer last."""
        ...


def abstain(hits: list[ScoredChunk], backend: str, reason: str = "") -> Answer:
    """The plain decline: no citations, never the nearest paragraph."""
    return Answer(text=NO_ANSWER, abstained=True, citations=[], retrieved=hits, backend=backend)
