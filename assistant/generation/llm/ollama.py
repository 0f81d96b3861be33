"""The `ollama` backend: a running Ollama server, through langchain-ollama."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, MissingExtra
from assistant.generation.llm.chat import ChatBackend

if TYPE_CHECKING:
    from assistant.config import Settings


def ollama_backend(settings: Settings, max_tokens: int) -> ChatBackend:
    """A ChatOllama for settings.llm_model at settings.llm_base_url (or Ollama's default)."""
    if not settings.llm_model:
        raise AssistantError(
            "the 'ollama' backend needs a model: set ASSISTANT_LLM_MODEL (e.g. llama3.2)"
        )
    try:
        from langchain_ollama import ChatOllama
    except ImportError as exc:
        raise MissingExtra(
            "the 'ollama' backend needs langchain-ollama: pip install 'assistant[llm]'"
        ) from exc
    kwargs: dict[str, Any] = {
        "model": settings.llm_model,
        "temperature": 0,
        "num_predict": max_tokens,
        "client_kwargs": {"timeout": settings.llm_timeout},
    }
    if settings.llm_base_url:
        kwargs["base_url"] = settings.llm_base_url
    return ChatBackend(ChatOllama(**kwargs), f"ollama:{settings.llm_model}")
