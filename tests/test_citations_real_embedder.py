"""Verification with the real sentence embedder on a paragraph of the shipped article.

Calibrates the similarity threshold: a faithful paraphrase passes, a wrong number or a sentence
that reuses the passage's names and numbers to say something else does not.
"""

from __future__ import annotations

import pytest

from assistant.citations import verify_answer
from assistant.types import Chunk

pytestmark = pytest.mark.integration

PARAGRAPH = (
    "Japan’s latest National Security Strategy and its 2023 Defence White Paper set out its "
    "future defence expenditure. The government announced a budget of two per cent of its GDP "
    "for all “national security-related spending”. By 2027, Japan’s defence budget is expected "
    "to be 65 per cent higher than it was in 2022. Japan has also been fortifying its remote "
    "islands of Honshu, Kyushu, and Ryuku, among others, while also planning to upgrade its "
    "Aegis destroyers by 2027 with the purchase of Tomahawk cruise missiles from the United "
    "States."
)


@pytest.fixture
def sources() -> dict[int, Chunk]:
    chunk = Chunk(
        chunk_id="p14",
        document_id="japan",
        title="Japan",
        source="japan.md",
        text=PARAGRAPH,
        start=0,
        end=len(PARAGRAPH),
        paragraph_start=14,
        paragraph_end=14,
    )
    return {1: chunk}


@pytest.mark.parametrize(
    ("sentence", "status"),
    [
        ("Japan's defence budget should be 65% higher in 2027 than in 2022 [1].", "supported"),
        (
            "Japan plans to buy Tomahawk cruise missiles for its Aegis destroyers by 2027 [1].",
            "supported",
        ),
        ("Japan's defence budget should be 75% higher in 2027 than in 2022 [1].", "contradicted"),
        ("Japan will buy Tomahawk missiles from France by 2027 [1].", "unsupported"),
        ("In 2022, 65 per cent of Japanese voters in Kyushu supported Honshu [1].", "unsupported"),
        ("Japan's defence budget should be 65% higher in 2027 than in 2022.", "uncited"),
        ("Spending on defence is set to rise 65% between 2022 and 2027 [1].", "supported"),
        ("Japan hopes to host the 2027 Olympics in Honshu [1].", "unsupported"),
        pytest.param(
            "Japan's economy grew 65 per cent in 2022 [1].",
            "unsupported",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known limit: the passage's own numbers and names recombined into a "
                "false claim close in meaning pass (similarity 0.70)",
            ),
        ),
    ],
)
def test_real_embedder_verdicts(
    real_embedder,  # type: ignore[no-untyped-def]
    sources: dict[int, Chunk],
    sentence: str,
    status: str,
) -> None:
    (checked,) = verify_answer(sentence, sources, real_embedder).sentences
    assert checked.status == status, (checked.reason, checked.similarity)
