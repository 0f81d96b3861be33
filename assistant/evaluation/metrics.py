"""The evaluation metrics of answers, as pure functions with exact definitions.

The retrieval metrics (against expected sources, and over ids for BEIR) are in
:mod:`assistant.evaluation.retrieval_metrics`.

Answer quality
    ``exact_match`` and ``token_f1`` follow the official SQuAD v1.1 script: both texts go through
    :func:`normalize_answer` (lowercase, ASCII punctuation removed, the articles a/an/the removed,
    whitespace collapsed); F1 is the harmonic mean of token precision and recall over the bag of
    tokens the two share. With several references the best score counts. As in v1.1, an empty
    normalised text gives F1 0.

    ``must_include_pass``: every group (inner list) needs at least one of its phrases to occur in
    the answer, compared with :func:`normalize_phrase` on both sides (curly quotes and apostrophes
    made straight, whitespace collapsed, case folded). Citation markers such as ``[1]`` are removed
    from an :class:`~assistant.types.Answer` first.

Citations
    A citation is *precise* when it cites what the question needs, judged independently of the
    answerer's own "supported" marks (which the offline answerer sets on every sentence):

    - for an item with ``expected_sources``: its passage contains an expected source
      ``{document, quote}``: the document matches (the citation's document id, its source path,
      or the file name of its source path equals ``document``) and ``normalize_phrase(quote)``
      is a substring of ``normalize_phrase(passage)``, as the retrieval metrics match chunks;
    - for an answerable item without them (broad questions scored by ``points``): a *judge*
      says its quote, or its passage, answers the question (the evaluation CLI passes the
      reader's answer probability against its calibrated ``min_answer_prob``); without a judge
      such citations are not scored;
    - for an unanswerable item: never. Citations under an answer to a question the sources don't
      answer are citation errors.

    ``citation_precision`` is the share of precise citations (None without citations, or when no
    citation could be scored); ``citation_recall`` is the share of expected sources found in at
    least one cited passage (None without expected sources).

Broad and partial questions
    ``points_covered`` (items with ``points``): the share of points (inner lists) with at least one
    phrase in the answer, matched as for ``must_include``; a declined answer covers none.
    ``partial_flagged`` (items of kind ``partial``): 1 when the answer was not declined and its
    ``coverage`` is ``"partial"`` (it said which part the sources don't answer), else 0.

Answer versus decline (SQuAD 2.0)
    An answer is *declined* (:func:`declined`) when ``Answer.abstained`` is true or its
    ``coverage`` is ``"none"``. ``abstention_correct``: the answer is declined exactly when the
    question is unanswerable. The runner reports these three only for question sets that contain
    at least one unanswerable item (``None``, over 0 items, otherwise):

    - ``has_answer_gold`` (:func:`has_answer_gold`), over answerable items with gold answer texts
      (the item's ``reference``; for SQuAD, every gold answer): 1 when the answer was not declined
      AND ``normalize_answer(strip_citation_markers(text))`` contains ``normalize_answer(g)`` for
      some gold text ``g`` as a whole-word sequence (``" " + g + " "`` inside ``" " + text + " "``,
      so "two" does not match inside "twenty"; a gold text that normalises to nothing never
      matches) AND the text without citation markers has at most 100 words (whitespace-separated);
      else 0.
    - ``no_answer_declined``, over unanswerable items: 1 when the answer was declined, else 0.
    - ``avna`` (answer vs. no answer), over all items: 1 when the decision is right (answered when
      answerable, declined when unanswerable), else 0. It is ``abstention_accuracy`` under its
      SQuAD 2.0 name: the same per-question value (:func:`abstention_correct`), reported beside
      the two above; ``abstention_accuracy`` is kept and reported for every set.

    A question whose ``ask`` raised scores 0 on each of the three that applies to it.

Other
    ``supported_share``: share of the answer's sentences with status ``"supported"`` (None without
    sentences). ``percentile``: linear interpolation between closest ranks, as numpy's default.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.markers import strip_markers
from assistant.types import Answer, Citation

METRIC_NAMES: tuple[str, ...] = (
    "must_include",
    "points_covered",
    "partial_flagged",
    "exact_match",
    "f1",
    "hit_at_k",
    "recall_at_k",
    "mrr",
    "citation_precision",
    "citation_recall",
    "supported",
    "abstention_accuracy",
    "has_answer_gold",
    "no_answer_declined",
    "avna",
    "latency_p50_ms",
    "latency_p95_ms",
)
"""The aggregate metrics a run reports, in report order."""

DECLINE_METRICS: tuple[str, ...] = ("has_answer_gold", "no_answer_declined", "avna")
"""The answer-versus-decline metrics, reported only for sets with unanswerable items."""

MAX_ANSWER_WORDS = 100
"""The longest answer (in words, citation markers removed) that ``has_answer_gold`` accepts."""

SHARE_METRICS: tuple[str, ...] = tuple(n for n in METRIC_NAMES if not n.startswith("latency_"))
"""The metrics whose values lie between 0 and 1 (higher is better)."""

LATENCY_METRICS: tuple[str, ...] = tuple(n for n in METRIC_NAMES if n.startswith("latency_"))
"""The metrics in milliseconds (lower is better)."""


def format_metric(value: float | None, name: str = "") -> str:
    """A metric's value as the reports show it: "–" when unmeasured, whole milliseconds for the
    ``latency*`` metrics, three decimals for the others."""
    if value is None:
        return "–"
    if name.startswith("latency"):
        return f"{value:.0f} ms"
    return f"{value:.3f}"


@dataclass(frozen=True)
class ExpectedSource:
    """A passage a good answer should rest on: a document (id or file name) and a quote from it."""

    document: str
    quote: str

    def to_json(self) -> dict[str, str]:
        return {"document": self.document, "quote": self.quote}


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)
_QUOTE_TABLE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
    }
)


# --- answer quality -------------------------------------------------------------------------


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalisation: lowercase, drop punctuation, drop a/an/the, collapse whitespace."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _references(reference: str | Sequence[str]) -> list[str]:
    refs = [reference] if isinstance(reference, str) else list(reference)
    if not refs:
        raise ValueError("at least one reference is needed")
    return refs


def exact_match(prediction: str, reference: str | Sequence[str]) -> float:
    """1.0 when the normalised prediction equals a normalised reference, else 0.0."""
    pred = normalize_answer(prediction)
    return max(float(pred == normalize_answer(ref)) for ref in _references(reference))


def _f1_single(prediction: str, reference: str) -> float:
    pred_tokens = normalize_answer(prediction).split()
    ref_tokens = normalize_answer(reference).split()
    same = sum((Counter(pred_tokens) & Counter(ref_tokens)).values())
    if same == 0:
        return 0.0
    precision = same / len(pred_tokens)
    recall = same / len(ref_tokens)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, reference: str | Sequence[str]) -> float:
    """SQuAD v1.1 token F1 between prediction and reference (the best over several references)."""
    return max(_f1_single(prediction, ref) for ref in _references(reference))


def strip_citation_markers(text: str) -> str:
    """The text without ``[n]`` / ``[n, m]`` citation markers (and the spaces before them)."""
    return strip_markers(text)


def normalize_phrase(text: str) -> str:
    """Straighten curly quotes and apostrophes, collapse whitespace, fold case."""
    return " ".join(text.translate(_QUOTE_TABLE).split()).casefold()


def missing_groups(answer: str | Answer, groups: Sequence[Sequence[str]]) -> list[list[str]]:
    """The must-include groups none of whose phrases occurs in the answer."""
    text = strip_citation_markers(answer.text) if isinstance(answer, Answer) else answer
    haystack = normalize_phrase(text)
    return [
        list(group)
        for group in groups
        if not any(normalize_phrase(phrase) in haystack for phrase in group)
    ]


def points_covered(answer: str | Answer, points: Sequence[Sequence[str]]) -> float:
    """The share of points (groups of phrases) the answer makes; see the module docstring."""
    if not points:
        raise ValueError("points_covered needs at least one point")
    return 1.0 - len(missing_groups(answer, points)) / len(points)


def must_include_pass(answer: str | Answer, groups: Sequence[Sequence[str]]) -> bool:
    """True when every group has at least one phrase in the answer (see the module docstring)."""
    return not missing_groups(answer, groups)


# --- citations and support ------------------------------------------------------------------


def _file_name(source: str) -> str:
    return re.split(r"[\\/]", source)[-1]


def document_matches(document: str, document_id: str, source: str) -> bool:
    """Whether an expected source's ``document`` names this document: its id, its source path,
    or the file name of its source path."""
    return document in (document_id, source) or (bool(source) and _file_name(source) == document)


def source_in_citation(citation: Citation, expected: ExpectedSource) -> bool:
    """Whether the expected source is found in the citation's passage (same matching as chunks)."""
    return document_matches(expected.document, citation.document_id, citation.source) and (
        normalize_phrase(expected.quote) in normalize_phrase(citation.passage)
    )


