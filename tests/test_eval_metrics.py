"""Metric definitions on hand-made cases with hand-computed values, and question-set loading."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import AssistantError
from assistant.evaluation import metrics as m
from assistant.evaluation import retrieval_metrics as rm
from assistant.evaluation.metrics import ExpectedSource
from assistant.evaluation.questions import EvalItem, load_question_set
from assistant.types import Answer, AnswerSentence, Chunk, Citation, ScoredChunk, Turn


def chunk(chunk_id: str, document_id: str, source: str, text: str) -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        document_id=document_id,
        title=document_id,
        source=source,
        text=text,
        start=0,
        end=len(text),
        paragraph_start=1,
        paragraph_end=1,
    )


def citation(n: int, document_id: str, source: str, passage: str) -> Citation:
    return Citation(
        n=n,
        chunk_id=f"{document_id}:{n}",
        document_id=document_id,
        title=document_id,
        location="paragraph 1",
        quote=passage,
        passage=passage,
        source=source,
    )


# --- SQuAD answer metrics -------------------------------------------------------------------


def test_normalize_answer_follows_squad() -> None:
    assert m.normalize_answer("The  Cat, sat!\n") == "cat sat"
    assert m.normalize_answer("An apple a day") == "apple day"
    assert m.normalize_answer("Japan's  anthem") == "japans anthem"
    assert m.normalize_answer("theme") == "theme"


def test_exact_match() -> None:
    assert m.exact_match("The cat sat.", "cat sat") == 1.0
    assert m.exact_match("cat sat down", "cat sat") == 0.0
    assert m.exact_match("cat sat", ["a dog", "the cat sat"]) == 1.0
    with pytest.raises(ValueError):
        m.exact_match("x", [])


def test_token_f1_hand_computed() -> None:
    # "cat sat" vs "cat sat down": 2 shared, P = 2/2, R = 2/3, F1 = 2 * 1 * 2/3 / (5/3) = 0.8
    assert m.token_f1("the cat sat", "cat sat down") == pytest.approx(0.8)
    # bags: {cat: 2, dog: 1} & {cat: 1, dog: 2} = 2 shared, P = R = 2/3
    assert m.token_f1("cat cat dog", "cat dog dog") == pytest.approx(2 / 3)
    # "japans tariff" vs "japans tariffs": 1 shared, P = R = 1/2
    assert m.token_f1("Japan's tariff", "japans tariffs") == pytest.approx(0.5)
    assert m.token_f1("cat sat", "cat sat") == 1.0
    assert m.token_f1("dog", "cat") == 0.0
    assert m.token_f1("", "cat") == 0.0
    assert m.token_f1("the", "a") == 0.0
    assert m.token_f1("the cat sat", ["dog", "cat sat down", "cat"]) == pytest.approx(0.8)


def test_strip_citation_markers() -> None:
    text = "Tariffs rose [1][2]. Exports fell [3, 4]; imports [12] too."
    assert m.strip_citation_markers(text) == "Tariffs rose. Exports fell; imports too."


def test_must_include() -> None:
    answer = "Japan\u2019s share\nis 65  per cent of \u201cLNG\u201d imports."
    assert m.must_include_pass(answer, [["Japan's"], ["65%", "65 per cent"]])
    assert m.must_include_pass(answer, [['"lng"']])
    assert m.must_include_pass(answer, [["JAPAN\u2018S SHARE IS"]])
    assert not m.must_include_pass(answer, [["Japan's"], ["70%", "70 per cent"]])
    assert m.missing_groups(answer, [["x"], ["share"], ["y", "z"]]) == [["x"], ["y", "z"]]
    assert m.must_include_pass(answer, [])
    marked = Answer(text="The rate was 65 [1] per cent.", abstained=False, citations=[])
    assert m.must_include_pass(marked, [["65 per cent"]])
    assert not m.must_include_pass(marked.text, [["65 per cent"]])


# --- retrieval against expected sources -----------------------------------------------------

TRADE = chunk("c1", "d1", "knowledge/trade.md", "Japan buys \u201cmore\u201d US LNG.")
DEFENCE = chunk("c2", "d2", "knowledge/defence.md", "Defence   spending rises to 2% of GDP.")
ENERGY = chunk("c3", "d3", "upload/energy.txt", "Energy talks continue.")
EXPECTED = [
    ExpectedSource(document="defence.md", quote="defence spending RISES"),
    ExpectedSource(document="d3", quote="energy talks"),
]


def test_source_matching() -> None:
    assert rm.source_in_chunk(TRADE, ExpectedSource("trade.md", 'buys "more" us lng'))
    assert rm.source_in_chunk(TRADE, ExpectedSource("d1", "Japan  buys"))
    assert rm.source_in_chunk(TRADE, ExpectedSource("knowledge/trade.md", "Japan buys"))
    assert rm.source_in_chunk(ENERGY, ExpectedSource("energy.txt", "talks continue"))
    assert not rm.source_in_chunk(TRADE, ExpectedSource("d2", "Japan buys"))
    assert not rm.source_in_chunk(TRADE, ExpectedSource("knowledge", "Japan buys"))
    assert not rm.source_in_chunk(TRADE, ExpectedSource("d1", "Japan sells"))
    windows = chunk("c9", "d9", "C:\\kb\\notes.md", "Some notes.")
    assert rm.source_in_chunk(windows, ExpectedSource("notes.md", "some notes"))


def test_hit_recall_reciprocal_rank() -> None:
    ranked = [TRADE, DEFENCE, ENERGY]
    assert rm.hit_at_k(ranked, EXPECTED, 1) == 0.0
    assert rm.hit_at_k(ranked, EXPECTED, 2) == 1.0
    assert rm.recall_at_k(ranked, EXPECTED, 1) == 0.0
    assert rm.recall_at_k(ranked, EXPECTED, 2) == 0.5
    assert rm.recall_at_k(ranked, EXPECTED, 3) == 1.0
    assert rm.recall_at_k(ranked, EXPECTED, 10) == 1.0
    assert rm.reciprocal_rank(ranked, EXPECTED) == 0.5
    assert rm.reciprocal_rank(ranked, EXPECTED, k=1) == 0.0
    assert rm.reciprocal_rank([ENERGY, DEFENCE], EXPECTED) == 1.0
    assert rm.reciprocal_rank([TRADE], EXPECTED) == 0.0
    assert rm.hit_at_k([], EXPECTED, 5) == 0.0


def test_retrieval_accepts_scored_chunks() -> None:
    scored = [ScoredChunk(chunk=c, score=1.0 / (i + 1)) for i, c in enumerate([TRADE, ENERGY])]
    assert rm.hit_at_k(scored, EXPECTED, 2) == 1.0
    assert rm.recall_at_k(scored, EXPECTED, 2) == 0.5
    assert rm.reciprocal_rank(scored, EXPECTED) == 0.5


def test_retrieval_rejects_undefined_cases() -> None:
    with pytest.raises(ValueError):
        rm.hit_at_k([TRADE], [], 3)
    with pytest.raises(ValueError):
        rm.recall_at_k([TRADE], EXPECTED, 0)


# --- citations, support, abstention ---------------------------------------------------------


def cited_answer() -> Answer:
    return Answer(
        text="Defence spending rises [1]. Talks go on [2][3]. Prices fall [3]. More [4].",
        abstained=False,
        citations=[
            citation(1, "d2", "knowledge/defence.md", "Defence spending rises to 2% of GDP."),
            citation(2, "d5", "knowledge/other.md", "Talks go on."),
            citation(3, "d6", "knowledge/misc.md", "Nothing relevant."),
            citation(4, "d3", "upload/other.txt", "Energy is mentioned elsewhere."),
        ],
        sentences=[
            AnswerSentence("Defence spending rises [1].", (1,), "supported"),
            AnswerSentence("Talks go on [2][3].", (2, 3), "supported"),
            AnswerSentence("Prices fall [3].", (3,), "unsupported"),
        ],
    )


def test_citation_precision_and_recall() -> None:
    answer = cited_answer()
    # Only [1] holds an expected quote; the answerer's own "supported" marks don't count: 1 of 4.
    assert [m.citation_is_precise(c, EXPECTED) for c in answer.citations] == [
        True,
        False,
        False,
        False,
    ]
    assert m.citation_precision(answer, EXPECTED) == 0.25
    assert m.citation_recall(answer, EXPECTED) == 0.5
    assert m.citation_recall(answer, []) is None
    bare = Answer(text="No idea.", abstained=True, citations=[])
    assert m.citation_precision(bare, EXPECTED) is None
    assert m.citation_recall(bare, EXPECTED) == 0.0


def test_citation_precision_without_expected_sources_asks_the_judge() -> None:
    answer = cited_answer()
    assert m.citation_precision(answer, []) is None  # nothing to judge by

    def judge(question: str, text: str) -> bool:
        return question == "Do talks go on?" and text.startswith("Talks")

    assert m.citation_precision(answer, [], question="Do talks go on?", judge=judge) == 0.25
    assert m.citation_precision(answer, [], question="Something else?", judge=judge) == 0.0


def test_citations_under_an_answer_to_an_unanswerable_question_are_errors() -> None:
    answer = cited_answer()
    assert m.citation_precision(answer, EXPECTED, answerable=False) == 0.0
    assert m.citation_precision(answer, [], answerable=False) == 0.0


def test_supported_share() -> None:
    assert m.supported_share(cited_answer()) == pytest.approx(2 / 3)
    assert m.supported_share(Answer(text="", abstained=True, citations=[])) is None


def test_abstention_correct() -> None:
    said = Answer(text="x", abstained=False, citations=[])
    declined = Answer(text="x", abstained=True, citations=[])
    assert m.abstention_correct(said, answerable=True)
    assert m.abstention_correct(declined, answerable=False)
    assert not m.abstention_correct(declined, answerable=True)
    assert not m.abstention_correct(said, answerable=False)


# --- statistics -----------------------------------------------------------------------------


def test_declined_counts_coverage_none() -> None:
    assert m.declined(Answer(text="No.", abstained=True, citations=[]))
    assert m.declined(
        Answer(text="The sources don't say.", abstained=False, citations=[], coverage="none")
    )
    assert not m.declined(
        Answer(text="Part [1].", abstained=False, citations=[], coverage="partial")
    )
    said_nothing = Answer(text="Nothing.", abstained=False, citations=[], coverage="none")
    assert m.abstention_correct(said_nothing, answerable=False)
    assert not m.abstention_correct(said_nothing, answerable=True)


def test_has_answer_gold_hand_computed() -> None:
    def said(text: str, abstained: bool = False) -> Answer:
        return Answer(text=text, abstained=abstained, citations=[])

    gold = ["two per cent", "Ibaraki"]
    # SQuAD normalisation on both sides, [n] markers removed: "the Ibaraki." -> "ibaraki"
    assert m.has_answer_gold(said("It was held in the Ibaraki [1]."), gold)
    assert m.has_answer_gold(said("A budget of Two  per cent [1][2]."), gold)
    # whole words only: "two per cents" / "twenty" do not hold "two per cent"
    assert not m.has_answer_gold(said("Two per cents of it."), ["two per cent"])
    assert not m.contains_gold("twenty", ["two"])
    # declined answers never count, whatever their text
    assert not m.has_answer_gold(said("Ibaraki", abstained=True), gold)
    # 100 words (markers not counted) pass, 101 do not
    words_99 = " ".join(["word"] * 99)
    assert m.answer_words(f"Ibaraki {words_99} [1]") == 100
    assert m.has_answer_gold(said(f"Ibaraki {words_99} [1]"), gold)
    assert not m.has_answer_gold(said(f"Ibaraki {words_99} more [1]"), gold)
    # a gold text that normalises to nothing never matches
    assert not m.contains_gold("the answer", ["The"])


def test_percentile_hand_computed() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert m.percentile(values, 50) == 2.5
    # position (4 - 1) * 0.95 = 2.85: 3 + 0.85 * (4 - 3)
    assert m.percentile(values, 95) == pytest.approx(3.85)
    assert m.percentile(values, 0) == 1.0
    assert m.percentile(values, 100) == 4.0
    assert m.percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        m.percentile([], 50)
    with pytest.raises(ValueError):
        m.percentile(values, 101)


def test_percentile_matches_numpy() -> None:
    rng = np.random.default_rng(7)
    for size in (1, 2, 5, 17, 100):
        values = rng.exponential(300.0, size).tolist()
        for p in (0, 5, 50, 90, 95, 99, 100):
            assert m.percentile(values, p) == pytest.approx(float(np.percentile(values, p)))


# --- BEIR ranking metrics -------------------------------------------------------------------

QRELS = {"a": 3, "b": 2, "c": 1, "z": 0}


def test_ndcg_hand_computed() -> None:
    # DCG@3 of b, x, a = 2/log2(2) + 0/log2(3) + 3/log2(4) = 2 + 0 + 1.5 = 3.5
    # IDCG@3 of 3, 2, 1 = 3/1 + 2/log2(3) + 1/2
    expected = 3.5 / (3.5 + 2 / math.log2(3))
    assert rm.ndcg_at_k(["b", "x", "a", "c"], QRELS, 3) == pytest.approx(expected)
    assert rm.ndcg_at_k(["b", "x", "a", "c"], QRELS, 3) == pytest.approx(0.7350, abs=1e-4)
    assert rm.ndcg_at_k(["b"], QRELS, 1) == pytest.approx(2 / 3)
    assert rm.ndcg_at_k(["a", "b", "c"], QRELS, 3) == pytest.approx(1.0)
    assert rm.ndcg_at_k(["a", "b", "c", "z"], QRELS, 10) == pytest.approx(1.0)
    assert rm.ndcg_at_k(["z", "x"], QRELS, 2) == 0.0
    assert rm.ndcg_at_k(["a"], {"a": 0}, 5) == 0.0


def test_ndcg_ignores_repeated_ids() -> None:
    # b, a (the second b does not count): 2 + 3/log2(3) over IDCG@3 = 3 + 2/log2(3) + 0.5
    value = rm.ndcg_at_k(["b", "b", "a"], QRELS, 3)
    assert value == pytest.approx((2 + 3 / math.log2(3)) / (3.5 + 2 / math.log2(3)))


def test_recall_and_mrr_over_ids() -> None:
    qrels = {"a": 1, "b": 1, "c": 0}
    assert rm.recall_at_k_ids(["c", "a", "x"], qrels, 2) == 0.5
    assert rm.recall_at_k_ids(["c", "a", "b"], qrels, 3) == 1.0
    assert rm.recall_at_k_ids(["a"], {"c": 0}, 3) == 0.0
    assert rm.mrr_at_k_ids(["c", "a", "x"], qrels, 2) == 0.5
    assert rm.mrr_at_k_ids(["c", "a", "x"], qrels, 1) == 0.0
    assert rm.mrr_at_k_ids(["x", "x", "b"], qrels, 2) == 0.5
    with pytest.raises(ValueError):
        rm.mrr_at_k_ids(["a"], qrels, 0)


# --- question sets --------------------------------------------------------------------------

YAML_SET = """\
description: trade questions
questions:
  - id: q01
    question: "What share of LNG comes from the US?"
    reference: 65 per cent
    must_include: [["65 per cent", "65%"]]
    expected_sources:
      - {document: trade.md, quote: "65 per cent of imports"}
    notes: checked by hand
  - id: 2
    question: And defence?
    answerable: false
    history:
      - {role: user, content: "What about trade?"}
      - {role: assistant, content: Trade grew.}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_yaml_mapping(tmp_path: Path) -> None:
    items = load_question_set(write(tmp_path, "set.yaml", YAML_SET))
    assert items == [
        EvalItem(
            id="q01",
            question="What share of LNG comes from the US?",
            reference="65 per cent",
            must_include=[["65 per cent", "65%"]],
            expected_sources=[ExpectedSource("trade.md", "65 per cent of imports")],
            notes="checked by hand",
        ),
        EvalItem(
            id="2",
            question="And defence?",
            answerable=False,
            history=[
                Turn(role="user", content="What about trade?"),
                Turn(role="assistant", content="Trade grew."),
            ],
        ),
    ]


