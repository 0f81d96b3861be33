"""`LLMAnswerer`: an LLM's answer from numbered sources, held to what those sources support.

The retrieved passages go into the prompt (`prompt.py`), the model's reply streams to the caller
through the time-out guard (`stream_guard.py`), then every sentence is checked against the
passages it cites (`assistant.citations.verify_answer`). The final Answer's text holds only
supported sentences; every sentence is kept in `Answer.sentences` with its status. When the reply
cannot be used, the offline answer replaces it (`fallback.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.citations import (
    DEFAULT_MIN_SIMILARITY,
    VerifiedText,
    renumber_verified,
    verify_answer,
)
from assistant.generation.base import Answerer, abstain
from assistant.generation.llm import fallback
from assistant.generation.llm.prompt import build_messages, is_decline
from assistant.generation.llm.stream_guard import LLMFailure, guarded_stream
from assistant.index.embedder import Embedder
from assistant.reading import Reader
from assistant.types import Answer, Chunk, DeclineReason, ScoredChunk, Turn

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage


@dataclass
class LLMRun:
    """One generation and what verification made of it (for the answerer, the CLI and the eval)."""

    answer: Answer
    reply: str = ""
    verified: VerifiedText | None = None
    fallback_reason: str = ""  # "" unless the offline answer replaced the LLM's
    declined: bool = False


@dataclass
class LLMAnswerer:
    """Answers with an LLM from numbered sources, then keeps it to what the sources support."""

    chat_model: BaseChatModel
    name: str
    offline: Answerer
    embedder: Embedder
    timeout: float = 60.0
    min_supported: float = 0.5
    min_similarity: float = DEFAULT_MIN_SIMILARITY
    reader: Reader | None = None
    min_entailed: float = 0.5
    min_contradicted: float = 0.5
    max_sources: int = 6
    max_source_chars: int | None = None
    max_sentences: int = 4
    history_turns: int = 4
    closer: Callable[[], None] | None = field(default=None, repr=False)

    def answer(self, question: str, history: list[Turn], hits: list[ScoredChunk]) -> Answer:
        return self.run(question, history, hits).answer

    def stream(
        self, question: str, history: list[Turn], hits: list[ScoredChunk]
    ) -> Iterator[str | Answer]:
        """The model's raw deltas as they arrive, then the verified Answer (which replaces them)."""
        for item in self._generate(question, history, hits):
            yield item if isinstance(item, str) else item.answer

    def run(self, question: str, history: list[Turn], hits: list[ScoredChunk]) -> LLMRun:
        """Generate and verify without streaming; the whole record of what happened."""
        for item in self._generate(question, history, hits):
            if isinstance(item, LLMRun):
                return item
        raise AssertionError("unreachable: _generate always ends with an LLMRun")

    def close(self) -> None:
        """Stop what the backend started (the local server); nothing for remote backends."""
        if self.closer is not None:
            self.closer()

    def _generate(
        self, question: str, history: list[Turn], hits: list[ScoredChunk]
    ) -> Iterator[str | LLMRun]:
        if not hits:
            yield LLMRun(abstain(hits, self.name, DeclineReason.NOTHING_RETRIEVED), declined=True)
            return
        sources = {i: h.chunk for i, h in enumerate(hits[: self.max_sources], start=1)}
        parts: list[str] = []
        try:
            for delta in guarded_stream(
                self.chat_model, self._messages(question, history, sources), self.timeout
            ):
                parts.append(delta)
                yield delta
        except LLMFailure as exc:
            reason = fallback.failed(exc)
            yield self._fallback(question, history, hits, "".join(parts), reason)
            return
        yield self._judge(question, history, hits, sources, "".join(parts).strip())

    def _messages(
        self, question: str, history: list[Turn], sources: dict[int, Chunk]
    ) -> list[BaseMessage]:
        return build_messages(
            question,
            history,
            sources,
            max_sentences=self.max_sentences,
            max_source_chars=self.max_source_chars,
            history_turns=self.history_turns,
        )

    def _judge(
        self,
        question: str,
        history: list[Turn],
        hits: list[ScoredChunk],
        sources: dict[int, Chunk],
        reply: str,
    ) -> LLMRun:
        """What a complete reply becomes: a decline, the verified answer, or the offline one."""
        if not reply:
            return self._fallback(question, history, hits, reply, fallback.EMPTY_REPLY)
        if is_decline(reply):
            return LLMRun(
                abstain(hits, self.name, DeclineReason.MODEL_DECLINED), reply=reply, declined=True
            )
        verified = verify_answer(
            reply,
            sources,
            self.embedder,
            reader=self.reader,
            min_similarity=self.min_similarity,
            min_entailed=self.min_entailed,
            min_contradicted=self.min_contradicted,
        )
        reason = fallback.shortfall(verified, self.min_supported)
        if reason is not None:
            return self._fallback(question, history, hits, reply, reason, verified)
        text, citations, sentences = renumber_verified(verified.sentences)
        answer = Answer(
            text=text,
            abstained=False,
            citations=citations,
            sentences=sentences,
            retrieved=hits,
            backend=self.name,
        )
        return LLMRun(answer, reply=reply, verified=verified)

    def _fallback(
        self,
        question: str,
        history: list[Turn],
        hits: list[ScoredChunk],
        reply: str,
        reason: str,
        verified: VerifiedText | None = None,
    ) -> LLMRun:
        answer = fallback.offline_instead(self.offline, self.name, question, history, hits, reason)
        return LLMRun(answer, reply=reply, verified=verified, fallback_reason=reason)
