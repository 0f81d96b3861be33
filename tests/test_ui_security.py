"""The served app against hostile requests (issue 10): foreign Host and Origin headers (DNS
rebinding), oversized bodies, questions and histories, uploads of files the app never received,
too much at once or without a file name, and repeated failed sign-ins.

One fake app (no model) is served on loopback for the whole module; the guard's settings-driven
parts (other bind addresses, the sign-in clock) are also tested in process, without a server.
"""

from __future__ import annotations

import json
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr

from tests.ui_helpers import serving

ALLIANCE = b"# Alliance\n\nThe alliance was upgraded in April 2024."


def fake_runtime(data_dir: Path, **settings: Any) -> Any:
    from assistant.config import Settings
    from assistant.runtime import Runtime
    from assistant.testing import FakeAnswerer, FakeEmbedder, InMemoryStore

    return Runtime(
        Settings(data_dir=data_dir, **settings),
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
        answerer_override=FakeAnswerer(),
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """A fake app on loopback with small limits: 10 KB a file, 15 KB an upload, 4 turns of 200."""
    runtime = fake_runtime(
        tmp_path_factory.mktemp("security-ui"),
        max_file_mb=0.01,
        max_upload_mb=0.015,
        max_history_turns=4,
        max_turn_chars=200,
    )
    runtime.knowledge.ingest_bytes([("alliance.md", ALLIANCE)])
    with serving(runtime) as url:
        yield url, runtime


def document_ids(runtime: Any) -> set[str]:
    return {r.document_id for r in runtime.knowledge.documents()}


def one_line_refusal(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.text[:300])
    text = response.text.strip()
    assert text and "\n" not in text and "Traceback" not in text, text
    return text


def raw_request(url: str, head: str, body: bytes = b"", timeout: float = 5.0) -> bytes:
    """Send a request as raw bytes (a declared length need not be sent) and read the reply."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + body)
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        return reply


def run_event(url: str, api_name: str, data: list[Any]) -> dict[str, Any]:
    """Run one of the page's own (private) events through Gradio's queue, as the browser does."""
    config = httpx.get(url + "config").json()
    dependency = next(d for d in config["dependencies"] if d.get("api_name") == api_name)
    session = uuid.uuid4().hex
    joined = httpx.post(
        url + "gradio_api/queue/join",
        json={
            "data": data,
            "fn_index": dependency["id"],
            "session_hash": session,
            "event_data": None,
            "trigger_id": dependency["targets"][0][0],
        },
    )
    joined.raise_for_status()
    with httpx.stream(
        "GET", url + "gradio_api/queue/data", params={"session_hash": session}, timeout=30
    ) as events:
        for line in events.iter_lines():
            if line.startswith("data:"):
                message: dict[str, Any] = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError(f"{api_name} never completed")


def file_data(path: str, name: str) -> dict[str, Any]:
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}


# ---- 1. DNS rebinding: Host and Origin ----


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:7860", "localhost.evil.example", "127.0.0.1.nip.io"]
)
def test_a_foreign_host_name_is_refused(served: tuple[str, Any], host: str) -> None:
    url, runtime = served
    before = document_ids(runtime)
    for response in (
        httpx.get(url + "config", headers={"Host": host}),
        httpx.get(url + "gradio_api/info", headers={"Host": host}),
        httpx.post(url + "gradio_api/call/remove", json={"data": ["x"]}, headers={"Host": host}),
    ):
        assert "host" in one_line_refusal(response, 403).lower()
    assert document_ids(runtime) == before


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:1234", "LOCALHOST", "[::1]:80"])
def test_loopback_host_names_are_answered(served: tuple[str, Any], host: str) -> None:
    url, _ = served
    assert httpx.get(url + "config", headers={"Host": host}).status_code == 200


def test_a_request_from_another_origin_is_refused_and_not_echoed(served: tuple[str, Any]) -> None:
    url, runtime = served
    before = document_ids(runtime)
    for origin in ("http://evil.example", "null", "http://127.0.0.1.evil.example:80"):
        for response in (
            httpx.post(
                url + "gradio_api/call/documents", json={"data": []}, headers={"Origin": origin}
            ),
            httpx.post(
                url + "gradio_api/call/remove",
                json={"data": [next(iter(before))]},
                headers={"Origin": origin},
            ),
        ):
            assert "origin" in one_line_refusal(response, 403).lower()
            assert "access-control-allow-origin" not in response.headers
    assert document_ids(runtime) == before
    same_origin = url.rstrip("/")
    listed = httpx.post(
        url + "gradio_api/call/documents", json={"data": []}, headers={"Origin": same_origin}
    )
    assert listed.status_code == 200
    assert listed.headers.get("access-control-allow-origin") in (None, same_origin)


def test_allowed_hosts_setting_is_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.config import Settings

    monkeypatch.setenv("ASSISTANT_ALLOWED_HOSTS", " kb.example.org, Wiki.Example.ORG ,,")
    assert Settings().allowed_hosts == ["kb.example.org", "wiki.example.org"]
    monkeypatch.delenv("ASSISTANT_ALLOWED_HOSTS")
    assert Settings().allowed_hosts == []


def guarded(tmp_path: Path, bind: str, **settings: Any) -> Any:
    """A tiny Starlette app behind the guard the served app gets, in process (no server)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from assistant.config import Settings
    from assistant.ui.guard import guard_middleware

    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"read {len(await request.body())} bytes")

    app = Starlette(
        routes=[Route("/{path:path}", echo, methods=["GET", "POST"])],
        middleware=guard_middleware(Settings(data_dir=tmp_path, **settings), bind),
    )
    return TestClient(app, base_url="http://localhost:7860")