def test_load_yaml_list_and_multiple_references(tmp_path: Path) -> None:
    text = "- id: a\n  question: Q?\n  reference: [one, two]\n"
    items = load_question_set(write(tmp_path, "set.yml", text))
    assert items[0].reference == ["one", "two"]
    assert items[0].answerable is True
    assert items[0].history == []
    assert items[0].must_include is None


def test_load_jsonl_and_json(tmp_path: Path) -> None:
    rows = [
        {"id": "j1", "question": "First?", "must_include": [["x"]]},
        {"id": "j2", "question": "Second?", "answerable": False},
    ]
    jsonl = "\n".join(json.dumps(r) for r in rows[:1]) + "\n\n" + json.dumps(rows[1]) + "\n"
    items = load_question_set(write(tmp_path, "set.jsonl", jsonl))
    assert [i.id for i in items] == ["j1", "j2"]
    assert items[0].must_include == [["x"]]
    assert items[1].answerable is False
    assert load_question_set(write(tmp_path, "a.json", json.dumps(rows))) == items
    wrapped = json.dumps({"questions": rows})
    assert load_question_set(write(tmp_path, "b.json", wrapped)) == items
    assert load_question_set(write(tmp_path, "c.json", jsonl)) == items


def _item(**fields: object) -> str:
    return json.dumps({"id": "q03", "question": "Why?", **fields})


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (_item(must_include=["65%"]), "must_include must be a list of lists of strings"),
        (_item(must_include=[[1]]), "must_include must be a list of lists of strings"),
        (_item(must_include="65%"), "must_include must be a list of lists of strings"),
        (_item(must_include=[[]]), "must_include has an empty group"),
        (_item(must_include=[[" "]]), "must_include has an empty phrase"),
        (_item(question=""), "question must not be empty"),
        (_item(question="  "), "question must not be empty"),
        (_item(question=3), "question must be a string"),
        (json.dumps({"id": "q03"}), "question is required"),
        (json.dumps({"question": "Why?"}), "id is required"),
        (_item(id=""), "id must not be empty"),
        (_item(id=True), "id must be a string"),
        (_item(id=["x"]), "id must be a string"),
        (_item(reference=5), "reference must be a string or a list of non-empty strings"),
        (_item(reference=""), "reference must not be empty"),
        (_item(reference=[]), "reference must be a string or a list of non-empty strings"),
        (
            _item(expected_sources={"document": "a", "quote": "b"}),
            "expected_sources must be a list of {document, quote} mappings",
        ),
        (
            _item(expected_sources=[{"document": "a"}]),
            "expected_sources[1].quote must be a non-empty string",
        ),
        (
            _item(expected_sources=[{"document": " ", "quote": "b"}]),
            "expected_sources[1].document must be a non-empty string",
        ),
        (
            _item(expected_sources=[{"document": "a", "quote": "b", "page": 2}]),
            "expected_sources[1] has unknown field 'page'",
        ),
        (_item(answerable="no"), "answerable must be true or false"),
        (_item(history="hi"), "history must be a list of {role, content} mappings"),
        (
            _item(history=[{"role": "system", "content": "x"}]),
            "history[1].role must be 'user' or 'assistant'",
        ),
        (_item(history=[{"role": "user"}]), "history[1].content must be a string"),
        (
            _item(history=[{"role": "user", "content": "x", "at": 1}]),
            "history[1] has unknown field 'at'",
        ),
        (_item(notes=["x"]), "notes must be a string"),
        (_item(expected_source=[]), "unknown field 'expected_source'"),
    ],
)
def test_item_errors_name_file_and_item(tmp_path: Path, line: str, message: str) -> None:
    good = [_item(id="q01"), _item(id="q02")]
    path = write(tmp_path, "x.jsonl", "\n".join([*good, line]) + "\n")
    with pytest.raises(AssistantError) as caught:
        load_question_set(path)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: item 3")
    assert text.endswith(message)
    if '"id": "q03"' in line:
        assert text == f"{path}: item 3 ('q03'): {message}"


