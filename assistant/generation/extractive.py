"""The offline answerer: picks the sentences of the retrieved passages that answer the question.

Every answer sentence is a verbatim sentence of a cited passage, so it is supported by construction.
It declines when no sentence scores above the threshold: a blend of embedding similarity to the
question, the share of the question's content words the sentence contains, and a small bonus when
the sentence holds the kind of thing asked for (a date for "when", a number for "how much").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from assistant.citations import Quote, number_citations, sentence_spans
from assistant.conversation import is_follow_up, last_user_turn
from assistant.generation.base import abstain
from assistant.index.embedder import Embedder
from assistant.types import Answer, AnswerSentence, ScoredChunk, Turn

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_MONTHS = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|"
    r"December|last year|this year|next year)\b"
)
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|per cent)\b")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | {"did", "does", "do", "according", "article", "say", "said"}


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=16384)
def content_terms(text: str) -> frozenset[str]:
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _stopwords()]
    return frozenset(_stemmer().stemWords(words))


def _type_bonus(question: str, sentence: str) -> float:
    q = question.lower()
    if q.startswith("when") or "what year" in q or "which year" in q or "what month" in q:
        return 0.08 if (_YEAR.search(sentence) or _MONTHS.search(sentence)) else -0.04
    if "how much" in q or "how many" in q or "what percentage" in q or "by how" in q:
        return 0.08 if _NUMBER.search(sentence) else -0.04
    return 0.0


@dataclass(frozen=True)
class _Candidate:
    quote: Quote
    score: float
    hit_rank: int


class ExtractiveAnswerer:
    """Composes a short answer from source sentences, each ending with its citation [n]."""

    name = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        *,
        min_score: float = 0.5,
        max_sentences: int = 3,
        margin: float = 0.08,
        dense_weight: float = 0.6,
    ) -> None:
        self.embedder = embedder
        self.min_score = min_score
        self.max_sentences = max_sentences
        self.margin = margin
        self.dense_weight = dense_weight

    def _embed(self, texts: list[str]) -> np.ndarray:
        embed_many = getattr(self.embedder, "embed_many_cached", None)
        if embed_many is not None:
            return np.asarray(embed_many(texts))
        return np.vstack([self.embedder.embed_query(t) for t in texts])

    def score(
        self, question: str, history: list[Turn], hits: list[ScoredChunk]
    ) -> list[_Candidate]:
        """Every sentence of the retrieved passages, scored against the question, best first."""
        quotes: list[tuple[Quote, int]] = []
        for rank, hit in enumerate(hits):
            for start, end in sentence_spans(hit.chunk.text):
                quote = Quote(hit.chunk, start, end)
                if len(quote.text.split()) >= 4:
                    quotes.append((quote, rank))
        if not quotes:
            return []
        texts = [q.text for q, _ in quotes]
        follow_up = is_follow_up(question, history)
        context = last_user_turn(history) if follow_up else ""
        vectors = self._embed(texts)
        dense = vectors @ self.embedder.embed_query(question)
        q_terms = content_terms(question)
        if follow_up:
            dense = 0.5 * dense + 0.5 * (vectors @ self.embedder.embed_query(context))
            q_terms = q_terms | content_terms(context)
        candidates: list[_Candidate] = []
        for (quote, rank), sim, text in zip(quotes, dense, texts, strict=True):
            overlap = len(q_terms & content_terms(text)) / len(q_terms) if q_terms else 0.0
            score = (
                self.dense_weight * float(sim)
                + (1 - self.dense_weight) * overlap
                + _type_bonus(question, text)
            )
            candidates.append(_Candidate(quote, score, rank))
        candidates.sort(key=lambda c: (-c.score, c.hit_rank, c.quote.start))
        return candidates

    def answer(self, question: str, history: list[Turn], hits: list[ScoredChunk]) -> Answer:
        candidates = self.score(question, history, hits)
        if not candidates or candidates[0].score < self.min_score:
            return abstain(hits, self.name)
        best = candidates[0].score
        chosen: list[_Candidate] = []
        for cand in candidates:
            if len(chosen) >= self.max_sentences or cand.score < max(self.min_score, best - self.margin):
                break
            if any(_overlaps(cand.quote, c.quote) for c in chosen):
                continue
            chosen.append(cand)
        quotes = [c.quote for c in chosen]
        citations, numbers = number_citations(quotes)
        sentences = [
            AnswerSentence(text=q.text, citations=(n,), status="supported")
            for q, n in zip(quotes, numbers, strict=True)
        ]
        text = " ".join(f"{s.text} [{s.citations[0]}]" for s in sentences)
        return Answer(
            text=text,
            abstained=False,
            citations=citations,
            sentences=sentences,
            retrieved=hits,
            backend=self.name,
        )

    def stream(
        self, question: str, history: list[Turn], hits: list[ScoredChunk]
    ) -> Iterator[str | Answer]:
        answer = self.answer(question, history, hits)
        if answer.abstained:
            yield answer.text
        else:
            for i, sentence in enumerate(answer.sentences):
                yield ("" if i == 0 else " ") + f"{sentence.text} [{sentence.citations[0]}]"
        yield answer


def _overlaps(a: Quote, b: Quote) -> bool:
    """The same sentence reached through two overlapping chunks."""
    if a.chunk.document_id != b.chunk.document_id:
        return a.text == b.text
    a0, a1 = a.chunk.start + a.start, a.chunk.start + a.end
    b0, b1 = b.chunk.start + b.start, b.chunk.start + b.end
    return a0 < b1 and b0 < a1
