"""The LLM answerer the settings ask for: one backend module per `settings.llm`, and its budget.

A remote model gets every retrieved passage and room for four sentences; the local model, small
and on the CPU, gets what the `llm_local_*` settings allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.errors import AssistantError
from assistant.generation.base import Answerer
from assistant.generation.llm.answerer import LLMAnswerer
from assistant.generation.llm.chat import ChatBackend
from assistant.generation.llm.local import local_backend
from assistant.generation.llm.ollama import ollama_backend
from assistant.generation.llm.openai import openai_backend
from assistant.index.embedder import Embedder
from assistant.reading import Calibration, Reader

if TYPE_CHECKING:
    from assistant.config import Settings


@dataclass(frozen=True)
class PromptBudget:
    """How much goes into one prompt and comes back: passages, their length, turns, reply."""

    max_tokens: int
    max_sources: int
    max_source_chars: int | None
    max_sentences: int
    history_turns: int


def prompt_budget(settings: Settings) -> PromptBudget:
    """The local backend's budget from its settings; every other backend's fixed one."""
    if settings.llm == "local":
        return PromptBudget(
            max_tokens=settings.llm_local_max_tokens,
            max_sources=min(settings.k, settings.llm_local_sources),
            max_source_chars=settings.llm_local_source_chars,
            max_sentences=settings.llm_local_max_sentences,
            history_turns=settings.llm_local_history_turns,
        )
    return PromptBudget(
        max_tokens=400,
        max_sources=settings.k,
        max_source_chars=None,
        max_sentences=4,
        history_turns=4,
    )


def make_chat_model(settings: Settings, *, max_tokens: int = 400) -> ChatBackend:
    """The LangChain chat model for settings.llm, its display name, and how to stop it."""
    match settings.llm:
        case "openai":
            return openai_backend(settings, max_tokens)
        case "ollama":
            return ollama_backend(settings, max_tokens)
        case "local":
            return local_backend(settings, max_tokens)
        case other:
            raise AssistantError(
                f"unknown LLM backend '{other}': use none, openai, ollama or local"
            )


def make_llm_answerer(
    settings: Settings, offline: Answerer, embedder: Embedder, reader: Reader | None = None
) -> LLMAnswerer:
    """The LLMAnswerer for the configured backend, within its prompt budget."""
    budget = prompt_budget(settings)
    backend = make_chat_model(settings, max_tokens=budget.max_tokens)
    calibration = reader.calibration if reader is not None else Calibration()
    return LLMAnswerer(
        chat_model=backend.model,
        name=backend.name,
        offline=offline,
        embedder=embedder,
        reader=reader,
        min_entailed=calibration.min_entailed,
        min_contradicted=calibration.min_contradicted,
        timeout=settings.llm_timeout,
        min_supported=settings.llm_min_supported,
        max_sources=budget.max_sources,
        max_source_chars=budget.max_source_chars,
        max_sentences=budget.max_sentences,
        history_turns=budget.history_turns,
        closer=backend.closer,
    )
