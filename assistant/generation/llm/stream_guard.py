"""The stream time-out guard: a chat model's text deltas, with one deadline for the whole reply.

The client's own timeout is the first guard; this deadline also covers a server that keeps a
connection open while sending nothing. Any client error, or the deadline, becomes `LLMFailure`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage


class LLMFailure(Exception):
    """The model raised, timed out, or replied with nothing (the answerer falls back)."""


def delta_text(content: Any) -> str:
    """The text of one streamed message chunk (a string, or a list of text parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in content
            if isinstance(part, str | dict)
        )
    return ""


def guarded_stream(
    chat_model: BaseChatModel, messages: list[BaseMessage], timeout: float
) -> Iterator[str]:
    """The model's text deltas, read in a worker thread; LLMFailure after `timeout` seconds in all."""
    channel: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            for chunk in chat_model.stream(messages):
                if stop.is_set():
                    return
                text = delta_text(chunk.content)
                if text:
                    channel.put(("delta", text))
            channel.put(("done", None))
        except Exception as exc:  # any client error means: fall back
            channel.put(("error", exc))

    threading.Thread(target=work, name="llm-stream", daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise queue.Empty
                kind, value = channel.get(timeout=remaining)
            except queue.Empty:
                raise LLMFailure(f"no complete reply within {timeout:g} s") from None
            if kind == "delta":
                yield str(value)
            elif kind == "error":
                raise LLMFailure(f"{type(value).__name__}: {value}") from value
            else:
                return
    finally:
        stop.set()  # on a timeout, or a caller that stopped reading: the worker stops the stream
