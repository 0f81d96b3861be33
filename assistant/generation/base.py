"""The Answerer protocol and the decline every answerer gives (its wording is in types)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from assistant.types import (
    DECLINE_DETAIL,
    NO_ANSWER,
    Answer,
    DeclineReason,
    ScoredChunk,
    Turn,
    decline_text,
)

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
    detail: str = DECLINE_DETAIL,
) -> Answer:
    """The plain decline, with why: no citations, never the nearest paragraph. ``detail`` is
    what the sources don't say (the general wording unless the answerer can say more)."""
    return Answer(
        text=decline_text(detail),
        abstained=True,
        citations=[],
        retrieved=hits,
        backend=backend,
        decline_reason=reason,
    )
