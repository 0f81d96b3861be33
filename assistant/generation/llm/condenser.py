"""The question condenser: an LLM rewrites a follow-up as one standalone question for retrieval.

Any error, timeout, empty or implausible rewrite falls back to the offline heuristic
(`assistant.conversation.standalone_query`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.conversation import standalone_query
from assistant.generation.base import Answerer
from assistant.generation.llm.answerer import LLMAnswerer
from assistant.generation.llm.stream_guard import LLMFailure, guarded_stream
from assistant.types import Turn

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

Condenser = Callable[[str, list[Turn]], str]

CONDENSE_PROMPT = """Rewrite the user's last question as one standalone question that can be \
understood without the conversation. Keep names, numbers and dates. Reply with the question \
only."""

_LABEL = re.compile(r"^(standalone question|question)\s*:\s*", re.IGNORECASE)


def make_llm_condenser(
    chat_model: BaseChatModel,
    *,
    timeout: float = 30.0,
    fallback: Condenser = standalone_query,
    history_turns: int = 4,
) -> Condenser:
    """A condenser that has the LLM rewrite a follow-up as a standalone question.

    Without history the question is used as is (no model call).
    """
    from langchain_core.messages import HumanMessage, SystemMessage

    def condense(question: str, history: list[Turn]) -> str:
        if not any(t.role == "user" for t in history):
            return question
        lines = [
            f"{'User' if t.role == 'user' else 'Assistant'}: {t.content[:400]}"
            for t in history[-history_turns:]
        ]
        messages = [
            SystemMessage(CONDENSE_PROMPT),
            HumanMessage(
                "Conversation:\n" + "\n".join(lines) + f"\n\nLast question: {question}\n"
                "Standalone question:"
            ),
        ]
        try:
            reply = "".join(guarded_stream(chat_model, messages, timeout))
        except LLMFailure as exc:
            log.info("condenser fell back to the heuristic: %s", exc)
            return fallback(question, history)
        rewritten = _clean_rewrite(reply)
        if not rewritten or len(rewritten) > max(300, 3 * len(question)):
            return fallback(question, history)
        return rewritten

    return condense


def _clean_rewrite(reply: str) -> str:
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    return _LABEL.sub("", lines[0]).strip().strip("\"'“”").strip()


def condenser_for(answerer: Answerer, timeout: float) -> Condenser | None:
    """The LLM condenser sharing an LLMAnswerer's model; None (the heuristic) otherwise."""
    if isinstance(answerer, LLMAnswerer):
        return make_llm_condenser(short_replies(answerer.chat_model), timeout=timeout)
    return None


def short_replies(chat_model: BaseChatModel, max_tokens: int = 64) -> BaseChatModel:
    """A copy of the chat model that stops after max_tokens (a rewritten question is short)."""
    fields = type(chat_model).model_fields
    for name in ("max_tokens", "num_predict"):
        if name in fields:
            return chat_model.model_copy(update={name: max_tokens})
    return chat_model
