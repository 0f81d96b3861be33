"""What a backend module hands back: a LangChain chat model, its display name, how to stop it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


@dataclass(frozen=True)
class ChatBackend:
    """A ready chat model; `closer` stops what the backend started (None: nothing to stop)."""

    model: BaseChatModel
    name: str  # "openai:gpt-4o-mini", "ollama:llama3.2", "local:<file>.gguf"
    closer: Callable[[], None] | None = None