def test_beyond_loopback_only_the_configured_names_are_answered(tmp_path: Path) -> None:
    client = guarded(tmp_path, "0.0.0.0", allowed_hosts=["kb.example.org"])
    assert client.get("/", headers={"Host": "kb.example.org:7860"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost:7860"}).status_code == 200
    assert client.get("/", headers={"Host": "127.0.0.1"}).status_code == 200
    one_line_refusal(client.get("/", headers={"Host": "evil.example"}), 403)
    one_line_refusal(client.get("/", headers={"Host": "kb.example.org.evil.example"}), 403)
    one_line_refusal(client.get("/", headers={"Host": "user@kb.example.org"}), 403)
    ok = client.post("/", headers={"Host": "kb.example.org", "Origin": "https://kb.example.org"})
    assert ok.status_code == 200
    refused = client.post("/", headers={"Host": "kb.example.org", "Origin": "https://evil.example"})
    one_line_refusal(refused, 403)
    assert "access-control-allow-origin" not in refused.headers
    # a server bound to one address answers to it (Gradio checks itself through it at launch)
    bound = guarded(tmp_path, "192.0.2.7")
    assert bound.get("/", headers={"Host": "192.0.2.7:7860"}).status_code == 200
    one_line_refusal(bound.get("/", headers={"Host": "kb.example.org"}), 403)


def test_on_loopback_only_loopback_names_are_answered(tmp_path: Path) -> None:
    client = guarded(tmp_path, "127.0.0.1")
    for host in ("localhost", "localhost.", "127.0.0.1:7860", "[::1]:7860"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    for host in ("evil.example", "0.0.0.0", "[::ffff:7f00:1]x", ""):
        one_line_refusal(client.get("/", headers={"Host": host}), 403)


# ---- 2. request size, question length, history ----


def test_a_300_mb_request_is_refused_before_it_is_read(served: tuple[str, Any]) -> None:
    url, _ = served
    port = urlsplit(url).port
    for path in ("/gradio_api/call/ask", "/gradio_api/queue/join", "/gradio_api/upload"):
        reply = raw_request(
            url,
            f"POST {path} HTTP/1.1\nHost: 127.0.0.1:{port}\nContent-Type: application/json\n"
            f"Content-Length: {300 * 1024 * 1024}\n\n",
            b'{"data": ["' + b"x" * 1000,
        )
        status_line, _, rest = reply.partition(b"\r\n")
        assert status_line.split()[1] == b"413", reply[:300]
        body = rest.partition(b"\r\n\r\n")[2].decode()
        assert "limit" in body and "\n" not in body.strip(), body


def test_a_streamed_body_is_cut_off_at_the_limit(tmp_path: Path) -> None:
    client = guarded(tmp_path, "127.0.0.1", max_file_mb=0.01)
    small = client.post("/gradio_api/call/ask", content=iter([b"x" * 1000]))
    assert small.status_code == 200 and small.text == "read 1000 bytes"
    chunks = iter([b"x" * 65536] * 40)  # 2.5 MB without a Content-Length
    assert client.post("/gradio_api/call/ask", content=chunks).status_code == 413


def test_an_over_long_question_is_refused_before_any_cleaning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from assistant import conversation
    from assistant.errors import BadQuestion

    # padding that cleaning removes still fits when the question itself does
    padded = "  What is OSA?\u200b  " + " " * 3000
    assert conversation.clean_question(padded, 2000) == "What is OSA?"

    cleaned: list[str] = []

    def counting(ch: str) -> str:
        cleaned.append(ch)
        return ch

    monkeypatch.setattr(conversation, "clean_char", counting)
    with pytest.raises(BadQuestion, match="100,000 characters long; the limit is 2,000"):
        conversation.clean_question("x" * 100_000, 2000)
    assert cleaned == []


def test_an_over_long_question_in_the_chat_is_refused_without_echoing_it(
    served: tuple[str, Any],
) -> None:
    url, runtime = served
    calls = len(runtime.answerer.calls)
    done = run_event(url, "respond", ["x" * 100_000, [], None, []])  # no source filter
    assert done["success"], done
    shown = json.dumps(done["output"]["data"][1])
    assert "100,000 characters long; the limit is 2,000" in shown
    assert len(shown) < 2000  # one error bubble: the question is not shown back
    assert len(runtime.answerer.calls) == calls


def test_the_history_is_bounded_to_the_most_recent_turns_that_fit(served: tuple[str, Any]) -> None:
    from gradio_client import Client

    url, runtime = served
    history: list[dict[str, Any]] = []
    for i in range(500):
        history += [
            {"role": "user", "content": f"old question {i}"},
            {"role": "assistant", "content": f"old answer {i}"},
        ]
    history += [
        {"role": "user", "content": "y" * 100_000},  # too long: it and all before it are dropped
        {"role": "assistant", "content": "an answer"},
        {"role": "user", "content": "When was the alliance upgraded?"},
        {"role": "assistant", "content": "In April 2024. [1]"},
    ]
    client = Client(url, verbose=False)
    result = client.predict("And why?", history, api_name="/ask")
    assert "error" not in result, result
    seen = runtime.answerer.calls[-1][1]
    assert [(t.role, t.content) for t in seen] == [
        ("assistant", "an answer"),
        ("user", "When was the alliance upgraded?"),
        ("assistant", "In April 2024. [1]"),
    ]
    more = [{"role": "user", "content": f"q{i}"} for i in range(10)]
    client.predict("And why?", more, api_name="/ask")
    assert [t.content for t in runtime.answerer.calls[-1][1]] == ["q6", "q7", "q8", "q9"]


def test_a_history_that_is_not_a_list_is_a_one_line_error(served: tuple[str, Any]) -> None:
    from gradio_client import Client

    url, _ = served
    client = Client(url, verbose=False)
    for bad in ("not a list", {"role": "user"}, [1, "two", None]):
        result = client.predict("When was the alliance upgraded?", bad, api_name="/ask")
        if isinstance(bad, list):
            assert "error" not in result, result  # entries that are not turns are ignored
        else:
            assert set(result) == {"error"} and "history" in result["error"], result


def test_recent_history_keeps_the_newest_turns_that_fit() -> None:
    from assistant.conversation import recent_history
    from assistant.types import Turn

    turns = [
        Turn("user", "a"),
        Turn("assistant", "b" * 50),
        Turn("user", "c"),
        Turn("assistant", "d"),
    ]
    assert recent_history(turns, max_turns=10, max_turn_chars=100) == turns
    assert recent_history(turns, max_turns=2, max_turn_chars=100) == turns[2:]
    assert recent_history(turns, max_turns=10, max_turn_chars=10) == turns[2:]
    assert recent_history(turns, max_turns=0, max_turn_chars=100) == []


# ---- 3. uploads ----


def test_a_file_this_app_did_not_receive_is_not_ingested(served: tuple[str, Any]) -> None:
    url, runtime = served
    # what another Gradio app on this machine leaves in the shared temp folder
    foreign_dir = Path(tempfile.gettempdir()) / "gradio" / uuid.uuid4().hex
    foreign_dir.mkdir(parents=True)
    foreign = foreign_dir / "other-app.md"
    foreign.write_bytes(b"# Other app\n\nA private note of another application on this machine.")
    before = document_ids(runtime)
    try:
        done = run_event(url, "upload_files", [[file_data(str(foreign), "other-app.md")]])
        # Gradio itself refuses the path now that its temp folder is ours (a generic error: the
        # app does not show Gradio's messages); read_uploads would refuse it with one line
        if done["success"]:
            assert "not a file uploaded to this page" in done["output"]["data"][0]
        assert document_ids(runtime) == before
        assert foreign.exists()  # and it was not deleted either
    finally:
        foreign.unlink(missing_ok=True)
        foreign_dir.rmdir()


def test_read_uploads_refuses_files_from_elsewhere_and_leaves_them_alone(tmp_path: Path) -> None:
    from assistant.errors import AssistantError
    from assistant.ui.uploads import read_uploads

    ours = tmp_path / "uploads"
    ours.mkdir()
    mine = ours / "mine.md"
    mine.write_bytes(b"# Mine\n\nText.")
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_bytes(b"# Elsewhere\n\nText.")
    escape = ours / "link.md"
    escape.symlink_to(elsewhere)  # inside by name, outside in fact
    for paths in ([mine, elsewhere], [escape]):
        with pytest.raises(AssistantError, match="not a file uploaded to this page"):
            read_uploads([str(p) for p in paths], 1024, upload_dir=ours)
    assert elsewhere.exists() and not mine.exists()  # our own temp file is cleaned up
    big = [ours / "a.md", ours / "b.md"]
    for path in big:
        path.write_bytes(b"x" * 600)
    with pytest.raises(AssistantError, match=r"one upload may hold .* nothing was added"):
        read_uploads([str(p) for p in big], 1024, upload_dir=ours, max_total=1000)
    assert not any(path.exists() for path in big)


def test_uploads_are_kept_in_a_folder_of_our_own(served: tuple[str, Any]) -> None:
    url, runtime = served
    uploaded = httpx.post(
        url + "gradio_api/upload", files=[("files", ("own.md", b"# Own\n\nText."))]
    )
    [path] = uploaded.json()
    assert Path(path).resolve().is_relative_to((runtime.settings.data_dir / "uploads").resolve())
    done = run_event(url, "upload_files", [[file_data(path, "own.md")]])
    assert done["success"] and "added" in done["output"]["data"][0]
    [added] = [r for r in runtime.knowledge.documents() if r.title == "Own"]
    runtime.knowledge.remove(added.document_id)
    assert not Path(path).exists()  # our temporary copy is gone once read


def test_an_upload_over_the_total_limit_is_rejected_whole(served: tuple[str, Any]) -> None:
    url, runtime = served
    files = [
        ("files", (f"part-{i}.md", f"# Part {i}\n\n".encode() + b"Words about trade. " * 470))
        for i in range(2)
    ]  # 9 KB each: under the 10 KB file limit, 18 KB together: over the 15 KB upload limit
    uploaded = httpx.post(url + "gradio_api/upload", files=files)
    assert uploaded.status_code == 200, uploaded.text
    before = document_ids(runtime)
    done = run_event(
        url, "upload_files", [[file_data(p, f"part-{i}.md") for i, p in enumerate(uploaded.json())]]
    )
    assert done["success"], done
    message = done["output"]["data"][0]
    assert "nothing was added" in message and "KB together" in message
    assert document_ids(runtime) == before


def test_an_upload_request_over_the_total_limit_is_refused_unread(served: tuple[str, Any]) -> None:
    url, runtime = served
    big = [("files", (f"f{i}.md", b"x" * 9000)) for i in range(150)]  # 1.3 MB
    before = document_ids(runtime)
    one_line_refusal(httpx.post(url + "gradio_api/upload", files=big), 413)
    assert document_ids(runtime) == before


def test_a_file_part_without_a_file_name_is_a_clean_400(served: tuple[str, Any]) -> None:
    url, _ = served
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"\r\n\r\n'
        f"hello\r\n--{boundary}--\r\n"
    ).encode()
    response = httpx.post(
        url + "gradio_api/upload",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert "file name" in one_line_refusal(response, 400)
    # httpx leaves an empty file name out, as the red team's client did
    empty_name = httpx.post(url + "gradio_api/upload", files={"files": ("", b"hello")})
    assert "file name" in one_line_refusal(empty_name, 400)


# ---- 4. sign-in throttle ----


def test_failed_sign_ins_are_throttled(tmp_path: Path) -> None:
    runtime = fake_runtime(tmp_path / "data", auth=SecretStr("ann:pw"))
    with serving(runtime) as url:
        for _ in range(5):
            wrong = httpx.post(url + "login", data={"username": "ann", "password": "guess"})
            assert wrong.status_code == 400
        refused = httpx.post(url + "login", data={"username": "ann", "password": "pw"})
        assert "try again" in one_line_refusal(refused, 429)
        assert int(refused.headers["retry-after"]) > 0


def test_the_throttle_counts_failures_per_client_within_a_window() -> None:
    from assistant.ui.guard import LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(max_failures=5, window=60.0, lockout=300.0, clock=lambda: now[0])
    for _ in range(4):
        throttle.failed("10.0.0.1")
        now[0] += 20.0  # spread over 80 s: never 5 within a minute
    throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 0
    for _ in range(4):
        throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 300.0
    assert throttle.retry_after("10.0.0.2") == 0  # another client is not affected
    now[0] += 299.0
    assert throttle.retry_after("10.0.0.1") == pytest.approx(1.0)
    now[0] += 1.0
    assert throttle.retry_after("10.0.0.1") == 0
    throttle.failed("10.0.0.1")
    throttle.succeeded("10.0.0.1")  # a successful sign-in clears the record
    for _ in range(4):
        throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 0