Judge = Callable[[str, str], bool]
"""(question, text) -> whether the text answers the question."""


def citation_is_precise(
    citation: Citation,
    expected: Sequence[ExpectedSource],
    *,
    answerable: bool = True,
    question: str = "",
    judge: Judge | None = None,
) -> bool | None:
    """Whether the citation cites what the question needs; None when it cannot be judged.

    See the module docstring: expected sources first, else the judge; never for an
    unanswerable question.
    """
    if not answerable:
        return False
    if expected:
        return any(source_in_citation(citation, source) for source in expected)
    if judge is None:
        return None
    return judge(question, citation.quote) or judge(question, citation.passage)


def citation_precision(
    answer: Answer,
    expected: Sequence[ExpectedSource],
    *,
    answerable: bool = True,
    question: str = "",
    judge: Judge | None = None,
) -> float | None:
    """The share of the answer's citations that are precise; None when none can be judged."""
    verdicts = [
        citation_is_precise(c, expected, answerable=answerable, question=question, judge=judge)
        for c in answer.citations
    ]
    scored = [v for v in verdicts if v is not None]
    if not scored:
        return None
    return sum(scored) / len(scored)


def citation_recall(answer: Answer, expected: Sequence[ExpectedSource]) -> float | None:
    """The share of expected sources found in some cited passage; None without expected sources."""
    if not expected:
        return None
    cited = sum(any(source_in_citation(c, source) for c in answer.citations) for source in expected)
    return cited / len(expected)


