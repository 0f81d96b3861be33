"""The small dataclasses passed across the seams: documents, chunks, retrieval hits, citations, answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

SentenceStatus = Literal["supported", "contradicted", "unsupported", "uncited"]
# How much of the question the answer covers: all of it, some parts (the rest is said to be
# missing), or nothing (declined).
Coverage = Literal["full", "partial", "none"]

# The one wording of a decline shown to a reader: the web page's card shows the heading and the
# detail, the CLI and `ask --json` the whole sentence.
DECLINE_HEADING = "The sources don't say"
DECLINE_DETAIL = "nothing in the knowledge base answers this question."


def decline_text(detail: str = DECLINE_DETAIL) -> str:
    """The whole sentence of a decline: the heading, then what the sources don't say."""
    return f"{DECLINE_HEADING}: {detail}"


NO_ANSWER = decline_text()


def decline_detail(text: str) -> str:
    """What a decline's text says after the heading (the general detail for any other text)."""
    head = decline_text("")
    return text[len(head) :] if text.startswith(head) else DECLINE_DETAIL


# What a citation can tell of a document besides its title, when the source states it: its
# address, publication date (ISO, YYYY-MM-DD), author and publisher or site. Unknown stays absent.
DOCUMENT_META_KEYS = ("url", "published", "author", "site")


def cited_metadata(metadata: Mapping[str, Any]) -> dict[str, str]:
    """The DOCUMENT_META_KEYS of `metadata` that have a value, in that order."""
    return {key: str(metadata[key]) for key in DOCUMENT_META_KEYS if metadata.get(key)}


class DeclineReason(StrEnum):
    """Why an answer declined (`Answer.decline_reason`; "decline_reason" in `ask --json`)."""

    OPINION = "opinion"  # the question asks for an opinion; the sources hold facts and claims
    NOTHING_RETRIEVED = "nothing retrieved"  # no passage came back, or none was worth reading
    NO_SENTENCE_ANSWERS = "no sentence answers"  # the reader found no sentence that answers
    # the question asks for a kind of thing (a date, a sum of money, a place...) none gives
    ASKED_KIND_MISSING = "no sentence gives what is asked"
    MODEL_DECLINED = "model declined"  # the LLM replied that the sources don't say
    NOT_IN_SOURCES = "not in the sources"  # declined, for no more specific reason


def plural(n: int, noun: str) -> str:
    """ "1 chunk", "2 chunks"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def location_label(first: int, last: int | None = None, page: int | None = None) -> str:
    """Where a passage sits: "paragraph 4", "paragraphs 4\u20136", "page 2, paragraph 4"."""
    single = last is None or last == first
    where = f"paragraph {first}" if single else f"paragraphs {first}\u2013{last}"
    return f"page {page}, {where}" if page is not None else where


def paragraphs_label(paragraphs: Sequence[int], page: int | None = None) -> str:
    """Where quotes from one passage sit: "paragraph 4", "paragraphs 3, 5" (distinct, in order);
    with a page, each paragraph is labelled in full: "page 2, paragraph 3; page 2, paragraph 5"."""
    distinct = list(dict.fromkeys(paragraphs))
    if len(distinct) == 1 or page is not None:
        return "; ".join(location_label(n, page=page) for n in distinct)
    return "paragraphs " + ", ".join(str(n) for n in distinct)


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a loaded document: its text, where it sits, and its 1-based number."""

    number: int
    start: int  # character offset into Document.text
    end: int
    page: int | None = None  # 1-based page number, PDFs only


