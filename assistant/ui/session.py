"""One reader's state on the page (kept in `gr.State`, never in a module): the turns the chain
sees, the answers shown (so a rating can say what was rated), and the text around cited passages.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from assistant.knowledge import KnowledgeBase
from assistant.serialise import history_json
from assistant.types import Answer, Chunk, Turn
from assistant.ui import render
from assistant.ui.feedback import FeedbackEntry

log = logging.getLogger(__name__)


@dataclass
class Exchange:
    """One answered question, kept so feedback can say what was rated."""

    question: str
    answer: str
    citations: list[dict[str, Any]]
    abstained: bool
    history: list[dict[str, str]] = field(default_factory=list)  # the turns before the question
    retrieved: list[dict[str, str]] = field(default_factory=list)  # the passages it read

    @classmethod
    def of(cls, question: str, answer: Answer, before: list[Turn], passages: int) -> Exchange:
        """The exchange of `answer`, with the first `passages` passages it read."""
        return cls(
            question=question,
            answer=answer.text,
            citations=[c.to_json() for c in answer.citations],
            abstained=answer.abstained,
            history=history_json(before),
            retrieved=[
                {
                    "chunk_id": hit.chunk.chunk_id,
                    "document_id": hit.chunk.document_id,
                    "source": hit.chunk.source,
                    "text": hit.chunk.text,
                }
                for hit in answer.retrieved[:passages]
            ],
        )


@dataclass
class ChatSession:
    """One reader's conversation: the turns the chain sees and the answers shown to them."""

    turns: list[Turn] = field(default_factory=list)
    exchanges: dict[int, Exchange] = field(default_factory=dict)  # chatbot index -> exchange
    pending: FeedbackEntry | None = None  # the last rating, waiting for an optional comment
    owner: str | None = None  # whose conversations these are (chats/store.py); None: not kept
    conversation_id: str | None = None  # the kept conversation this one continues

    def fresh(self) -> ChatSession:
        """A new conversation of the same reader."""
        return ChatSession(owner=self.owner)

    def record(
        self, index: int, question: str, answer: Answer, *, max_turns: int, passages: int
    ) -> None:
        """Remember an answer shown at chatbot message `index`; keep the last `max_turns` turns."""
        before = list(self.turns)
        self.turns.extend([Turn("user", question), Turn("assistant", answer.text)])
        excess = len(self.turns) - max_turns
        if excess > 0:
            del self.turns[:excess]
        self.exchanges[index] = Exchange.of(question, answer, before, passages)


class SourceContexts:
    """The text around cited passages, from each document's neighbouring chunks.

    A document's chunks are fetched once per version (the registry's sha256) and kept for the
    few most recently cited documents, so a long document is not re-read for every answer.
    """

    def __init__(self, knowledge: KnowledgeBase, keep: int = 8) -> None:
        self.knowledge = knowledge
        self.keep = keep
        self._cache: OrderedDict[tuple[str, str], list[Chunk]] = OrderedDict()
        self._lock = threading.Lock()

    def _chunks(self, document_id: str) -> list[Chunk]:
        record = self.knowledge.registry.get(document_id)
        key = (document_id, record.sha256 if record is not None else "")
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        chunks = self.knowledge.document_chunks(document_id)
        with self._lock:
            self._cache[key] = chunks
            while len(self._cache) > self.keep:
                self._cache.popitem(last=False)
        return chunks

    def __call__(self, answer: Answer) -> dict[str, render.SourceContext]:
        contexts: dict[str, render.SourceContext] = {}
        for c in answer.citations:
            try:
                chunks = self._chunks(c.document_id)
            except Exception:  # the panel is a convenience: never lose the answer over it
                log.exception("reading the chunks of %s failed", c.document_id)
                continue
            contexts[c.chunk_id] = render.neighbours(chunks, c.chunk_id)
        return contexts