def supported_share(answer: Answer) -> float | None:
    """The share of the answer's sentences with status "supported"; None when it has none."""
    if not answer.sentences:
        return None
    return sum(s.status == "supported" for s in answer.sentences) / len(answer.sentences)


def declined(answer: Answer) -> bool:
    """True when the answer declined: it abstained, or its ``coverage`` is ``"none"``."""
    return answer.abstained or answer.coverage == "none"


def abstention_correct(answer: Answer, answerable: bool) -> bool:
    """True when the answer declined (see :func:`declined`) exactly when it was unanswerable.

    Per question this is both ``abstention_accuracy`` and ``avna``.
    """
    return declined(answer) != answerable


def contains_gold(text: str, gold: str | Sequence[str]) -> bool:
    """Whether the SQuAD-normalised text holds a normalised gold text as a whole-word sequence.

    Citation markers are removed from ``text`` first; gold texts that normalise to nothing never
    match.
    """
    haystack = f" {normalize_answer(strip_citation_markers(text))} "
    for ref in _references(gold):
        needle = normalize_answer(ref)
        if needle and f" {needle} " in haystack:
            return True
    return False


def answer_words(text: str) -> int:
    """The number of whitespace-separated words of the text without citation markers."""
    return len(strip_citation_markers(text).split())


def has_answer_gold(
    answer: Answer, gold: str | Sequence[str], *, max_words: int = MAX_ANSWER_WORDS
) -> bool:
    """Answered, containing a gold answer text, in at most ``max_words`` words (module docstring)."""
    return (
        not declined(answer)
        and contains_gold(answer.text, gold)
        and answer_words(answer.text) <= max_words
    )


# --- statistics -----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) by linear interpolation between closest ranks, as numpy."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be between 0 and 100, not {p}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean, or None for no values."""
    return sum(values) / len(values) if values else None
