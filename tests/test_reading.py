"""The reader seam and what the answerer and verifier do with it, with the deterministic fakes.

The real cross-encoder is checked on a small fixed slice in ``test_reader_model.py``
(integration); these tests pin the behaviour around it: decline, partial coverage, broad
gathering, and entailment-based verification statuses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.citations import verify_answer
from assistant.evaluation.metrics import points_covered
from assistant.evaluation.questions import load_question_set
from assistant.evaluation.verification import load_verification_set, run_verification
from assistant.generation.candidates import Reading
from assistant.generation.extractive import ExtractiveAnswerer
from assistant.generation.question_kinds import is_broad, missing_note, split_question
from assistant.reading import Calibration, Entailment, Reader, entailment_from_probs
from assistant.testing import FakeEmbedder, FakeReader
from assistant.types import Chunk, ScoredChunk

DEFENCE = (
    "Japan will raise defence spending to 2% of GDP by 2027. "
    "The budget in 2027 will be 65 per cent higher than in 2022."
)
ALLIANCE = (
    "Japan and the United States agreed to upgrade their alliance command structures. "
    "Japan also joined new groupings such as the Quad with Australia and India."
)
DIPLOMACY = (
    "Japan held joint exercises with Germany and France. "
    "Its Official Security Assistance framework gives military aid to partners."
)


def chunk(cid: str, text: str, paragraph: int = 1) -> Chunk:
    return Chunk(
        cid, f"doc-{cid}", f"Title {cid}", f"{cid}.md", text, 0, len(text), paragraph, paragraph
    )


def hits(*texts: str) -> list[ScoredChunk]:
    return [ScoredChunk(chunk(f"c{i}", t, i), 0.03) for i, t in enumerate(texts, start=1)]


def answerer(**kwargs: float) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(FakeEmbedder(), FakeReader(), **kwargs)  # type: ignore[arg-type]


class ScriptedReader:
    """A reader whose answer probabilities are given per sentence text (0 for any other)."""

    name = "scripted"
    calibration = Calibration()

    def __init__(self, probs: dict[str, float], asked: str = "") -> None:
        self.probs = probs
        self.asked = asked  # only questions holding this read the probabilities
        self.questions: list[str] = []

    def answers(self, question: str, texts: Sequence[str]) -> list[float]:
        self.questions.append(question)
        if self.asked not in question:
            return [0.0 for _ in texts]
        return [self.probs.get(t, 0.0) for t in texts]

    def entails(self, claim: str, passages: Sequence[str]) -> list[Entailment]:
        return [entailment_from_probs(np.array([0.1, 0.8, 0.1])) for _ in passages]


# ---------------------------------------------------------------- the seam


@pytest.mark.parametrize("reader", [FakeReader(), ScriptedReader({})], ids=["fake", "scripted"])
def test_readers_satisfy_the_protocol(reader: Reader) -> None:
    assert isinstance(reader, Reader)
    probs = reader.answers("When will spending rise?", ["Spending rises in 2027.", "Cats purr."])
    assert len(probs) == 2 and all(0.0 <= p <= 1.0 for p in probs)
    (verdict,) = reader.entails("Spending rises.", ["Spending rises in 2027."])
    assert verdict.label in ("entailed", "neutral", "contradicted")
    assert 0.0 <= verdict.score <= 1.0


def test_entailment_label_is_the_most_probable() -> None:
    assert entailment_from_probs(np.array([0.7, 0.2, 0.1])).label == "entailed"
    assert entailment_from_probs(np.array([0.2, 0.7, 0.1])).label == "neutral"
    verdict = entailment_from_probs(np.array([0.1, 0.2, 0.7]))
    assert verdict.label == "contradicted" and verdict.score == pytest.approx(0.7)


def test_calibration_is_platt_scaling(tmp_path: Path) -> None:
    calibration = Calibration(answer_scale=2.0, answer_shift=-1.0)
    assert calibration.answer_prob(0.5) == pytest.approx(0.5)
    assert calibration.answer_prob(3.0) > 0.99
    path = tmp_path / "calibration.json"
    path.write_text('{"answer_scale": 3.0, "min_answer_prob": 0.4, "unknown": 1}')
    loaded = Calibration.load(path)
    assert (loaded.answer_scale, loaded.min_answer_prob, loaded.answer_shift) == (3.0, 0.4, 0.0)
    assert Calibration.load(tmp_path / "absent.json") == Calibration()


# ---------------------------------------------------------------- answer or decline


def test_other_weights_get_their_own_calibration(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    from assistant.config import Settings
    from assistant.errors import AssistantError
    from assistant.runtime import reader_calibration

    weights = tmp_path / "mine" / "reader.safetensors"
    weights.parent.mkdir()
    weights.write_bytes(b"")
    shipped = Calibration.load()
    with caplog.at_level("WARNING"):
        assert reader_calibration(Settings(reader_weights=weights)) == shipped
    assert "no calibration.json beside" in caplog.text
    (weights.parent / "calibration.json").write_text('{"min_answer_prob": 0.33}')
    assert reader_calibration(Settings(reader_weights=weights)).min_answer_prob == 0.33
    named = tmp_path / "cal.json"
    named.write_text('{"min_answer_prob": 0.44, "min_entailed": 0.2}')
    chosen = reader_calibration(Settings(reader_weights=weights, reader_calibration=named))
    assert (chosen.min_answer_prob, chosen.min_entailed) == (0.44, 0.2)
    assert reader_calibration(Settings()) == shipped
    with pytest.raises(AssistantError, match="no reader calibration file at"):
        reader_calibration(Settings(reader_calibration=tmp_path / "absent.json"))
    named.write_text("[1, 2]")
    with pytest.raises(AssistantError, match="is not a reader calibration file"):
        reader_calibration(Settings(reader_calibration=named))


def test_declines_when_no_sentence_answers() -> None:
    reader = ScriptedReader({})  # nothing answers, however many words are shared
    a = ExtractiveAnswerer(FakeEmbedder(), reader).answer(  # type: ignore[arg-type]
        "How much will Japan spend on defence in yen?", [], hits(DEFENCE)
    )
    assert a.abstained and a.coverage == "none" and a.citations == []
    assert reader.questions, "the reader was asked"


def test_a_decline_names_the_kind_of_thing_no_sentence_gives() -> None:
    # The reader takes "65 per cent higher" for an answer, but the question asks for a sum of
    # money: the decline says what the sources don't give, on the CLI and on the page alike.
    from assistant.types import DeclineReason
    from assistant.ui.render import answer_html

    second = DEFENCE.split(". ", 1)[1]
    a = ExtractiveAnswerer(FakeEmbedder(), ScriptedReader({second: 0.9})).answer(  # type: ignore[arg-type]
        "How much will Japan spend on defence in yen?", [], hits(DEFENCE)
    )
    assert a.abstained and a.coverage == "none" and a.citations == []
    assert a.decline_reason == DeclineReason.ASKED_KIND_MISSING
    assert a.text == (
        "The sources don't say: the passages found give no sum of money for this question."
    )
    assert "The passages found give no sum of money for this question." in answer_html(a)
    # nothing read as an answer at all: the general wording
    plain = ExtractiveAnswerer(FakeEmbedder(), ScriptedReader({})).answer(  # type: ignore[arg-type]
        "How much will Japan spend on defence in yen?", [], hits(DEFENCE)
    )
    assert plain.decline_reason == DeclineReason.NO_SENTENCE_ANSWERS
    assert "Nothing in the knowledge base answers this question." in answer_html(plain)


def test_answers_with_the_sentence_the_reader_picks_not_the_closest() -> None:
    first, second = DEFENCE.split(". ", 1)
    reader = ScriptedReader({second: 0.9, first + ".": 0.1})
    a = ExtractiveAnswerer(FakeEmbedder(), reader).answer(  # type: ignore[arg-type]
        "How much higher will the 2027 budget be than in 2022?", [], hits(DEFENCE)
    )
    assert not a.abstained and a.coverage == "full"
    assert [s.text for s in a.sentences] == [second]
    assert a.text == f"{second} [1]"


def test_part_no_sentence_answers_is_named_then_what_the_sources_say() -> None:
    second = DEFENCE.split(". ", 1)[1]
    reader = ScriptedReader({second: 0.9}, asked="higher")
    question = "How much higher will the budget be in 2027, and what is it in yen?"
    a = ExtractiveAnswerer(FakeEmbedder(), reader).answer(question, [], hits(DEFENCE))  # type: ignore[arg-type]
    assert a.coverage == "partial" and not a.abstained
    assert a.missing == ["what is it in yen?"]
    assert a.text == f"{missing_note('what is it in yen?')} What they do say: {second} [1]"
    assert a.to_json()["coverage"] == "partial"


def test_split_question_and_broad_detection() -> None:
    assert split_question("When did it start, and how much did it cost?") == [
        "When did it start?",
        "how much did it cost?",
    ]
    assert split_question("What did Japan and Germany do?") == ["What did Japan and Germany do?"]
    assert is_broad("Why is Japan hedging?")
    # several names of one kind are answered as a name is: by the sentence that gives them
    assert not is_broad("Which countries has Japan exercised with?")
    assert is_broad("Summarise Japan's preparations.")
    assert is_broad("What is Japan doing to prepare?")
    assert not is_broad("How many missiles is Japan buying?")
    assert not is_broad("When will the budget double?")
    # a verb like "outline" or "describe" inside a question asking for a date or a name
    assert not is_broad("When did the two countries outline the upgrade?")
    assert not is_broad("Which country does the article describe as the closest ally?")
    assert is_broad("Describe Japan's approach.")
    assert is_broad("Lay out the chronology of events from 2019 to 2027.")


def test_a_broad_answer_prefers_points_of_their_own() -> None:
    from assistant.generation.answer_types import answer_type, holds_specifics

    question = "What is Japan doing?"
    assert not holds_specifics("Military diplomacy has expanded further.", question)
    assert holds_specifics("By 2027 the budget will be 65 per cent higher.", question)
    assert holds_specifics("It joined the Quad with India and Australia.", question)
    assert not holds_specifics("Japan joined the Quad.", "Why did Japan join the Quad?")
    assert answer_type("Give the timeline of the talks.") == "date"


def test_broad_question_gathers_distinct_points_from_every_passage() -> None:
    question = "Summarise what Japan is doing: defence, alliance, Quad, exercises, aid?"
    duplicate = "Japan will raise defence spending to 2% of GDP by 2027 ."  # near-copy
    a = answerer(broad_words=120, broad_min_score=0.1).answer(
        question, [], hits(DEFENCE, ALLIANCE, DIPLOMACY, duplicate)
    )
    assert not a.abstained
    cited_docs = {c.document_id for c in a.citations}
    assert {"doc-c1", "doc-c2", "doc-c3"} <= cited_docs
    texts = [s.text for s in a.sentences]
    assert duplicate.strip() not in texts  # the near-duplicate of c1's sentence is left out
    assert sum(len(t.split()) for t in texts) <= 120
    assert all(f"{s.text} [{s.citations[0]}]" in a.text for s in a.sentences)


def test_broad_question_in_scope_gathers_points_below_the_relevance_floor() -> None:
    question = "Summarise what Japan is doing: defence, alliance, Quad, exercises, aid?"
    passages = hits(DEFENCE, ALLIANCE, DIPLOMACY)
    scores = [c.score for c in answerer().score(question, [], passages)]
    floor = (scores[0] + scores[1]) / 2  # only the best sentence reaches it
    kept = answerer(min_score=floor, broad_min_score=0.0).answer(question, [], passages)
    wider = answerer(min_score=floor, broad_floor=0.0, broad_min_score=0.0)
    gathered = wider.answer(question, [], passages)
    assert len(gathered.sentences) > len(kept.sentences)
    assert {c.document_id for c in gathered.citations} > {c.document_id for c in kept.citations}
    # out of scope (nothing reaches the floor): declined, whatever the broad floor
    above_all = answerer(min_score=scores[0] + 0.01, broad_floor=0.0, broad_min_score=0.0)
    assert above_all.answer(question, [], passages).abstained


def test_a_list_of_dates_gathers_only_sentences_that_give_one() -> None:
    question = "Lay out the timeline of Japan's defence, alliance and exercises."
    gathered = answerer(broad_words=120, broad_min_score=0.0).answer(
        question, [], hits(DEFENCE, ALLIANCE, DIPLOMACY)
    )
    texts = [s.text for s in gathered.sentences]
    assert texts and all("2027" in t for t in texts)
    # the same question without asking for dates gathers the other points too
    wider = answerer(broad_words=120, broad_min_score=0.0).answer(
        "Summarise Japan's defence, alliance and exercises.", [], hits(DEFENCE, ALLIANCE, DIPLOMACY)
    )
    assert any("2027" not in s.text for s in wider.sentences)


def test_broad_answer_keeps_to_the_word_budget() -> None:
    a = answerer(broad_words=25, broad_min_score=0.1).answer(
        "Summarise Japan's defence, alliance, Quad and exercises.",
        [],
        hits(DEFENCE, ALLIANCE, DIPLOMACY),
    )
    assert not a.abstained
    assert sum(len(s.text.split()) for s in a.sentences) <= 25 or len(a.sentences) == 1


def test_factoid_question_keeps_to_max_sentences() -> None:
    a = answerer(max_sentences=1, margin=1.0).answer(
        "Japan defence spending GDP 2027?", [], hits(DEFENCE, ALLIANCE, DIPLOMACY)
    )
    assert len(a.sentences) == 1


# ---------------------------------------------------------------- verification by meaning


def test_verifier_statuses_follow_the_reader() -> None:
    sources = {1: chunk("c1", DEFENCE)}
    reader = FakeReader()
    checked = verify_answer(
        "Japan will raise defence spending to 2% of GDP by 2027 [1]. "
        "Japan will not raise defence spending to 2% of GDP by 2027 [1]. "
        "Japan will raise spending on schools and hospitals [1].",
        sources,
        FakeEmbedder(),
        reader=reader,
    )
    assert [s.status for s in checked.sentences] == ["supported", "contradicted", "unsupported"]
    assert checked.sentences[1].reason.startswith("contradicted by [1]")
    assert reader.entail_calls > 0


def test_numbers_are_compared_as_numbers_whatever_their_spelling() -> None:
    sources = {1: chunk("c1", DEFENCE)}
    checked = verify_answer(
        "Japan will raise defence spending to two per cent of GDP by 2027 [1]. "
        "Japan will raise defence spending to three per cent of GDP by 2027 [1].",
        sources,
        FakeEmbedder(),
        reader=FakeReader(),
    )
    first, second = checked.sentences
    assert first.status == "supported"
    assert second.status == "contradicted" and "three per cent" in second.reason


def test_verification_set_runs_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text(
        "documents:\n  - {id: d1, text: 'The museum opened in 1990 with 40 rooms.'}\n"
        "pairs:\n"
        "  - {id: p1, document: d1, claim: 'It opened in 1990.', label: faithful, kind: paraphrase}\n"
        "  - {id: p2, document: d1, claim: 'It opened in 1991.', label: wrong, kind: date}\n"
        "  - {id: p3, document: d1, claim: 'It has 41 rooms.', label: wrong, kind: number}\n"
    )
    pairs = load_verification_set(path)
    statuses = {"p1": "supported", "p2": "supported", "p3": "contradicted"}
    result = run_verification(pairs, lambda p: (statuses[p.id], ""))
    assert result["metrics"] == {
        "faithful_accepted": 1.0,
        "wrong_supported": 0.5,
        "wrong_contradicted": 0.5,
        "n_faithful": 1,
        "n_wrong": 2,
    }
    assert result["by_kind"]["wrong/date"] == {"n": 1, "supported": 1}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("pairs: []", "expected a mapping with 'documents'"),
        (
            "documents: [{id: d1, text: x}]\npairs: [{id: p, document: d2, claim: c, label: faithful}]",
            "unknown document 'd2'",
        ),
        (
            "documents: [{id: d1, text: x}]\npairs: [{id: p, document: d1, claim: c, label: maybe}]",
            "label must be faithful or wrong",
        ),
    ],
)
def test_bad_verification_set_is_one_line(tmp_path: Path, content: str, message: str) -> None:
    from assistant.errors import AssistantError

    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(AssistantError, match=message):
        load_verification_set(path)


# ---------------------------------------------------------------- question sets with kinds


def test_question_set_kinds_points_and_missing(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(
        "- id: b1\n  question: Why?\n  kind: broad\n  points: [[budget], [alliance, Quad]]\n"
        "- id: p1\n  question: How much, and in yen?\n  kind: partial\n  missing: the yen figure\n"
    )
    broad, partial = load_question_set(path)
    assert (broad.kind, broad.points) == ("broad", [["budget"], ["alliance", "Quad"]])
    assert (partial.kind, partial.missing) == ("partial", "the yen figure")
    assert points_covered("The budget rises. [1]", broad.points or []) == 0.5
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: x\n  question: Why?\n  kind: sweeping\n")
    from assistant.errors import AssistantError

    with pytest.raises(AssistantError, match="kind must be one of"):
        load_question_set(bad)


def test_shipped_sets_load() -> None:
    root = Path(__file__).resolve().parents[1] / "eval" / "sets"
    heldout = load_question_set(root / "japan-heldout.yaml")
    kinds = [item.kind for item in heldout]
    assert len(heldout) >= 40 and kinds.count("near-miss") >= 15 and kinds.count("broad") >= 10
    assert all(item.points for item in heldout if item.kind == "broad")
    test_pairs = load_verification_set(root / "verification-test.yaml")
    assert len(test_pairs) >= 100
    load_question_set(root / "japan-reader-dev.yaml")
    load_verification_set(root / "verification-dev.yaml")


# ---------------------------------------------------------------- how it is shown


def test_page_shows_partial_answers_and_contradicted_sentences() -> None:
    from assistant.types import Answer, AnswerSentence
    from assistant.ui.render import answer_html

    partial = Answer(
        text='The sources don\'t answer "what is it in yen?". What they do say: X. [1]',
        abstained=False,
        citations=[],
        sentences=[AnswerSentence("X.", (1,), "supported")],
        coverage="partial",
        missing=["what is it in yen?"],
    )
    html = answer_html(partial)
    assert "Partly answered" in html and "what is it in yen?" in html
    assert "Partly answered" not in answer_html(
        Answer(text="X. [1]", abstained=False, citations=[], sentences=partial.sentences)
    )
    wrong = Answer(
        text="Y. [1]",
        abstained=False,
        citations=[],
        sentences=[AnswerSentence("Y.", (1,), "contradicted", reason='contradicted by [1]: "Z."')],
    )
    html = answer_html(wrong)
    assert "contradicted by the cited source" in html
    assert 'title="contradicted by [1]: &quot;Z.&quot;"' in html


def test_cli_marks_contradicted_sentences() -> None:
    from io import StringIO

    from rich.console import Console

    from assistant.cli.ask import render_checked
    from assistant.types import Answer, AnswerSentence

    out = StringIO()
    answer = Answer(
        text="A. [1] B. [1]",
        abstained=False,
        citations=[],
        sentences=[
            AnswerSentence("A.", (1,), "supported"),
            AnswerSentence("B.", (1,), "contradicted"),
        ],
    )
    assert render_checked(answer, Console(file=out, width=100))
    assert out.getvalue().splitlines() == ["A. [1]", "B. [1]  ✗ contradicted by its source"]


def test_the_specific_bonus_puts_a_point_of_its_own_before_a_restated_theme() -> None:
    question = "Summarise what Japan is doing on defence."
    generic = "Japan is doing more on defence and doing it with partners."
    specific = "Japan will raise defence spending to 2% of GDP by 2027."
    found = {}
    for bonus in (0.0, 1.0):
        kwargs = {"broad_words": 12, "broad_min_score": 0.0, "broad_reader_weight": 0.0}
        a = answerer(**kwargs, broad_specific_bonus=bonus).answer(
            question, [], hits(generic, specific)
        )
        found[bonus] = a.sentences[0].text
    assert found[1.0] == specific
    assert found[0.0] == generic  # without it, the theme shares more of the question's words


# ---------------------------------------------------------------- training pairs


def test_cutting_the_answer_leaves_an_on_topic_sentence_that_no_longer_answers() -> None:
    import random

    from assistant.reading.perturb import cut_elsewhere, without_answer

    text = "India and Japan held fighter exercises in Ibaraki for the first time in January 2023."
    span = (0, len(text))
    start = text.index("January 2023")
    assert without_answer(text, span, start, "January 2023") == (
        "India and Japan held fighter exercises in Ibaraki for the first time."
    )
    assert without_answer(text, span, 0, "India") is None  # the answer opens the sentence
    question = "When did India and Japan first hold fighter exercises?"
    kept = cut_elsewhere(text, span, start, "January 2023", question, random.Random(0))
    assert kept == "India and Japan held fighter exercises for the first time in January 2023."
    # nothing but the question's own names and the answer to cut: no control
    text = "India held exercises with Japan for the first time in 2023."
    q = "When did India hold exercises with Japan?"
    assert (
        cut_elsewhere(text, (0, len(text)), text.index("2023"), "2023", q, random.Random(0)) is None
    )


def test_a_reworded_answer_shares_few_of_the_questions_words() -> None:
    from assistant.reading.train_data import is_reworded

    question = "By what year is Tokyo meant to have finished refitting its Aegis warships?"
    assert is_reworded(question, "Japan plans to upgrade its Aegis destroyers by 2027.")
    assert not is_reworded(
        "When did Tokyo finish refitting its Aegis warships?",
        "Tokyo finished refitting its Aegis warships in 2027.",
    )
    assert not is_reworded("Why?", "Because it rained.")  # no content words to share


def test_a_broad_answer_discounts_a_sentence_close_to_all_the_others() -> None:
    # Three points, each on its own direction, and a theme sentence between them all: closest to
    # the question, it makes no point of its own. Discounted for being near every other
    # sentence, it gives way to the points; without the discount it leads.
    theme = "In short, Japan is acting on defence, its alliance and exercises."
    question = "Summarise what Japan is doing."
    reading = answerer().read(question, [], hits(theme, DEFENCE, ALLIANCE, DIPLOMACY))
    texts = [
        theme,
        DEFENCE.split(". ")[0] + ".",
        ALLIANCE.split(". ")[0] + ".",
        DIPLOMACY.split(". ")[0] + ".",
    ]
    axes = np.eye(4, dtype=np.float32)
    vectors = {texts[0]: axes[:3].sum(axis=0) / np.sqrt(3)} | {
        t: axes[i] for i, t in enumerate(texts[1:])
    }
    similarity = {texts[0]: 0.6} | dict.fromkeys(texts[1:], 0.45)
    shortlist = [
        dataclasses.replace(
            c, vector=vectors[c.text], similarity=similarity[c.text], adjustment=0.0
        )
        for c in reading.shortlist
        if c.text in vectors
    ]
    assert len(shortlist) == 4
    narrowed = Reading(shortlist, reading.parts, np.zeros((1, 4)), broad=True)
    budget = {"broad_words": 30, "broad_min_score": 0.0, "broad_reader_weight": 0.0}

    def gathered(hub_weight: float) -> list[str]:
        chosen = answerer(broad_hub_weight=hub_weight, **budget)._gather(narrowed)
        return [c.text for c in chosen]

    assert theme in gathered(0.0)
    kept = gathered(0.5)
    assert theme not in kept
    assert len(kept) >= 2 and set(kept) <= set(texts[1:])


def test_a_broad_answer_prefers_the_points_of_the_passages_retrieved_first() -> None:
    # Two points, the one from the second passage a little closer to the question: with room
    # for one, the rank weight keeps the one from the first passage; without it, the closer.
    first, second = DEFENCE.split(". ")[0] + ".", ALLIANCE.split(". ")[0] + "."
    reading = answerer().read("Summarise what Japan is doing.", [], hits(first, second))
    axes = np.eye(2, dtype=np.float32)
    shortlist = [
        dataclasses.replace(
            c, vector=axes[c.hit_rank], similarity=0.5 + 0.02 * c.hit_rank, adjustment=0.0
        )
        for c in reading.shortlist
    ]
    assert sorted(c.hit_rank for c in shortlist) == [0, 1]
    narrowed = Reading(shortlist, reading.parts, np.zeros((1, 2)), broad=True)
    budget = {"broad_words": 14, "broad_min_score": 0.0, "broad_reader_weight": 0.0}

    def gathered(rank_weight: float) -> list[str]:
        chosen = answerer(broad_rank_weight=rank_weight, **budget)._gather(narrowed)
        return [c.text for c in chosen]

    assert gathered(0.05) == [first]
    assert gathered(0.0) == [second]
