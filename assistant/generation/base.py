"""The Answerer protocol and the decline every answerer gives (its wording is in types)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from assistant.types import DECLINE_HEADING, NO_ANSWER, Answer, DeclineReason, ScoredChunk, Turn

__all__ = ["NO_ANSWER", "Answerer", "abstain"]


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


def abstain(
    hits: list[ScoredChunk],
    backend: str,
    reason: DeclineReason = DeclineReason.NOT_IN_SOURCES,
    detail: str | None = None,
) -> Answer:
    """The plain decline, with why: no citations, never the nearest paragraph. ``detail`` says
    more plainly than the general wording what the sources don't say."""
    return Answer(
        text=NO_ANSWER if detail is None else f"{DECLINE_HEADING}: {detail}",
        abstained=True,
        citations=[],
        retrieved=hits,
        backend=backend,
        decline_reason=reason,
    )