@dataclass(frozen=True)
class Document:
    """A loaded source document: the plain text the assistant reads, and where each paragraph is."""

    text: str
    title: str
    source: str  # where it came from: a file path, or "upload/<name>" for web uploads
    doc_type: str  # "txt", "md", "html", "pdf", "docx"
    paragraphs: tuple[Paragraph, ...]
    # DOCUMENT_META_KEYS the source states (front matter may add keys of its own)
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A passage of a document as it is indexed and cited."""

    chunk_id: str
    document_id: str
    title: str
    source: str
    text: str
    start: int  # character offsets into the document text
    end: int
    paragraph_start: int
    paragraph_end: int
    page: int | None = None
    # the document's DOCUMENT_META_KEYS (url, published, author, site) that are known
    document_metadata: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def location(self) -> str:
        """Human-readable location: paragraph numbers, plus the page for PDFs."""
        return location_label(self.paragraph_start, self.paragraph_end, self.page)

    def paragraph_at(self, offset: int) -> int:
        """The number of the paragraph a character offset into this chunk's text falls in."""
        return self.paragraph_start + self.text.count("\n\n", 0, offset)

    def to_metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "document_id": self.document_id,
            "title": self.title,
            "source": self.source,
            "start": self.start,
            "end": self.end,
            "paragraph_start": self.paragraph_start,
            "paragraph_end": self.paragraph_end,
        }
        if self.page is not None:
            meta["page"] = self.page
        meta.update(cited_metadata(self.document_metadata))
        return meta

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
        page = meta.get("page")
        return cls(
            chunk_id=chunk_id,
            document_id=str(meta["document_id"]),
            title=str(meta["title"]),
            source=str(meta["source"]),
            text=text,
            start=int(meta["start"]),
            end=int(meta["end"]),
            paragraph_start=int(meta["paragraph_start"]),
            paragraph_end=int(meta["paragraph_end"]),
            page=int(page) if page is not None else None,
            document_metadata=cited_metadata(meta),
        )


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieval hit: the chunk, its fused score, and the scores and ranks that produced it."""

    chunk: Chunk
    score: float  # reciprocal-rank-fusion score
    dense_score: float | None = None  # cosine similarity, when the dense retriever found it
    bm25_score: float | None = None
    dense_rank: int | None = None  # 1-based
    bm25_rank: int | None = None


@dataclass(frozen=True)
class Citation:
    """A numbered source under an answer: which passage, where, and the sentences quoted from it."""

    n: int
    chunk_id: str
    document_id: str
    title: str
    location: str
    quote: str  # the cited sentence(s), verbatim from the passage
    passage: str  # the whole passage (chunk text)
    highlights: tuple[tuple[int, int], ...] = ()  # spans of the quote inside passage
    source: str = ""
    document_metadata: dict[str, str] = field(default_factory=dict, hash=False)  # as on Chunk

    def to_json(self) -> dict[str, Any]:
        """The citation in `ask --json`; url, published, author and site only when known."""
        return {
            "n": self.n,
            "document_id": self.document_id,
            "title": self.title,
            "location": self.location,
            "quote": self.quote,
            "chunk_id": self.chunk_id,
            "passage": self.passage,
            "highlights": [list(h) for h in self.highlights],
            "source": self.source,
            **cited_metadata(self.document_metadata),
        }


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer, the citation numbers it carries, and whether they support it."""

    text: str
    citations: tuple[int, ...]
    status: SentenceStatus
    reason: str = ""  # why it is not supported ("contradicted by [2]: ...")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text,
            "citations": list(self.citations),
            "status": self.status,
        }
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass(frozen=True)
class Turn:
    """One earlier turn of the conversation."""

    role: Literal["user", "assistant"]
    content: str


@dataclass
class Answer:
    """What the assistant says: the text with [n] markers, its sources, and how it was made.

    A decline is `abstained` with its `decline_reason` (NOT_IN_SOURCES unless given); readers of
    an Answer look at these fields, never at the wording of `text`.
    """

    text: str
    abstained: bool
    citations: list[Citation]
    sentences: list[AnswerSentence] = field(default_factory=list)
    retrieved: list[ScoredChunk] = field(default_factory=list)
    backend: str = "extractive"
    fallback: bool = False
    query: str = ""  # the standalone query used for retrieval
    timings_ms: dict[str, float] = field(default_factory=dict)
    coverage: Coverage | None = None  # None: "none" when abstained, else "full"
    missing: list[str] = field(
        default_factory=list
    )  # parts of the question the sources don't answer
    decline_reason: DeclineReason | None = None  # set exactly when abstained
    # the documents retrieval was limited to (document id -> title); empty: the whole base
    limited_to: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.coverage is None:
            self.coverage = "none" if self.abstained else "full"
        if self.abstained and self.decline_reason is None:
            self.decline_reason = DeclineReason.NOT_IN_SOURCES
        elif not self.abstained:
            self.decline_reason = None

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "abstained": self.abstained,
            "decline_reason": None if self.decline_reason is None else str(self.decline_reason),
            "coverage": self.coverage,
            "missing": list(self.missing),
            "citations": [c.to_json() for c in self.citations],
            "sentences": [s.to_json() for s in self.sentences],
            "backend": self.backend,
            "fallback": self.fallback,
            "query": self.query,
            "retrieved": [
                {
                    "chunk_id": h.chunk.chunk_id,
                    "document_id": h.chunk.document_id,
                    "score": round(h.score, 6),
                    "dense_score": None if h.dense_score is None else round(h.dense_score, 6),
                    "bm25_score": None if h.bm25_score is None else round(h.bm25_score, 6),
                }
                for h in self.retrieved
            ],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            **self._limited_json(),
        }

    def _limited_json(self) -> dict[str, Any]:
        """The `limited_to` of `ask --json`, only when retrieval was limited to chosen documents."""
        if not self.limited_to:
            return {}
        chosen = [{"document_id": d, "title": t} for d, t in self.limited_to.items()]
        return {"limited_to": chosen}


@dataclass(frozen=True)
class DocumentRecord:
    """A row of the document registry: what `sources list` shows."""

    document_id: str
    title: str
    path: str
    doc_type: str
    sha256: str
    chunks: int
    added: str  # ISO 8601, UTC
    updated: str
    metadata: dict[str, str] = field(default_factory=dict, hash=False)  # DOCUMENT_META_KEYS known

    def to_json(self) -> dict[str, Any]:
        """The row in `sources list --json`; url, published, author and site only when known."""
        return {
            "document_id": self.document_id,
            "title": self.title,
            "path": self.path,
            "type": self.doc_type,
            "chunks": self.chunks,
            "added": self.added,
            **cited_metadata(self.metadata),
        }
