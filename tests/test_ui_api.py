"""The served app through gradio_client: ask, follow-up, upload, remove, limits, login, concurrency."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import numpy as np
import pytest

from tests.ui_helpers import NEW_DOC, NEW_DOC_NAME, NEW_DOC_QUESTION, real_runtime_copy, serving

pytestmark = pytest.mark.integration


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def real_url(tmp_path_factory: pytest.TempPathFactory, real_kb_dir, real_embedder) -> Iterator[str]:  # type: ignore[no-untyped-def]
    runtime = real_runtime_copy(tmp_path_factory, real_kb_dir, real_embedder)
    with serving(runtime) as url:
        yield url


@pytest.fixture(scope="module")
def client(real_url: str) -> Any:
    from gradio_client import Client

    return Client(real_url, verbose=False)


def test_ask_returns_a_cited_answer(client: Any) -> None:
    result = client.predict(
        "How much will Japan's defence budget grow by 2027?", [], api_name="/ask"
    )
    assert result["abstained"] is False
    assert "65 per cent" in result["answer"] and "[1]" in result["answer"]
    first = result["citations"][0]
    start, end = first["highlights"][0]
    assert first["passage"][start:end] == first["quote"]
    assert first["location"].startswith("paragraph")


def test_follow_up_uses_the_conversation(client: Any) -> None:
    first = client.predict("What is the OSA framework?", [], api_name="/ask")
    history = [
        {"role": "user", "content": "What is the OSA framework?"},
        {"role": "assistant", "content": first["answer"]},
    ]
    follow = client.predict("What will Japan provide under it?", history, api_name="/ask")
    assert "OSA" in follow["query"]  # the follow-up was read in the context of the first question
    assert follow["abstained"] is False
    assert "equipment" in follow["answer"]


def test_bad_question_is_a_one_line_error(client: Any) -> None:
    result = client.predict("   ", [], api_name="/ask")
    assert set(result) == {"error"} and "empty" in result["error"]


def test_upload_answer_from_it_then_remove_it(client: Any) -> None:
    before = client.predict(api_name="/documents")
    assert len(before["documents"]) == 1

    added = client.predict(NEW_DOC_NAME, b64(NEW_DOC), api_name="/upload")
    [row] = added["results"]
    assert row["status"] == "added" and row["chunks"] >= 1
    doc_id = row["document_id"]

    listed = client.predict(api_name="/documents")
    assert doc_id in [d["document_id"] for d in listed["documents"]]
    assert listed["chunks"] == before["chunks"] + row["chunks"]

    answer = client.predict(NEW_DOC_QUESTION, [], api_name="/ask")
    assert "Nagoya" in answer["answer"]
    assert doc_id in [c["document_id"] for c in answer["citations"]]

    again = client.predict(NEW_DOC_NAME, b64(NEW_DOC), api_name="/upload")
    assert again["results"][0]["status"] == "unchanged"

    removed = client.predict(doc_id, api_name="/remove")
    assert removed["removed"] == doc_id and removed["chunks"] == row["chunks"]
    after = client.predict(api_name="/documents")
    assert doc_id not in [d["document_id"] for d in after["documents"]]
    assert after["chunks"] == before["chunks"]
    gone = client.predict(NEW_DOC_QUESTION, [], api_name="/ask")
    assert doc_id not in [c["document_id"] for c in gone["citations"]]
    assert doc_id not in [h["document_id"] for h in gone["retrieved"]]

    assert "no document" in client.predict(doc_id, api_name="/remove")["error"]


def test_upload_checks_content_not_just_the_name(client: Any) -> None:
    fake_pdf = client.predict("report.pdf", b64(b"just text, not a PDF"), api_name="/upload")
    assert fake_pdf["results"][0]["status"] == "rejected"
    assert fake_pdf["results"][0]["reason"]
    exe = client.predict("tool.exe", b64(b"MZ\x90\x00binary"), api_name="/upload")
    assert exe["results"][0]["status"] == "rejected"
    path_name = client.predict(
        "../../etc/evil.md", b64(b"# Evil\n\nText here."), api_name="/upload"
    )
    assert path_name["results"][0]["name"] == "evil.md"  # a label, never a path
    client.predict(path_name["results"][0]["document_id"], api_name="/remove")
    assert "base64" in client.predict("x.md", "%%%", api_name="/upload")["error"]


# ---- a fake runtime whose ingest waits for the test: chat must not wait for it ----


class GatedIngestEmbedder:
    """The fake embedder, but embedding documents waits until the test opens `gate` (queries
    stay fast). `started` is set when an embedding begins, `finished` when one has returned: the
    test reads the order of events, not the clock. `hold` only bounds a broken run's wait."""

    def __init__(self, hold: float = 60.0) -> None:
        from assistant.testing import FakeEmbedder

        self.inner = FakeEmbedder()
        self.hold = hold
        self.gate = threading.Event()
        self.gate.set()  # open until the test closes it
        self.started = threading.Event()
        self.finished = threading.Event()
        self.name = "gated-fake"

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(
        self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        self.started.set()
        self.gate.wait(self.hold)
        try:
            return self.inner.embed(texts, on_batch=on_batch)
        finally:
            self.finished.set()

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def embed_many_cached(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_many_cached(texts)


@pytest.fixture(scope="module")
def fake_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, GatedIngestEmbedder]]:
    from assistant.config import Settings
    from assistant.runtime import Runtime
    from assistant.testing import FakeAnswerer, InMemoryStore

    embedder = GatedIngestEmbedder()
    settings = Settings(data_dir=tmp_path_factory.mktemp("fake-ui"), max_file_mb=0.01)
    runtime = Runtime(
        settings,
        embedder_override=embedder,
        store_override=InMemoryStore(),
        answerer_override=FakeAnswerer(),
    )
    runtime.knowledge.ingest_bytes(
        [("alliance.md", b"# Alliance\n\nThe alliance was upgraded in April 2024.")]
    )
    with serving(runtime) as url:
        yield url, embedder


