"""The reader: judges by meaning whether a text answers a question and whether a passage entails
a claim. The answerer uses it to answer or decline; the verifier uses it to check LLM sentences.

- :class:`Reader` is the seam (a Protocol); :class:`~assistant.reading.model.CrossEncoderReader`
  is the shipped implementation (a MiniLM cross-encoder trained by ``train.py``), and
  ``assistant.testing.FakeReader`` the deterministic fake.
- Probabilities are calibrated on data the reader was not trained on (``calibrate.py``), and the
  calibration ships beside the weights in ``weights/calibration.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

EntailmentLabel = Literal["entailed", "neutral", "contradicted"]
CALIBRATION_FILE = Path(__file__).parent / "weights" / "calibration.json"


@dataclass(frozen=True)
class Entailment:
    """What a passage says of a claim: the label and the probability of each label."""

    label: EntailmentLabel
    entailed: float
    neutral: float
    contradicted: float

    @property
    def score(self) -> float:
        """The probability of the label given."""
        return {
            "entailed": self.entailed,
            "neutral": self.neutral,
            "contradicted": self.contradicted,
        }[self.label]


@runtime_checkable
class Reader(Protocol):
    """Reads pairs of texts; every method is deterministic for the same inputs."""

    name: str
    calibration: Calibration  # the thresholds its probabilities were tuned for

    def answers(self, question: str, texts: Sequence[str]) -> list[float]:
        """For each text, the probability that it answers the question."""
        ...

    def entails(self, claim: str, passages: Sequence[str]) -> list[Entailment]:
        """For each passage, whether it entails, contradicts or is neutral to the claim."""
        ...


@dataclass(frozen=True)
class Calibration:
    """Platt scaling of the answer logit, and the thresholds chosen on the tuning data."""

    answer_scale: float = 1.0
    answer_shift: float = 0.0
    min_answer_prob: float = 0.5
    min_entailed: float = 0.5
    min_contradicted: float = 0.5
    tuned_on: str = "defaults (not tuned)"

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        if not path.is_file():
            return cls()
        from assistant.errors import AssistantError

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
            return cls(**known)
        except (ValueError, TypeError, AttributeError) as exc:
            raise AssistantError(f"{path} is not a reader calibration file: {exc}") from exc

    def answer_prob(self, logit: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.answer_scale * logit + self.answer_shift)))


def entailment_from_probs(probs: np.ndarray) -> Entailment:
    """(entailment, neutral, contradiction) probabilities -> the most probable label."""
    e, n, c = (float(x) for x in probs)
    label: EntailmentLabel = "entailed"
    if n >= e and n >= c:
        label = "neutral"
    elif c > e:
        label = "contradicted"
    return Entailment(label, e, n, c)


class ModelReader:
    """The Reader over the shipped cross-encoder, with its calibration."""

    def __init__(self, model: object | None = None, calibration: Calibration | None = None) -> None:
        from assistant.reading.model import CrossEncoderReader

        self.model: CrossEncoderReader = model or CrossEncoderReader()  # type: ignore[assignment]
        self.calibration = calibration or Calibration.load()
        self.name = self.model.name

    def answers(self, question: str, texts: Sequence[str]) -> list[float]:
        logits = self.model.logits("answer", [question] * len(texts), list(texts))
        return [self.calibration.answer_prob(float(x)) for x in logits]

    def entails(self, claim: str, passages: Sequence[str]) -> list[Entailment]:
        logits = self.model.logits("nli", list(passages), [claim] * len(passages))
        out: list[Entailment] = []
        for row in logits:
            z = np.exp(row - row.max())
            out.append(entailment_from_probs(z / z.sum()))
        return out

    def warm(self) -> None:
        """Load the weights now (the first question would otherwise pay for it)."""
        self.model.logits("answer", ["warm"], ["up"])
