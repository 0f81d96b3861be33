"""The offline answerer: picks the sentences of the retrieved passages that answer the question.

Every answer sentence is a verbatim sentence of a cited passage, so it is supported by construction.
Sentences are shortlisted by a cheap blend (embedding similarity to the question, the share of the
question's content words the sentence contains, a small bonus when it holds the kind of thing asked
for), and the reader (:mod:`assistant.reading`) decides which of them answer: the answerer declines
when none does, names the parts of a several-part question that none answers, and gathers distinct
points for broad questions.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.citations import Quote, number_citations, sentence_spans
from assistant.conversation import (
    is_follow_up,
    last_user_turn,
    names_its_own_topic,
    standalone_query,
)
from assistant.generation.answer_types import (
    answer_type,
    holds_answer_type,
    holds_specifics,
    kind_noun,
    type_bonus,
)
from assistant.generation.base import abstain
from assistant.generation.candidates import Candidate, Reading, document_order, overlaps
from assistant.generation.question_kinds import (
    ANAPHORIC_START,
    ASKS_FOR_MORE,
    ASKS_OPINION,
    TOPIC_SHIFT,
    content_terms,
    is_broad,
    missing_note,
    split_question,
)
from assistant.index.embedder import Embedder
from assistant.reading import Reader
from assistant.security import looks_like_injection
from assistant.types import Answer, AnswerSentence, DeclineReason, ScoredChunk, Turn

if TYPE_CHECKING:
    from assistant.config import Settings


class ExtractiveAnswerer:
    """Composes an answer from source sentences that the reader judges to answer the question.

    A cheap blend (embedding similarity, shared content words, answer type) shortlists the
    sentences of the retrieved passages; the reader then says, for each, how likely it is to
    answer the question. Below ``min_prob`` for every sentence, the answerer declines. A question
    of several parts is read part by part: parts no sentence answers are named as missing
    (coverage "partial"). A broad question (why, how, which, list, summarise...) gathers the
    distinct points of every passage that makes one, within ``broad_words`` words.
    """

    name = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        reader: Reader,
        *,
        min_prob: float = 0.5,
        min_score: float = 0.0,
        max_sentences: int = 2,
        margin: float = 0.2,
        shortlist: int = 12,
        broad_shortlist: int = 24,
        broad_min_score: float = 0.25,
        broad_floor: float | None = None,
        broad_reader_weight: float = 4.0,
        broad_specific_bonus: float = 0.0,
        broad_hub_weight: float = 0.0,
        broad_rank_weight: float = 0.0,
        broad_words: int = 120,
        duplicate_similarity: float = 0.8,
        dense_weight: float = 0.6,
    ) -> None:
        self.embedder = embedder
        self.reader = reader
        self.min_prob = min_prob
        self.min_score = min_score
        self.max_sentences = max_sentences
        self.margin = margin
        self.shortlist = shortlist
        self.broad_shortlist = broad_shortlist
        self.broad_min_score = broad_min_score
        self.broad_floor = min_score if broad_floor is None else broad_floor
        self.broad_reader_weight = broad_reader_weight
        self.broad_specific_bonus = broad_specific_bonus
        self.broad_hub_weight = broad_hub_weight
        self.broad_rank_weight = broad_rank_weight
        self.broad_words = broad_words
        self.duplicate_similarity = duplicate_similarity
        self.dense_weight = dense_weight

    @classmethod
    def from_settings(
        cls, settings: Settings, embedder: Embedder, reader: Reader, **overrides: Any
    ) -> ExtractiveAnswerer:
        """The answerer as the settings configure it (``overrides`` replace single options)."""
        options: dict[str, Any] = {
            "min_score": settings.min_relevance,
            "broad_floor": settings.broad_min_relevance,
            "broad_specific_bonus": settings.broad_specific_bonus,
            "broad_hub_weight": settings.broad_hub_weight,
            "broad_rank_weight": settings.broad_rank_weight,
            "max_sentences": settings.max_answer_sentences,
            "broad_words": settings.broad_answer_words,
        }
        return cls(embedder, reader, **(options | overrides))

    def _embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.embedder.embed_many_cached(texts))

    def score(self, question: str, history: list[Turn], hits: list[ScoredChunk]) -> list[Candidate]:
        """Every sentence of the retrieved passages, scored against the question, best first.

        A sentence that opens with a pronoun ("This included ...") is read together with the
        sentence before it, which is what it refers to.
        """
        quotes: list[tuple[Quote, Quote | None, int]] = []
        for rank, hit in enumerate(hits):
            previous: Quote | None = None
            for start, end in sentence_spans(hit.chunk.text):
                quote = Quote(hit.chunk, start, end)
                lead = previous if ANAPHORIC_START.match(quote.text) else None
                if len(quote.text.split()) >= 4 and not looks_like_injection(quote.text):
                    quotes.append((quote, lead, rank))
                previous = quote
        if not quotes:
            return []
        options = [[q.text] + ([f"{lead.text} {q.text}"] if lead else []) for q, lead, _ in quotes]
        unique = list(dict.fromkeys(t for opts in options for t in opts))
        table = dict(zip(unique, self._embed(unique), strict=True))
        q_vec = self.embedder.embed_query(question)
        texts: list[str] = []
        for i, opts in enumerate(options):
            best = max(opts, key=lambda t: float(table[t] @ q_vec))
            texts.append(best)
            if best == opts[0]:
                quotes[i] = (quotes[i][0], None, quotes[i][2])
        vectors = np.vstack([table[t] for t in texts])
        dense = vectors @ q_vec
        q_terms = content_terms(question)
        overlap = np.array([_overlap(q_terms, t) for t in texts])
        if is_follow_up(question, history):
            # the fewer words of its own ("When was it set up?"), the more the context counts
            own = min(0.6, 0.2 + 0.2 * len(q_terms))
            if q_terms and TOPIC_SHIFT.match(question):
                own = 0.8  # "And what about X?": X is the subject now
            context = last_user_turn(history)
            dense = own * dense + (1 - own) * (vectors @ self.embedder.embed_query(context))
            ctx_terms = content_terms(context)
            ctx_overlap = np.array([_overlap(ctx_terms, t) for t in texts])
            overlap = own * overlap + (1 - own) * ctx_overlap
        said = _previous_answer(history) if ASKS_FOR_MORE.search(question) else ""
        repeats = vectors @ self.embedder.embed_query(said) if said else np.zeros(len(texts))
        kind = answer_type(question)
        candidates: list[Candidate] = []
        rows = zip(quotes, dense, overlap, texts, repeats, vectors, strict=True)
        for (quote, lead, rank), sim, lex, text, repeat, vector in rows:
            adjustment = type_bonus(kind, text, question)
            if repeat > 0.75:  # "what else ...?": what was already said is not the answer
                adjustment -= 0.15
            score = self.dense_weight * float(sim) + (1 - self.dense_weight) * float(lex)
            candidates.append(
                Candidate(
                    quote,
                    score + adjustment,
                    rank,
                    lead,
                    text,
                    vector,
                    similarity=float(sim),
                    adjustment=adjustment,
                )
            )
        candidates.sort(key=lambda c: (-c.score, c.hit_rank, c.quote.start))
        return candidates

    def read(self, question: str, history: list[Turn], hits: list[ScoredChunk]) -> Reading:
        """Shortlist, then the reader's probability for each shortlisted sentence and part."""
        broad = is_broad(question)
        scored = self.score(question, history, hits)
        floor = self.min_score
        if broad and scored and scored[0].score >= self.min_score:
            floor = min(floor, self.broad_floor)  # in scope: its points may share fewer words
        candidates = [c for c in scored if c.score >= floor]
        if candidates and is_follow_up(question, history) and names_its_own_topic(question):
            # The context lifted the scores; a question with a topic of its own must reach the
            # floor without it, or it is about something the sources don't cover.
            q_vec = self.embedder.embed_query(question)
            q_terms = content_terms(question)
            own = max(
                self.dense_weight * float(c.vector @ q_vec)
                + (1 - self.dense_weight) * _overlap(q_terms, c.text)
                for c in candidates
            )
            if own < self.min_score:
                candidates = []
        shortlist = candidates[: self.broad_shortlist if broad else self.shortlist]
        full_question = standalone_query(question, history)
        if full_question == question:
            parts = [] if broad else split_question(question)
        else:  # a follow-up: read with the earlier question, unless it turns to a new subject
            parts = [question] if TOPIC_SHIFT.match(question) else [full_question]
        if not parts or (len(parts) == 1 and full_question == question):
            parts = [full_question]
        texts = [c.text for c in shortlist]
        probs = (
            np.array([self.reader.answers(p, texts) for p in parts])
            if texts
            else np.zeros((len(parts), 0))
        )
        return Reading(shortlist, parts, probs, broad)

    def answer(self, question: str, history: list[Turn], hits: list[ScoredChunk]) -> Answer:
        if ASKS_OPINION.search(question):  # the sources hold facts and claims, not our opinions
            return abstain(hits, self.name, DeclineReason.OPINION)
        reading = self.read(question, history, hits)
        if not reading.shortlist:
            return abstain(hits, self.name, DeclineReason.NOTHING_RETRIEVED)
        if reading.broad:
            chosen = self._gather(reading)
            missing: list[str] = []
        else:
            chosen, missing = self._pick(reading)
        if not chosen:
            kind = None if reading.broad else self._kind_missing(reading)
            if kind is not None:
                detail = f"the passages found give no {kind_noun(kind)} for this question."
                return abstain(hits, self.name, DeclineReason.ASKED_KIND_MISSING, detail)
            return abstain(hits, self.name, DeclineReason.NO_SENTENCE_ANSWERS)
        quotes: list[Quote] = []
        for cand in chosen:
            if cand.lead is not None and not any(overlaps(cand.lead, q) for q in quotes):
                quotes.append(cand.lead)
            if not any(overlaps(cand.quote, q) for q in quotes):
                quotes.append(cand.quote)
        citations, numbers = number_citations(quotes)
        sentences = [
            AnswerSentence(text=q.text, citations=(n,), status="supported")
            for q, n in zip(quotes, numbers, strict=True)
        ]
        body = " ".join(f"{s.text} [{s.citations[0]}]" for s in sentences)
        text = body
        if missing:
            note = " ".join(missing_note(part) for part in missing)
            text = f"{note} What they do say: {body}"
        return Answer(
            text=text,
            abstained=False,
            citations=citations,
            sentences=sentences,
            retrieved=hits,
            backend=self.name,
            coverage="partial" if missing else "full",
            missing=missing,
        )

    def _pick(self, reading: Reading) -> tuple[list[Candidate], list[str]]:
        """Factoid: the one or two sentences that answer each part; the parts none answers."""
        chosen: list[Candidate] = []
        missing: list[str] = []
        for part, probs in zip(reading.parts, reading.typed_probs(), strict=True):
            best = float(probs.max()) if probs.size else 0.0
            if best < self.min_prob:
                missing.append(part)
                continue
            order = sorted(range(len(probs)), key=lambda i: (-probs[i], i))
            taken = 0
            for i in order:
                if taken >= self.max_sentences or probs[i] < max(self.min_prob, best - self.margin):
                    break
                cand = reading.shortlist[i]
                if any(overlaps(cand.quote, c.quote) for c in chosen):
                    continue
                chosen.append(cand)
                taken += 1
        if not chosen:
            return [], []
        return chosen, (missing if len(reading.parts) > 1 else [])

    def _kind_missing(self, reading: Reading) -> str | None:
        """The kind of thing a one-part question asks for, when a sentence would have answered
        it but for lacking one ("How many yen ...?" read as answered by "65 per cent higher")."""
        if len(reading.parts) != 1 or not reading.probs.size:
            return None
        kind = answer_type(reading.parts[0])
        if kind is None or float(reading.probs.max()) < self.min_prob:
            return None
        return kind

    def decision_score(self, reading: Reading) -> float:
        """What ``min_prob`` is compared with to answer or decline (for calibration): the best
        typed probability; a broad question is gathered whatever the threshold (1.0) when
        anything reaches the relevance floor (else 0.0)."""
        if reading.broad:
            return 1.0 if self._gather(reading) else 0.0
        return reading.best()

    def _gather(self, reading: Reading) -> list[Candidate]:
        """Broad: distinct relevant sentences from every passage, within the word budget.

        The reader judges whether a sentence answers a question with one answer; a broad
        question's answer is spread over several, each of which reads as a poor answer alone. So
        sentences are taken in the order of their relevance (see `_broad_keys`) while it reaches
        ``broad_min_score``. A question asking for several things of a kind ("Which countries
        ...?") takes only sentences naming one.
        """
        if not reading.shortlist:
            return []
        question = reading.parts[0] if reading.parts else ""
        kind = answer_type(question)
        keys = self._broad_keys(reading, question)
        order = sorted(range(len(keys)), key=lambda i: (-keys[i], i))
        if keys[order[0]] < self.broad_min_score:
            return []
        chosen: list[Candidate] = []
        words = 0
        for i in order:
            if keys[i] < self.broad_min_score:
                break
            cand = reading.shortlist[i]
            if any(overlaps(cand.quote, c.quote) for c in chosen):
                continue
            if not holds_answer_type(kind, cand.text, question):
                continue
            if any(float(cand.vector @ c.vector) > self.duplicate_similarity for c in chosen):
                continue
            length = len(cand.text.split())
            if chosen and words + length > self.broad_words:
                continue
            chosen.append(cand)
            words += length
        return document_order(chosen)

    def _broad_keys(self, reading: Reading, question: str) -> list[float]:
        """How relevant each shortlisted sentence is to a broad question: its similarity to the
        question, less how close it is to every other sentence (a sentence that restates the
        document's theme is near all of them and near any question, and says little of its own),
        plus the reader's probability and a bonus for a figure, date or name of its own, less
        ``broad_rank_weight`` for each place its passage stands below the first retrieved
        (retrieval reads whole passages, words and meaning together).

        Shared words count for shortlisting, not here: a broad question's points seldom repeat
        its words, while sentences restating the theme do.
        """
        probs = reading.probs.max(axis=0)
        vectors = np.vstack([c.vector for c in reading.shortlist])
        hubness = np.zeros(len(reading.shortlist))
        if self.broad_hub_weight and len(reading.shortlist) > 1:
            sims = vectors @ vectors.T
            np.fill_diagonal(sims, -np.inf)
            nearest = min(_HUB_NEIGHBOURS, len(reading.shortlist) - 1)
            hubness = np.sort(sims, axis=1)[:, -nearest:].mean(axis=1)
            hubness -= hubness.mean()
        return [
            c.similarity
            + c.adjustment
            - self.broad_hub_weight * float(h)
            - self.broad_rank_weight * c.hit_rank
            + self.broad_reader_weight * float(p)
            + self.broad_specific_bonus * holds_specifics(c.text, question)
            for c, p, h in zip(reading.shortlist, probs, hubness, strict=True)
        ]

    def stream(
        self, question: str, history: list[Turn], hits: list[ScoredChunk]
    ) -> Iterator[str | Answer]:
        answer = self.answer(question, history, hits)
        yield answer.text
        yield answer


_HUB_NEIGHBOURS = 5  # a sentence's closeness to the others: its mean similarity to the 5 nearest


def _overlap(terms: frozenset[str], text: str) -> float:
    return len(terms & content_terms(text)) / len(terms) if terms else 0.0


def _previous_answer(history: list[Turn]) -> str:
    for turn in reversed(history):
        if turn.role == "assistant":
            return turn.content
    return ""
