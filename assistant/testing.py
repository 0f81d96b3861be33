"""Deterministic fakes for every seam (embedder, store, answerer, chat model), for fast tests
without models."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from assistant.generation.base import abstain
from assistant.reading import Calibration, Entailment, entailment_from_probs
from assistant.types import (
    DECLINE_HEADING,
    Answer,
    AnswerSentence,
    Chunk,
    Citation,
    DeclineReason,
    ScoredChunk,
    Turn,
)

_WORD = re.compile(r"[a-z0-9]+")


class FakeEmbedder:
    """Hashed bag of words: texts sharing words get similar vectors. Counts what it embeds."""

    name = "fake-embedder"

    def __init__(self, dimension: int = 64) -> None:
        self._dimension = dimension
        self.embedded: list[str] = []

    @property
    def dimension(self) -> int:
        return self._dimension

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self._dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            slot = int(hashlib.md5(word[:6].encode()).hexdigest(), 16) % self._dimension
            vec[slot] += 1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0:
            vec[0] = 1.0
            norm = 1.0
        return vec / norm

    def embed(
        self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        self.embedded.extend(texts)
        if on_batch is not None and texts:
            on_batch(len(texts))
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return np.vstack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_many_cached(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return np.vstack([self._vector(t) for t in texts])


_NEGATION = re.compile(r"\b(not|never|no)\b|n't\b")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")


class FakeReader:
    """Word-overlap reading: answers = share of the question's content words in the text;
    entails = contradicted when the claim's negations or digits differ from the passage's,
    entailed when 80% of its content words are in the passage, neutral otherwise."""

    name = "fake-reader"

    def __init__(self, calibration: Calibration | None = None) -> None:
        self.calibration = calibration or Calibration()
        self.answer_calls = 0
        self.entail_calls = 0

    @staticmethod
    def _terms(text: str) -> frozenset[str]:
        from assistant.generation.extractive import content_terms

        return content_terms(text)

    def answers(self, question: str, texts: Sequence[str]) -> list[float]:
        self.answer_calls += len(texts)
        asked = self._terms(question)
        if not asked:
            return [0.0 for _ in texts]
        return [round(len(asked & self._terms(t)) / len(asked), 4) for t in texts]

    def entails(self, claim: str, passages: Sequence[str]) -> list[Entailment]:
        self.entail_calls += len(passages)
        out: list[Entailment] = []
        claim_terms = self._terms(claim)
        for passage in passages:
            negation_differs = bool(_NEGATION.search(claim.lower())) != bool(
                _NEGATION.search(passage.lower())
            )
            digits_differ = not set(_DIGITS.findall(claim)) <= set(_DIGITS.findall(passage))
            covered = len(claim_terms & self._terms(passage)) / max(len(claim_terms), 1)
            if negation_differs or digits_differ:
                probs = (0.05, 0.05, 0.9)
            elif covered >= 0.8:
                probs = (0.9, 0.05, 0.05)
            else:
                probs = (0.1, 0.8, 0.1)
            out.append(entailment_from_probs(np.array(probs)))
        return out


class InMemoryStore:
    """A ChunkStore in a dict, with exact cosine search."""

    def __init__(self) -> None:
        self._chunks: dict[str, Chunk] = {}
        self._vectors: dict[str, np.ndarray] = {}

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        for chunk, vector in zip(chunks, vectors, strict=True):
            self._chunks[chunk.chunk_id] = chunk
            self._vectors[chunk.chunk_id] = np.asarray(vector, dtype=np.float32)

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        for chunk in chunks:
            if chunk.chunk_id in self._chunks:
                self._chunks[chunk.chunk_id] = chunk

    def delete(self, chunk_ids: Sequence[str]) -> None:
        for cid in chunk_ids:
            self._chunks.pop(cid, None)
            self._vectors.pop(cid, None)

    def ids(self, document_id: str | None = None) -> set[str]:
        return {cid for cid, c in self._chunks.items() if document_id in (None, c.document_id)}

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        return [self._chunks[c] for c in chunk_ids if c in self._chunks]

    def chunks(self, document_id: str | None = None) -> list[Chunk]:
        return [c for c in self._chunks.values() if document_id in (None, c.document_id)]

    def count(self) -> int:
        return len(self._chunks)

    def search(
        self, vector: np.ndarray, n: int, document_ids: Collection[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        scored = [
            (self._chunks[cid], float(np.dot(vec, vector)))
            for cid, vec in self._vectors.items()
            if document_ids is None or self._chunks[cid].document_id in document_ids
        ]
        scored.sort(key=lambda pair: (-pair[1], pair[0].chunk_id))
        return scored[:n]

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {cid: self._vectors[cid] for cid in chunk_ids if cid in self._vectors}

    def refresh(self) -> bool:
        return False  # one process's memory: never written by anyone else


class FakeAnswerer:
    """Answers with queued texts (or, with an empty queue, the first sentence of the top hit)."""

    name = "fake"

    def __init__(self) -> None:
        self._queue: list[str] = []
        self.calls: list[tuple[str, list[Turn], list[ScoredChunk]]] = []

    def enqueue(self, *texts: str) -> None:
        self._queue.extend(texts)

    def answer(self, question: str, history: list[Turn], hits: list[ScoredChunk]) -> Answer:
        self.calls.append((question, history, hits))
        if not hits:
            return abstain(hits, self.name, DeclineReason.NOTHING_RETRIEVED)
        top = hits[0].chunk
        text = self._queue.pop(0) if self._queue else top.text.split(". ")[0].rstrip(".") + "."
        citation = Citation(
            n=1,
            chunk_id=top.chunk_id,
            document_id=top.document_id,
            title=top.title,
            location=top.location,
            quote=text,
            passage=top.text,
            document_metadata=top.document_metadata,
        )
        return Answer(
            text=f"{text} [1]",
            abstained=False,
            citations=[citation],
            sentences=[AnswerSentence(text=text, citations=(1,), status="supported")],
            retrieved=hits,
            backend=self.name,
        )

    def stream(
        self, question: str, history: list[Turn], hits: list[ScoredChunk]
    ) -> Iterator[str | Answer]:
        answer = self.answer(question, history, hits)
        yield answer.text
        yield answer


@dataclass(frozen=True)
class Delayed:
    """A scripted reply that arrives only after `seconds` (for timeout tests)."""

    seconds: float
    reply: str = ""


class FakeChatModel(BaseChatModel):
    """A LangChain chat model that returns scripted replies in order (simonw/llm style).

    `enqueue` strings, exceptions (raised instead of replying) or Delayed (sleep, then reply).
    With an empty queue it replies with `default`. Streaming yields the reply word by word.
    Every call's messages are kept in `calls`.
    """

    replies: list[Any] = Field(default_factory=list)
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    default: str = f"{DECLINE_HEADING}."  # what the prompt tells a model to reply to decline

    def __init__(self, *replies: str | BaseException | Delayed, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.replies.extend(replies)

    @property
    def _llm_type(self) -> str:
        return "fake-chat"

    def enqueue(self, *replies: str | BaseException | Delayed) -> FakeChatModel:
        self.replies.extend(replies)
        return self

    def _next(self, messages: list[BaseMessage]) -> str:
        self.calls.append(list(messages))
        item = self.replies.pop(0) if self.replies else self.default
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, Delayed):
            time.sleep(item.seconds)
            return item.reply
        return str(item)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self._next(messages)))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for token in re.split(r"(\s+)", self._next(messages)):
            if token:
                yield ChatGenerationChunk(message=AIMessageChunk(content=token))
