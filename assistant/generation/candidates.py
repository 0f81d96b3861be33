"""The sentences an answerer reads: each shortlisted candidate with its scores, the reader's
probabilities for the question's parts, and how candidates compare (the same sentence reached
through two chunks, document order)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.citations import Quote
from assistant.generation.answer_types import answer_type, holds_answer_type


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, scored against the question."""

    quote: Quote
    score: float
    hit_rank: int
    lead: Quote | None = None  # the sentence a pronoun-led quote refers back to
    text: str = ""  # what is read: the quote, with its lead when it has one
    vector: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.float32))
    similarity: float = 0.0  # the embedding similarity blended into `score`
    adjustment: float = 0.0  # what `score` adds for the kind of thing asked for, or a repeat


@dataclass(frozen=True)
class Reading:
    """The shortlisted sentences, the question's parts, and probs[part][sentence] from the reader."""

    shortlist: list[Candidate]
    parts: list[str]
    probs: np.ndarray
    broad: bool

    def typed_probs(self) -> np.ndarray:
        """probs, with 0 for a sentence that lacks the kind of thing its part asks for.

        "When ...?" is not answered by a sentence without a date, "How many ...?" by one
        without a number, "Which minister ...?" by one that names nobody the question doesn't.
        """
        out = self.probs.copy()
        for row, part in enumerate(self.parts):
            kind = answer_type(part)
            if kind is not None and out.shape[1]:
                holds = [holds_answer_type(kind, c.text, part) for c in self.shortlist]
                out[row] = np.where(holds, out[row], 0.0)
        return out

    def best(self) -> float:
        """The answerer's decision score: the best typed probability over every part."""
        typed = self.typed_probs()
        return float(typed.max()) if typed.size else 0.0


def document_order(chosen: list[Candidate]) -> list[Candidate]:
    return sorted(
        chosen, key=lambda c: (c.quote.chunk.document_id, c.quote.chunk.start + c.quote.start)
    )


def overlaps(a: Quote, b: Quote) -> bool:
    """The same sentence reached through two overlapping chunks."""
    if a.chunk.document_id != b.chunk.document_id:
        return a.text == b.text
    a0, a1 = a.chunk.start + a.start, a.chunk.start + a.end
    b0, b1 = b.chunk.start + b.start, b.chunk.start + b.end
    return a0 < b1 and b0 < a1
