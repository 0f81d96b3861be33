"""The shipped reader (real weights, CPU) on a small fixed slice: integration-marked."""

from __future__ import annotations

import pytest

from assistant.reading import Calibration, ModelReader, Reader

pytestmark = pytest.mark.integration

# (question, the sentence that answers it, sentences of the same passage that don't)
SLICE = [
    (
        "By how much will Japan's defence budget rise by 2027?",
        "By 2027, Japan's defence budget is expected to be 65 per cent higher than it was in 2022.",
        [
            "India and Japan conducted joint fighter aircraft exercises in Ibaraki prefecture.",
            "Japan is also one of the Indo-Pacific partners for NATO.",
        ],
    ),
    (
        "Which river flows through the city centre?",
        "The River Wear flows through the centre of Durham.",
        [
            "Durham Cathedral was completed in 1133.",
            "The university is the third oldest in England.",
        ],
    ),
    (
        "When was the bridge opened to traffic?",
        "The bridge was opened to traffic in March 1932 after eight years of work.",
        [
            "It is made of steel and spans the harbour.",
            "Tourists can climb its arch with a guide.",
        ],
    ),
]


@pytest.fixture(scope="module")
def reader() -> ModelReader:
    return ModelReader()


def test_is_a_reader_with_shipped_calibration(reader: ModelReader) -> None:
    assert isinstance(reader, Reader)
    assert reader.calibration != Calibration(), "calibration.json ships beside the weights"


@pytest.mark.parametrize(("question", "answer", "others"), SLICE)
def test_the_answering_sentence_reads_highest(
    reader: ModelReader, question: str, answer: str, others: list[str]
) -> None:
    probs = reader.answers(question, [answer, *others])
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert probs[0] == max(probs), probs


def test_entailment_gives_a_distribution_and_a_copy_is_entailed(reader: ModelReader) -> None:
    passage = "The museum opened in 1990 and has forty rooms."
    copy, negated = (
        reader.entails("The museum opened in 1990.", [passage])[0],
        reader.entails("The museum did not open in 1990.", [passage])[0],
    )
    for verdict in (copy, negated):
        total = verdict.entailed + verdict.neutral + verdict.contradicted
        assert total == pytest.approx(1.0, abs=1e-4)
    assert copy.entailed > negated.entailed
