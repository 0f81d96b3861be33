"""Generative answers from an LLM, held to their citations.

One module per job:

- `prompt`: the rules, the numbered `<source>` blocks, the decline phrase;
- `stream_guard`: the model's deltas with one deadline for the whole reply;
- `answerer`: `LLMAnswerer` (prompt, stream, verify) and the record of one run, `LLMRun`;
- `fallback`: when the offline answer replaces the LLM's, and how it is marked;
- `condenser`: the LLM rewrites a follow-up as a standalone question;
- `openai`, `ollama`, `local`: one backend each (LangChain chat models, imported lazily);
- `factory`: the answerer the settings ask for, within its prompt budget.

LangChain types stay inside this package.
"""

from assistant.generation.llm.answerer import LLMAnswerer, LLMRun
from assistant.generation.llm.condenser import condenser_for, make_llm_condenser, short_replies
from assistant.generation.llm.factory import make_chat_model, make_llm_answerer, prompt_budget
from assistant.generation.llm.local import LocalLlamaServer, find_packaged_gguf
from assistant.generation.llm.prompt import DECLINE, build_messages, format_sources, is_decline
from assistant.generation.llm.stream_guard import LLMFailure, guarded_stream

__all__ = [
    "DECLINE",
    "LLMAnswerer",
    "LLMFailure",
    "LLMRun",
    "LocalLlamaServer",
    "build_messages",
    "condenser_for",
    "find_packaged_gguf",
    "format_sources",
    "guarded_stream",
    "is_decline",
    "make_chat_model",
    "make_llm_answerer",
    "make_llm_condenser",
    "prompt_budget",
    "short_replies",
]
