"""The fallback policy: when the offline answer replaces the LLM's, and how that answer is marked.

The LLM's answer is replaced when the model fails or times out, replies with nothing, or too
little of its reply survives verification. A reply that is the decline phrase is an honest
abstention, not a fallback (the answerer decides that before asking this module).
"""

from __future__ import annotations

import logging

from assistant.citations import VerifiedText
from assistant.generation.base import Answerer
from assistant.generation.llm.stream_guard import LLMFailure
from assistant.types import Answer, ScoredChunk, Turn

log = logging.getLogger(__name__)

EMPTY_REPLY = "empty reply"


def failed(exc: LLMFailure) -> str:
    """The reason recorded when the model raised or timed out."""
    return f"LLM failed: {exc}"


def shortfall(verified: VerifiedText, min_supported: float) -> str | None:
    """Why too little of a verified reply survived, or None when enough did."""
    supported = sum(s.status == "supported" for s in verified.sentences)
    if supported and verified.supported_share >= min_supported:
        return None
    return (
        f"{supported} of {len(verified.sentences)} sentences supported "
        f"(minimum share {min_supported:g})"
    )


def offline_instead(
    offline: Answerer,
    backend: str,
    question: str,
    history: list[Turn],
    hits: list[ScoredChunk],
    reason: str,
) -> Answer:
    """The offline answerer's Answer, named after the LLM backend and marked as a fallback."""
    log.info("%s: offline answer used instead: %s", backend, reason)
    answer = offline.answer(question, history, hits)
    answer.backend = backend
    answer.fallback = True
    return answer
