"""Runtime closes what it started: the local LLM server stops on close(), on `with`, and when a
command of the CLI ends; components handed in as overrides are the caller's to close.

xllamacpp is replaced by a fake that records the server's parameters and when it is stopped, so
these tests load no model.
"""

from __future__ import annotations

import sys
import weakref
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest

from assistant.config import Settings
from assistant.generation.llm import LLMAnswerer
from assistant.runtime import Runtime
from assistant.testing import FakeAnswerer, FakeEmbedder, InMemoryStore

pytest.importorskip("langchain_openai")


class FakeServer:
    """Stands in for xllamacpp.Server: running until the last reference to it goes."""

    params: ClassVar[list[Any]] = []  # the parameters of every server started in the test
    alive: ClassVar[weakref.WeakSet[FakeServer]] = weakref.WeakSet()

    def __init__(self, params: Any) -> None:
        FakeServer.params.append(params)
        FakeServer.alive.add(self)
        self.listening_address = "http://127.0.0.1:9/"


def _params() -> SimpleNamespace:
    section = SimpleNamespace
    return section(
        model=section(), cpuparams=section(), cpuparams_batch=section(), sampling=section()
    )


@pytest.fixture
def fake_xllamacpp(monkeypatch: pytest.MonkeyPatch) -> None:
    module = SimpleNamespace(CommonParams=_params, Server=FakeServer)
    monkeypatch.setitem(sys.modules, "xllamacpp", module)
    FakeServer.params.clear()


@pytest.fixture
def local_settings(tmp_path: Path) -> Settings:
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF")
    return Settings(
        data_dir=tmp_path / "data",
        llm="local",
        llm_model_path=gguf,
        k=5,
        llm_local_context=1024,
        llm_local_threads=3,
        llm_local_max_tokens=77,
        llm_local_sources=2,
        llm_local_source_chars=500,
        llm_local_max_sentences=2,
        llm_local_history_turns=1,
    )


def fake_runtime_for(settings: Settings) -> Runtime:
    return Runtime(settings, embedder_override=FakeEmbedder(), store_override=InMemoryStore())


def server_running() -> bool:
    return len(FakeServer.alive) > 0


def test_local_settings_size_the_server_and_the_prompt(
    fake_xllamacpp: None, local_settings: Settings
) -> None:
    with fake_runtime_for(local_settings) as runtime:
        answerer = runtime.answerer
        assert isinstance(answerer, LLMAnswerer)
        (params,) = FakeServer.params
        assert params.n_ctx == 1024 and params.n_predict == 77
        assert params.cpuparams.n_threads == params.cpuparams_batch.n_threads == 3
        assert params.hostnames == ["127.0.0.1"]
        assert answerer.name == "local:tiny.gguf"
        assert answerer.chat_model.max_tokens == 77  # type: ignore[attr-defined]
        assert (answerer.max_sources, answerer.max_source_chars) == (2, 500)
        assert (answerer.max_sentences, answerer.history_turns) == (2, 1)


def test_close_stops_the_local_server_once(fake_xllamacpp: None, local_settings: Settings) -> None:
    runtime = fake_runtime_for(local_settings)
    assert isinstance(runtime.answerer, LLMAnswerer)
    assert server_running()
    runtime.close()
    assert not server_running()
    runtime.close()  # idempotent
    assert runtime.closers == []


def test_with_block_stops_the_server_on_error(
    fake_xllamacpp: None, local_settings: Settings
) -> None:
    with pytest.raises(RuntimeError, match="boom"), fake_runtime_for(local_settings) as runtime:
        assert isinstance(runtime.answerer, LLMAnswerer)
        assert server_running()
        raise RuntimeError("boom")
    assert not server_running()


def test_a_failing_closer_does_not_keep_the_others_open(tmp_path: Path) -> None:
    closed: list[str] = []

    def broken() -> None:
        raise OSError("already gone")

    runtime = Runtime(Settings(data_dir=tmp_path), closers=[lambda: closed.append("first")])
    runtime.closers.append(broken)
    runtime.close()
    assert closed == ["first"] and runtime.closers == []


def test_overrides_are_the_callers_to_close(tmp_path: Path) -> None:
    class ClosingAnswerer(FakeAnswerer):
        closed = False

        def close(self) -> None:
            self.closed = True

    answerer = ClosingAnswerer()
    with Runtime(Settings(data_dir=tmp_path, llm="local"), answerer_override=answerer) as runtime:
        assert runtime.answerer is answerer
    assert not answerer.closed


def test_the_cli_stops_the_server_when_the_command_ends(
    fake_xllamacpp: None,
    local_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import assistant.cli.context as context
    from assistant.cli.main import main

    monkeypatch.setattr(context, "Runtime", fake_runtime_for)
    monkeypatch.setenv("ASSISTANT_LLM", "local")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL_PATH", str(local_settings.llm_model_path))
    main(["--data-dir", str(local_settings.data_dir), "ask", "Who opened the bridge?"])
    assert "The sources don't say" in capsys.readouterr().out  # empty knowledge base
    assert FakeServer.params, "the command did not start the local server"
    assert not server_running()


def test_close_closes_the_registry_it_opened(tmp_path: Path) -> None:
    import sqlite3

    runtime = Runtime(
        Settings(data_dir=tmp_path),
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
    )
    registry = runtime.knowledge.registry
    assert registry.all() == []
    runtime.close()
    with pytest.raises(sqlite3.ProgrammingError):
        registry.all()
