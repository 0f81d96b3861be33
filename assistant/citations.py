"""Citations: sentence spans in passages, numbering the cited passages, where each quote sits,
and verifying that the passages a generated answer cites support its sentences.

What a sentence claims (its numbers, names, negation) is read by :mod:`assistant.claims`; the
citation markers in a reply are parsed by :mod:`assistant.markers`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.claims import is_connective, missing_names
from assistant.evidence import (
    WindowMatches,
    added_to_copy_verdict,
    additions_verdict,
    amount_direction_verdict,
    cause_verdict,
    certainty_verdict,
    closest_windows,
    figure_verdict,
    negation_verdict,
    opposition_verdict,
    quantity_verdict,
    reader_verdict,
    reversed_verdict,
    roles_verdict,
    substitution_verdict,
    window_names_verdict,
    year_verdict,
)
from assistant.markers import format_markers, leading_markers, marker_numbers, strip_markers
from assistant.types import (
    AnswerSentence,
    Chunk,
    Citation,
    SentenceStatus,
    location_label,
    paragraphs_label,
)

if TYPE_CHECKING:
    from assistant.index.embedder import Embedder
    from assistant.reading import Reader


@lru_cache(maxsize=1)
def _segmenter():  # type: ignore[no-untyped-def]
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


@lru_cache(maxsize=8192)
def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each sentence in text, whitespace trimmed; paragraphs never join."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for block in text.split("\n\n"):
        if block.strip():
            for seg in _segmenter().segment(block):
                start, end = offset + seg.start, offset + seg.end
                piece = text[start:end]
                lead = len(piece) - len(piece.lstrip())
                trail = len(piece) - len(piece.rstrip())
                if end - trail > start + lead:
                    spans.append((start + lead, end - trail))
        offset += len(block) + 2
    return tuple(spans)


def location_of(chunk: Chunk, offset: int) -> str:
    """Paragraph (and page) of a character offset inside a chunk."""
    return location_label(chunk.paragraph_at(offset), page=chunk.page)


@dataclass(frozen=True)
class Quote:
    """A sentence taken from a passage."""

    chunk: Chunk
    start: int
    end: int

    @property
    def text(self) -> str:
        return " ".join(self.chunk.text[self.start : self.end].split())


def number_citations(quotes: list[Quote]) -> tuple[list[Citation], list[int]]:
    """One numbered citation per passage, numbered in order of first use; each quote's number."""
    order: dict[str, int] = {}
    grouped: dict[str, list[Quote]] = {}
    numbers: list[int] = []
    for quote in quotes:
        cid = quote.chunk.chunk_id
        if cid not in order:
            order[cid] = len(order) + 1
            grouped[cid] = []
        grouped[cid].append(quote)
        numbers.append(order[cid])
    citations: list[Citation] = []
    for cid, n in order.items():
        parts = sorted(grouped[cid], key=lambda q: q.start)
        chunk = parts[0].chunk
        citations.append(
            Citation(
                n=n,
                chunk_id=cid,
                document_id=chunk.document_id,
                title=chunk.title,
                location=paragraphs_label([chunk.paragraph_at(q.start) for q in parts], chunk.page),
                quote=" … ".join(q.text for q in parts),
                passage=chunk.text,
                highlights=tuple((q.start, q.end) for q in parts),
                source=chunk.source,
                document_metadata=chunk.document_metadata,
            )
        )
    return citations, numbers


# --------------------------------------------------------------------------------------------
# Verification of generated answers: does each sentence's cited passage support it?
#
# A generated sentence is
#   - "contradicted" when a quantity in it (digits or words: "three per cent", "65%", "2027")
#     matches none of its cited passages' quantities while the best-matching sentences of those
#     passages state a quantity of the same kind (a percentage, a year) and its names are all in
#     the passages; when its negation differs from the best-matching window's; or when the reader
#     finds that one of the best-matching sentence windows contradicts it and none entails it;
#   - "supported" when its names (capitalised words after the first, less function words and
#     titles) appear in a cited passage and the reader finds that one of the best-matching
#     windows (a sentence or two adjacent sentences, chosen by embedding similarity, two per
#     cited passage) entails it;
#   - "unsupported" otherwise. Without a reader, closeness of meaning (cosine >= min_similarity)
#     stands in for entailment.
# Citation numbers that name no source are removed first. A sentence without citations is
# "uncited", except a short connective one (at most CONNECTIVE_MAX_WORDS words, no digits, no
# capitalised word after the first): it carries no claim and is left out of the answer.
# --------------------------------------------------------------------------------------------

