"""Citations: sentence spans in passages, numbering the cited passages, where each quote sits,
and verifying that the passages a generated answer cites support its sentences."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from assistant.types import AnswerSentence, Chunk, Citation, SentenceStatus

if TYPE_CHECKING:
    from assistant.index.embedder import Embedder
    from assistant.reading import Entailment, Reader

CITATION_MARK = re.compile(r"\s*\[(\d+)\]")


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
    paragraph = chunk.paragraph_start + chunk.text.count("\n\n", 0, offset)
    where = f"paragraph {paragraph}"
    return f"page {chunk.page}, {where}" if chunk.page is not None else where


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
        locations = list(dict.fromkeys(location_of(chunk, q.start) for q in parts))
        citations.append(
            Citation(
                n=n,
                chunk_id=cid,
                document_id=chunk.document_id,
                title=chunk.title,
                location=_merge_locations(locations),
                quote=" … ".join(q.text for q in parts),
                passage=chunk.text,
                highlights=tuple((q.start, q.end) for q in parts),
                source=chunk.source,
            )
        )
    return citations, numbers


def _merge_locations(locations: list[str]) -> str:
    if len(locations) == 1:
        return locations[0]
    prefix = "page " if locations[0].startswith("page ") else ""
    if prefix:
        return "; ".join(locations)
    numbers = [loc.removeprefix("paragraph ") for loc in locations]
    return "paragraphs " + ", ".join(numbers)


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

MARKER_GROUP = re.compile(r"\s*\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
_LIST_PREFIX = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_EMPHASIS = re.compile(r"\*\*|__|`")
_PER_CENT = re.compile(r"(\d)\s*(?:%|per\s*cent\b|percent\b)", re.IGNORECASE)
_NUMBER_TOKEN = re.compile(r"\d+(?:[.,]\d+)*")
_WORD_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*")
_POSSESSIVE = re.compile(r"['’]s?$")
CONNECTIVE_MAX_WORDS = 8
DEFAULT_MIN_SIMILARITY = 0.6  # all-MiniLM-L6-v2: faithful paraphrases score 0.67+

# Capitalised words that are not names: function words that may start a clause, titles.
_NAME_STOPWORDS_TEXT = """
a an and as at but by for from he her his i if in it its mr mrs ms dr no not of on or
our she so such that the their then there these they this those to we what when where
which who why with yes you however although also according overall instead meanwhile
moreover furthermore therefore thus in additionally finally first second third source
sources prime minister president foreign defence defense secretary government
"""
NAME_STOPWORDS = frozenset(_NAME_STOPWORDS_TEXT.split())


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


def normalise_for_check(text: str) -> str:
    """Straight quotes, one spelling of per cent ("65 percent"), no thousands separators."""
    text = (
        text.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u2013", "-")
        .replace("\u2014", "-")
    )
    text = _PER_CENT.sub(r"\1 percent", text)
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)


def number_tokens(text: str) -> set[str]:
    """The numbers written with digits, normalised ("1,000" -> "1000", "65%" -> "65")."""
    return {t.rstrip(".,") for t in _NUMBER_TOKEN.findall(normalise_for_check(text))}


def name_tokens(sentence: str) -> set[str]:
    """Capitalised words after the first (names, places, months, acronyms), lowercased."""
    words = _WORD_TOKEN.findall(normalise_for_check(sentence))
    names: set[str] = set()
    for word in words[1:]:
        if not word[0].isupper():
            continue
        base = _POSSESSIVE.sub("", word).lower()
        if base and base not in NAME_STOPWORDS:
            names.add(base)
    return names


def _passage_words(text: str) -> set[str]:
    return {_POSSESSIVE.sub("", w).lower() for w in _WORD_TOKEN.findall(normalise_for_check(text))}


def _name_in(name: str, words: set[str]) -> bool:
    """Exact, or the same first five letters ("Japanese" / "Japan's")."""
    if name in words:
        return True
    return len(name) >= 5 and any(len(w) >= 5 and w[:5] == name[:5] for w in words)


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
            lead = _LEADING_MARKERS.match(segment)
            if lead and pieces:
                pieces[-1][1].extend(_numbers_in(lead.group(0)))
                segment = segment[lead.end() :]
            numbers = _numbers_in(segment)
            body = " ".join(MARKER_GROUP.sub("", segment).split())
            if body and any(ch.isalnum() for ch in body):
                pieces.append((body, numbers))
            elif pieces:
                pieces[-1][1].extend(numbers)
    return [(body, tuple(dict.fromkeys(nums))) for body, nums in pieces]


def _numbers_in(text: str) -> list[int]:
    return [int(n) for group in MARKER_GROUP.findall(text) for n in re.split(r"[,;]", group)]


def is_connective(sentence: str) -> bool:
    """Short, no digits, no names: "Here is what the sources say." carries no claim."""
    return (
        len(sentence.split()) <= CONNECTIVE_MAX_WORDS
        and not _NUMBER_TOKEN.search(sentence)
        and not name_tokens(sentence)
    )


def _embed_many(embedder: Embedder, texts: list[str]) -> np.ndarray:
    embed_many = getattr(embedder, "embed_many_cached", None)
    if embed_many is not None:
        return np.asarray(embed_many(texts))
    return np.vstack([embedder.embed_query(t) for t in texts])


def _windows(chunk: Chunk) -> list[tuple[Quote, ...]]:
    """Each sentence of a passage, and each pair of adjacent sentences."""
    quotes = [Quote(chunk, s, e) for s, e in sentence_spans(chunk.text)]
    windows: list[tuple[Quote, ...]] = [(q,) for q in quotes]
    windows += list(itertools.pairwise(quotes))
    return windows


_NEGATION = re.compile(
    r"\b(not|never|no|neither|nor|none|nobody|nothing|without|cannot)\b|n't\b|n’t\b", re.IGNORECASE
)


def negated(text: str) -> bool:
    """Whether a sentence is negated: an odd number of negation words ("not ... never" cancel)."""
    return len(_NEGATION.findall(text)) % 2 == 1


def _window_units(quotes: tuple[Quote, ...]) -> set[str]:
    from assistant.quantities import quantities

    return {q.unit for quote in quotes for q in quantities(quote.text)}


def _entails_each(reader: Reader, sentence: str, premises: list[str]) -> list[Entailment]:
    """The reader's verdict on the sentence against each premise, the sentence's numbers spelled
    as that premise spells the same values (a model reads "70%" and "seventy per cent" apart)."""
    from assistant.quantities import in_passage_spelling

    claims = [in_passage_spelling(sentence, p) for p in premises]
    verdicts: list[Entailment | None] = [None] * len(premises)
    for claim in dict.fromkeys(claims):
        at = [i for i, c in enumerate(claims) if c == claim]
        for i, verdict in zip(at, reader.entails(claim, [premises[i] for i in at]), strict=True):
            verdicts[i] = verdict
    return [v for v in verdicts if v is not None]


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
    from assistant.quantities import quantities, unmatched_quantities

    valid = tuple(n for n in numbers if n in sources)
    removed = tuple(n for n in numbers if n not in sources)
    if not valid:
        return CheckedSentence(sentence, (), "uncited", removed=removed, reason="no valid citation")
    passages = [sources[n].text for n in valid]
    joined = normalise_for_check(" ".join(passages))
    reasons: list[str] = []
    contradicted: list[str] = []
    words = _passage_words(joined)
    missing_names = sorted(n for n in name_tokens(sentence) if not _name_in(n, words))
    if missing_names:
        reasons.append("names not in the cited passage: " + ", ".join(missing_names))
    vector = embedder.embed_query(sentence)
    quotes: list[Quote] = []
    candidates: list[tuple[int, tuple[Quote, ...]]] = []
    best_overall = -1.0
    best_window: tuple[int, str] | None = None
    for n in valid:
        windows = _windows(sources[n])
        if not windows:
            continue
        texts = [" ".join(q.text for q in w) for w in windows]
        sims = _embed_many(embedder, texts) @ vector
        order = np.argsort(-sims, kind="stable")
        if float(sims[order[0]]) > best_overall:
            best_overall = float(sims[order[0]])
            best_window = (n, " ".join(q.text for q in windows[int(order[0])]))
        quotes.extend(windows[int(order[0])])
        candidates += [(n, windows[int(i)]) for i in order[:windows_per_source]]
    unmatched = unmatched_quantities(sentence, " ".join(passages))
    if unmatched:
        message = "numbers not in the cited passage: " + ", ".join(unmatched)
        # A different figure of the same kind (a percentage for a percentage, a year for a
        # year) where the passage speaks of the same things contradicts it; else it is unsaid.
        units = {q.unit for q in quantities(sentence) if q.text in unmatched}
        if not missing_names and units & _window_units(tuple(quotes)):
            marks = "".join(f"[{n}]" for n in valid)
            contradicted.append(f"contradicted by {marks}: " + message.removeprefix("numbers "))
        else:
            reasons.append(message)
    if (
        reader is not None
        and best_window is not None
        and not contradicted
        and not missing_names
        and negated(sentence) != negated(best_window[1])
    ):
        contradicted.append(
            f'contradicted by [{best_window[0]}]: one says not, the other does: "{best_window[1]}"'
        )
    if reader is None:
        if best_overall < min_similarity:
            reasons.append(f"meaning too far from the cited passage ({best_overall:.2f})")
    elif candidates and not contradicted:
        premises = [" ".join(q.text for q in w) for _, w in candidates]
        verdicts = _entails_each(reader, sentence, premises)
        best_entailed = max(v.entailed for v in verdicts)
        if best_entailed < min_entailed:
            worst = max(range(len(verdicts)), key=lambda i: verdicts[i].contradicted)
            if verdicts[worst].contradicted >= min_contradicted:
                n = candidates[worst][0]
                contradicted.append(f'contradicted by [{n}]: "{premises[worst]}"')
            else:
                reasons.append(
                    f"the cited passage does not say this (entailment {best_entailed:.2f})"
                )
    status: SentenceStatus = "supported"
    if contradicted:
        status = "contradicted"
    elif reasons:
        status = "unsupported"
    return CheckedSentence(
        sentence,
        valid,
        status,
        quotes=tuple(quotes),
        removed=removed,
        reason="; ".join(contradicted + reasons),
        similarity=round(best_overall, 4),
    )


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
        s.text + " " + "".join(f"[{n}]" for n in s.citations)
        for s in sentences
        if s.status == "supported"
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