def test_yaml_item_error_message(tmp_path: Path) -> None:
    text = YAML_SET + "  - id: q03\n    question: Why?\n    must_include: ['65%']\n"
    path = write(tmp_path, "x.yaml", text)
    with pytest.raises(AssistantError) as caught:
        load_question_set(path)
    assert str(caught.value) == (
        f"{path}: item 3 ('q03'): must_include must be a list of lists of strings"
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("d.yaml", "- id: a\n  question: A?\n- id: a\n  question: B?\n", "item 2 ('a'): duplicate"),
        ("d.jsonl", _item(id=1) + "\n" + _item(id="1") + "\n", "item 2 ('1'): duplicate"),
        ("e.yaml", "", "the question set is empty"),
        ("e.yaml", "[]", "the question set has no questions"),
        ("e.jsonl", "\n\n", "the question set has no questions"),
        ("m.yaml", "name: x\n", "a mapping at the top level needs a 'questions' key"),
        ("s.yaml", "just text\n", "expected a list of questions"),
        ("l.yaml", "- just text\n", "item 1: expected a mapping of fields"),
        ("b.yaml", "- id: a\n  question: [unclosed\n", "not valid YAML at line"),
        ("b.jsonl", _item() + "\n{not json}\n", "line 2: not valid JSON"),
        ("q.txt", "x", "unsupported question-set format '.txt'"),
    ],
)
def test_file_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(AssistantError) as caught:
        load_question_set(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AssistantError, match="no such question set"):
        load_question_set(tmp_path / "absent.yaml")
