"""The `openai` backend: any OpenAI-compatible endpoint (OpenAI, vLLM, LM Studio, llama-server)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, MissingExtra
from assistant.generation.llm.chat import ChatBackend

if TYPE_CHECKING:
    from assistant.config import Settings


def import_chat_openai(backend: str, extra: str) -> Any:
    """langchain-openai's ChatOpenAI, or MissingExtra naming the extra that installs it."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise MissingExtra(
            f"the '{backend}' backend needs langchain-openai: pip install 'assistant[{extra}]'"
        ) from exc
    return ChatOpenAI


def openai_backend(settings: Settings, max_tokens: int) -> ChatBackend:
    """A ChatOpenAI for settings.llm_model at the configured server (or OpenAI's)."""
    if not settings.llm_model:
        raise AssistantError(
            "the 'openai' backend needs a model: set ASSISTANT_LLM_MODEL (e.g. gpt-4o-mini)"
        )
    key = settings.api_key
    if not key and not settings.llm_base_url:
        raise AssistantError(
            "the 'openai' backend needs an API key (ASSISTANT_LLM_API_KEY or "
            "OPENAI_API_KEY) or a server (ASSISTANT_LLM_BASE_URL)"
        )
    chat_openai = import_chat_openai("openai", "llm")
    model = chat_openai(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=key or "not-needed",
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=0,
        max_tokens=max_tokens,
    )
    return ChatBackend(model, f"openai:{settings.llm_model}")