def test_an_upload_in_progress_does_not_block_chatting(
    fake_server: tuple[str, GatedIngestEmbedder],
) -> None:
    from gradio_client import Client

    url, embedder = fake_server
    uploader, reader = Client(url, verbose=False), Client(url, verbose=False)
    embedder.gate.clear()
    embedder.started.clear()
    embedder.finished.clear()
    try:
        job = uploader.submit(
            "slow.md", b64(b"# Slow\n\nA slow document about trade."), api_name="/upload"
        )
        assert embedder.started.wait(60), "the upload never started embedding"
        answer = reader.predict("When was the alliance upgraded?", [], api_name="/ask")
        # the ask was answered while the upload was still held inside its embedding: had chat
        # waited for the ingest, it could only have answered after the gate's hold ran out
        assert not embedder.finished.is_set(), "the ask waited for the upload"
        assert not job.done(), "the upload should still be running"
        assert answer["citations"]
    finally:
        embedder.gate.set()
    assert job.result(timeout=60)["results"][0]["status"] == "added"
    assert embedder.finished.is_set()


def test_api_upload_size_limit(fake_server: tuple[str, Any]) -> None:
    from gradio_client import Client

    url, _ = fake_server
    client = Client(url, verbose=False)
    result = client.predict("big.txt", b64(b"x" * 20_000), api_name="/upload")
    assert "upload limit" in result["error"]


def test_login_is_required_when_auth_is_set(tmp_path_factory: pytest.TempPathFactory) -> None:
    from gradio_client import Client
    from pydantic import SecretStr

    from assistant.config import Settings
    from assistant.runtime import Runtime
    from assistant.testing import FakeAnswerer, FakeEmbedder, InMemoryStore

    settings = Settings(data_dir=tmp_path_factory.mktemp("auth-ui"), auth=SecretStr("ann:pw"))
    runtime = Runtime(
        settings,
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
        answerer_override=FakeAnswerer(),
    )
    with serving(runtime) as url:
        # without a login: the app's config, its API description and its endpoints are refused
        assert httpx.get(url + "config").status_code == 401
        assert httpx.get(url + "gradio_api/info").status_code == 401
        call = httpx.post(url + "gradio_api/call/documents", json={"data": []})
        assert call.status_code == 401, call.text
        # wrong credentials: the login itself is refused, with gradio's message, and no session
        for user, password in (("ann", "wrong"), ("bob", "pw"), ("ann", "PW")):
            refused = httpx.post(url + "login", data={"username": user, "password": password})
            assert refused.status_code == 400, (user, password, refused.text)
            assert refused.json() == {"detail": "Incorrect credentials."}
            assert not any(name.startswith("access-token") for name in refused.cookies)
        with pytest.raises(ValueError, match=r"^Could not login to "):
            Client(url, auth=("ann", "wrong"), verbose=False)
        # the right ones: a session cookie, and the API answers
        accepted = httpx.post(url + "login", data={"username": "ann", "password": "pw"})
        assert accepted.status_code == 200 and accepted.json() == {"success": True}
        assert any(name.startswith("access-token") for name in accepted.cookies)
        listed = Client(url, auth=("ann", "pw"), verbose=False).predict(api_name="/documents")
        assert listed == {"documents": [], "chunks": 0}
