"""Builds the components from the settings: store, embedder, knowledge base, answerer, chain.

Backends are chosen by one match each and imported lazily, so a missing optional package only
matters to those who choose it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from types import TracebackType

from assistant.chain import AssistantChain
from assistant.config import Settings
from assistant.documents.limits import ParseLimits
from assistant.errors import AssistantError
from assistant.generation.base import Answerer
from assistant.generation.extractive import ExtractiveAnswerer
from assistant.index.datadir import DataDir
from assistant.index.embedder import Embedder, SentenceTransformerEmbedder
from assistant.index.store import ChromaStore, ChunkStore
from assistant.knowledge import KnowledgeBase
from assistant.reading import Calibration, ModelReader, Reader
from assistant.retrieval import AssistantRetriever, HybridRetriever, Mode

log = logging.getLogger(__name__)


def reader_calibration(settings: Settings) -> Calibration:
    """The calibration for the configured reader: the one named, else the one beside other
    weights, else the shipped one (with a warning when the weights are not the shipped ones)."""
    if settings.reader_calibration is not None:
        if not settings.reader_calibration.is_file():
            raise AssistantError(f"no reader calibration file at {settings.reader_calibration}")
        return Calibration.load(settings.reader_calibration)
    weights = settings.reader_weights
    if weights is not None:
        beside = weights.with_name("calibration.json")
        if beside.is_file():
            return Calibration.load(beside)
        log.warning(
            "no calibration.json beside %s: using the shipped reader's thresholds, which were "
            "tuned for other weights (set ASSISTANT_READER_CALIBRATION)",
            weights,
        )
    return Calibration.load()


def make_store(settings: Settings, embedder: Embedder) -> ChunkStore:
    paths = DataDir(settings.data_dir)
    return ChromaStore(
        path=paths.chroma,
        url=settings.chroma_url,
        collection=settings.collection,
        embed=lambda texts: embedder.embed(texts),
        write_lock=paths.write_lock,
    )


@dataclass
class Runtime:
    """Everything a command needs, made on first use; `close()` stops what it started."""

    settings: Settings
    embedder_override: Embedder | None = None
    store_override: ChunkStore | None = None
    answerer_override: Answerer | None = None
    reader_override: Reader | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Stop what this runtime started (the local LLM server, the registry), the last started first.

        Idempotent; components handed in as overrides belong to the caller and are left alone.
        """
        while self.closers:
            closer = self.closers.pop()
            try:
                closer()
            except Exception as exc:  # one failing closer must not keep the others open
                log.warning("closing %r failed: %s", closer, exc)

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @cached_property
    def embedder(self) -> Embedder:
        if self.embedder_override is not None:
            return self.embedder_override
        return SentenceTransformerEmbedder(
            self.settings.embedding_model, batch_size=self.settings.embedding_batch_size
        )

    @cached_property
    def store(self) -> ChunkStore:
        if self.store_override is not None:
            return self.store_override
        return make_store(self.settings, self.embedder)

    @cached_property
    def knowledge(self) -> KnowledgeBase:
        s = self.settings
        knowledge = KnowledgeBase(
            data_dir=s.data_dir,
            store=self.store,
            embedder=self.embedder,
            chunk_size=s.chunk_size,
            chunk_overlap=s.chunk_overlap,
            max_file_bytes=s.max_file_bytes,
            parse_limits=ParseLimits.from_settings(s),
        )
        self.closers.append(knowledge.registry.close)  # the registry's SQLite connection
        return knowledge

    @cached_property
    def retriever(self) -> HybridRetriever:
        s = self.settings
        return HybridRetriever(
            embedder=self.embedder,
            store=self.store,
            bm25=self.knowledge.bm25,
            k=s.k,
            candidates=s.candidates,
            rrf_k=s.rrf_k,
        )

    @cached_property
    def reader(self) -> Reader:
        if self.reader_override is not None:
            return self.reader_override
        from assistant.reading.model import DEFAULT_WEIGHTS, CrossEncoderReader

        weights = self.settings.reader_weights or DEFAULT_WEIGHTS
        model = CrossEncoderReader(weights, base_model=self.settings.embedding_model)
        return ModelReader(model, reader_calibration(self.settings))

    @property
    def min_answer_prob(self) -> float:
        """The reader probability at which a sentence answers: the setting, else calibrated."""
        s = self.settings
        if s.min_answer_prob is not None:
            return s.min_answer_prob
        return self.reader.calibration.min_answer_prob

    @cached_property
    def offline_answerer(self) -> ExtractiveAnswerer:
        return ExtractiveAnswerer.from_settings(
            self.settings, self.embedder, self.reader, min_prob=self.min_answer_prob
        )

    @cached_property
    def answerer(self) -> Answerer:
        if self.answerer_override is not None:
            return self.answerer_override
        match self.settings.llm:
            case "none":
                return self.offline_answerer
            case _:
                from assistant.generation.llm import make_llm_answerer

                answerer = make_llm_answerer(
                    self.settings, self.offline_answerer, self.embedder, self.reader
                )
                self.closers.append(answerer.close)
                return answerer

    @cached_property
    def chain(self) -> AssistantChain:
        condense = None
        if self.settings.llm != "none":
            from assistant.generation.llm import condenser_for

            condense = condenser_for(self.answerer, self.settings.llm_timeout)
        return AssistantChain(
            retriever=self.retriever,
            answerer=self.answerer,
            condense=condense,
            max_question_chars=self.settings.max_question_chars,
            max_history_turns=self.settings.max_history_turns,
            max_turn_chars=self.settings.max_turn_chars,
        )

    def as_retriever(self, k: int | None = None, mode: Mode | None = None) -> AssistantRetriever:
        """The knowledge base's hybrid retrieval as a LangChain retriever (Documents to cite)."""
        return AssistantRetriever(hybrid=self.retriever, k=k, mode=mode)