_LIST_PREFIX = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_EMPHASIS = re.compile(r"\*\*|__|`")
DEFAULT_MIN_SIMILARITY = 0.6  # all-MiniLM-L6-v2: faithful paraphrases score 0.67+


@dataclass(frozen=True)
class CheckedSentence:
    """One sentence of a generated answer after verification, with the source numbers it kept."""

    text: str  # the sentence without its citation markers
    citations: tuple[int, ...]  # source numbers as the generator used them, valid ones only
    status: SentenceStatus
    quotes: tuple[Quote, ...] = ()  # the best-matching sentence(s) of each cited passage
    removed: tuple[int, ...] = ()  # citation numbers that named no source
    reason: str = ""  # why it is not supported ("" when it is)
    similarity: float | None = None


@dataclass(frozen=True)
class VerifiedText:
    """A generated answer after verification: every sentence, and those left out as connectives."""

    sentences: tuple[CheckedSentence, ...]
    connectives: tuple[str, ...] = ()

    @property
    def supported_share(self) -> float:
        if not self.sentences:
            return 0.0
        return sum(s.status == "supported" for s in self.sentences) / len(self.sentences)

    @property
    def removed_citations(self) -> int:
        return sum(len(s.removed) for s in self.sentences)


def split_generated(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences of a generated reply with the citation numbers each carries, in order.

    Lines are split first (list items, paragraphs), then sentences (pysbd); markers that open a
    segment ("... 2027. [1] Next") belong to the sentence before.
    """
    pieces: list[tuple[str, list[int]]] = []
    for line in text.splitlines():
        line = _EMPHASIS.sub("", _LIST_PREFIX.sub("", line)).strip()
        if not line:
            continue
        for start, end in sentence_spans(line):
            segment = line[start:end]
            lead, lead_end = leading_markers(segment)
            if lead and pieces:
                pieces[-1][1].extend(lead)
                segment = segment[lead_end:]
            numbers = marker_numbers(segment)
            body = " ".join(strip_markers(segment).split())
            if body and any(ch.isalnum() for ch in body):
                pieces.append((body, numbers))
            elif pieces:
                pieces[-1][1].extend(numbers)
    return [(body, tuple(dict.fromkeys(nums))) for body, nums in pieces]


def _windows(chunk: Chunk) -> list[tuple[Quote, ...]]:
    """Each sentence of a passage, and each pair of adjacent sentences."""
    quotes = [Quote(chunk, s, e) for s, e in sentence_spans(chunk.text)]
    windows: list[tuple[Quote, ...]] = [(q,) for q in quotes]
    windows += list(itertools.pairwise(quotes))
    return windows


def check_sentence(
    sentence: str,
    numbers: tuple[int, ...],
    sources: Mapping[int, Chunk],
    embedder: Embedder,
    *,
    reader: Reader | None = None,
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
    min_entailed: float = 0.5,
    min_contradicted: float = 0.5,
    windows_per_source: int = 2,
) -> CheckedSentence:
    """Verify one generated sentence against the passages its citation numbers name.

    With a reader (the default in the assistant), a sentence is supported only when one of the
    best-matching sentence windows of its cited passages entails it; contradicted when one
    contradicts it (or its numbers differ, compared as numbers, from the passage's) and none
    entails it; unsupported otherwise. Without a reader, embedding similarity stands in.
    """
    valid = tuple(n for n in numbers if n in sources)
    removed = tuple(n for n in numbers if n not in sources)
    if not valid:
        return CheckedSentence(sentence, (), "uncited", removed=removed, reason="no valid citation")
    passages = [sources[n].text for n in valid]
    unnamed = missing_names(sentence, " ".join(passages))
    reasons = ["names not in the cited passage: " + ", ".join(unnamed)] if unnamed else []
    windows = [(n, _windows(sources[n])) for n in valid]
    matches = closest_windows(sentence, windows, embedder, windows_per_source)
    reading_with = embedder if reader is not None else None
    verdicts = _rule_verdicts(sentence, passages, matches, valid, unnamed, reading_with)
    contradicted = [c for c, _ in verdicts if c]
    if reader is None:
        if matches.best < min_similarity:
            verdicts.append((None, f"meaning too far from the cited passage ({matches.best:.2f})"))
    elif matches.candidates and not contradicted:
        verdicts.append(reader_verdict(reader, sentence, matches, min_entailed, min_contradicted))
    contradicted = [c for c, _ in verdicts if c]
    reasons += [r for _, r in verdicts if r]
    status: SentenceStatus = "contradicted" if contradicted else "supported"
    if not contradicted and reasons:
        status = "unsupported"
    return CheckedSentence(
        sentence,
        valid,
        status,
        quotes=matches.quotes,
        removed=removed,
        reason="; ".join(contradicted + reasons),
        similarity=round(matches.best, 4),
    )


def _rule_verdicts(
    sentence: str,
    passages: list[str],
    matches: WindowMatches,
    valid: tuple[int, ...],
    unnamed: list[str],
    reading_with: Embedder | None,
) -> list[tuple[str | None, str | None]]:
    """What the rules say: numbers compared as numbers; when the reader reads (with the
    embedder `reading_with`), also negation, opposite words, cause and effect reversed
    (contradictions), and a year or name taken from another sentence, certainty the passage
    does not have, words added or put in place of the passage's (unsupported)."""
    verdicts = [quantity_verdict(sentence, passages, matches, valid, not unnamed)]
    if reading_with is None or verdicts[0][0]:
        return verdicts
    if not unnamed:  # a missing name already says why; the word rules would only repeat it
        for rule in (negation_verdict, opposition_verdict, amount_direction_verdict, cause_verdict):
            verdicts.append(rule(sentence, matches))
            if verdicts[-1][0]:
                return verdicts
        for unsaid in (
            year_verdict,
            figure_verdict,
            window_names_verdict,
            roles_verdict,
            reversed_verdict,
            certainty_verdict,
            additions_verdict,
            added_to_copy_verdict,
        ):
            verdicts.append(unsaid(sentence, matches))
    # which word was put in the passage's place, also said beside a missing name
    verdicts.append(substitution_verdict(sentence, matches, reading_with))
    return verdicts


def verify_answer(
    text: str,
    sources: Mapping[int, Chunk],
    embedder: Embedder,
    *,
    reader: Reader | None = None,
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
    min_entailed: float = 0.5,
    min_contradicted: float = 0.5,
) -> VerifiedText:
    """Check every sentence of a generated reply against the passages it cites.

    sources maps the numbers the generator was shown to their passages. Numbers naming no
    source are removed; each remaining sentence is supported, unsupported or uncited.
    """
    checked: list[CheckedSentence] = []
    connectives: list[str] = []
    for sentence, numbers in split_generated(text):
        if not any(n in sources for n in numbers) and is_connective(sentence):
            connectives.append(sentence)
            continue
        checked.append(
            check_sentence(
                sentence,
                numbers,
                sources,
                embedder,
                reader=reader,
                min_similarity=min_similarity,
                min_entailed=min_entailed,
                min_contradicted=min_contradicted,
            )
        )
    return VerifiedText(tuple(checked), tuple(connectives))


def renumber_verified(
    checked: Sequence[CheckedSentence],
) -> tuple[str, list[Citation], list[AnswerSentence]]:
    """The final text (supported sentences only), citations 1..n in order of use, every sentence.

    Unsupported and uncited sentences stay in the sentence list with their status (a reader
    can see what they cited) but are never part of the text, so nothing shows them as claims.
    """
    quotes: list[Quote] = []
    per_sentence: list[list[int]] = []
    chunk_numbers: dict[str, int] = {}
    for sentence in checked:
        mine: list[int] = []
        by_chunk: dict[str, list[Quote]] = {}
        for q in sentence.quotes:
            by_chunk.setdefault(q.chunk.chunk_id, []).append(q)
        for cid, qs in by_chunk.items():
            if cid not in chunk_numbers:
                chunk_numbers[cid] = len(chunk_numbers) + 1
            mine.append(chunk_numbers[cid])
            quotes.extend(qs)
        per_sentence.append(list(dict.fromkeys(mine)))
    citations = _citations_for(quotes, chunk_numbers)
    sentences = [
        AnswerSentence(text=s.text, citations=tuple(nums), status=s.status, reason=s.reason)
        for s, nums in zip(checked, per_sentence, strict=True)
    ]
    text = " ".join(
        s.text + " " + format_markers(s.citations) for s in sentences if s.status == "supported"
    )
    return text, citations, sentences


def _citations_for(quotes: list[Quote], numbers: dict[str, int]) -> list[Citation]:
    """One citation per passage, numbered as given, quoting each distinct quoted sentence once."""
    unique: dict[tuple[str, int, int], Quote] = {}
    for q in quotes:
        unique.setdefault((q.chunk.chunk_id, q.start, q.end), q)
    ordered = sorted(unique.values(), key=lambda q: (numbers[q.chunk.chunk_id], q.start))
    citations, _ = number_citations(ordered)
    return citations
