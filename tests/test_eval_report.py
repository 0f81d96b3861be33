"""The runner against a scripted fake `ask`, the report files, comparison and minimum gates."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.errors import AssistantError
from assistant.evaluation import report, runner, scoring
from assistant.evaluation.metrics import METRIC_NAMES, ExpectedSource
from assistant.evaluation.questions import EvalItem
from assistant.evaluation.report import check_minimums, compare, format_comparison, write_reports
from assistant.evaluation.runner import EvalRun, run_eval
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


def cite(n: int, c: Chunk) -> Citation:
    return Citation(
        n=n,
        chunk_id=c.chunk_id,
        document_id=c.document_id,
        title=c.title,
        location="paragraph 1",
        quote=c.text,
        passage=c.text,
        source=c.source,
    )


def hits(*chunks: Chunk) -> list[ScoredChunk]:
    return [ScoredChunk(chunk=c, score=1.0 / (i + 60)) for i, c in enumerate(chunks)]


TRADE = chunk("t1", "d1", "knowledge/trade.md", "About 65 per cent of imports come from the US.")
OTHER = chunk("o1", "d9", "knowledge/other.md", "Unrelated text about fisheries.")
TARIFF = chunk("x1", "d3", "knowledge/tariff.md", "Tariffs may rise next year.")
HISTORY = [Turn(role="user", content="Tell me about trade."), Turn("assistant", "Trade grew.")]

ITEMS = [
    EvalItem(
        id="q1",
        question="What share of imports comes from the US?",
        reference="65 per cent",
        must_include=[["65 per cent", "65%"]],
        expected_sources=[ExpectedSource("trade.md", "65 per cent of imports")],
    ),
    EvalItem(
        id="q2",
        question="How much will defence spending rise?",
        reference="defence spending rises",
        must_include=[["tariff"], ["25%", "25 per cent"]],
        expected_sources=[ExpectedSource("d2", "defence spending")],
    ),
    EvalItem(id="q3", question="Who wins in 2040?", answerable=False),
    EvalItem(id="q4", question="What is the PM's shoe size?", answerable=False),
    EvalItem(id="q5", question="What about rice?", must_include=[["rice"]]),
    EvalItem(id="q6", question="Does it crash?", reference="no"),
    EvalItem(id="q7", question="And then?", history=HISTORY),
]

ANSWERS = {
    "q1": Answer(
        text="About 65 per cent of imports [1].",
        abstained=False,
        citations=[cite(1, TRADE)],
        sentences=[AnswerSentence("About 65 per cent of imports [1].", (1,), "supported")],
        retrieved=hits(OTHER, TRADE, TARIFF),
    ),
    "q2": Answer(
        text="Tariffs may rise [1].",
        abstained=False,
        citations=[cite(1, TARIFF)],
        sentences=[AnswerSentence("Tariffs may rise [1].", (1,), "unsupported")],
        retrieved=hits(TARIFF, OTHER, TRADE),
    ),
    "q3": Answer(text="I cannot answer that.", abstained=True, citations=[]),
    "q4": Answer(
        text="Size 27 [1].",
        abstained=False,
        citations=[cite(1, OTHER)],
        sentences=[AnswerSentence("Size 27 [1].", (1,), "unsupported")],
    ),
    "q5": Answer(text="I cannot answer that.", abstained=True, citations=[]),
    "q7": Answer(text="Then it grew more.", abstained=False, citations=[]),
}
DELAYS_S = {"q1": 1.0, "q2": 2.0, "q3": 3.0, "q4": 4.0, "q5": 5.0, "q6": 0.5, "q7": 6.0}


class FakeAsk:
    """Answers from ANSWERS, advancing a fake clock by each question's delay; q6 raises."""

    def __init__(self) -> None:
        self.now = 100.0
        self.calls: list[tuple[str, list[Turn]]] = []
        self.ids = {item.question: item.id for item in ITEMS}

    def clock(self) -> float:
        return self.now

    def __call__(self, question: str, history: list[Turn]) -> Answer:
        self.calls.append((question, history))
        item_id = self.ids[question]
        self.now += DELAYS_S[item_id]
        if item_id == "q6":
            raise RuntimeError("backend down\nsecond line")
        return ANSWERS[item_id]


@pytest.fixture()
def run(monkeypatch: pytest.MonkeyPatch) -> EvalRun:
    fake = FakeAsk()
    monkeypatch.setattr(runner, "time", SimpleNamespace(perf_counter=fake.clock))
    result = run_eval(ITEMS, fake, k=2, progress=False)
    assert [q for q, _ in fake.calls] == [item.question for item in ITEMS]
    assert fake.calls[6][1] == HISTORY
    assert all(h == [] for _, h in fake.calls[:6])
    return result


def rows(run: EvalRun) -> dict[str, runner.QuestionResult]:
    return {row.id: row for row in run.rows}


def test_rows_scores(run: EvalRun) -> None:
    by_id = rows(run)
    q1 = by_id["q1"].metrics
    # EM 0; F1: "about 65 per cent of imports" vs "65 per cent": P = 3/6, R = 1, F1 = 2/3
    assert q1 == {
        "must_include": 1.0,
        "points_covered": None,
        "partial_flagged": None,
        "exact_match": 0.0,
        "f1": pytest.approx(2 / 3),
        "hit_at_k": 1.0,
        "recall_at_k": 1.0,
        "mrr": 0.5,
        "citation_precision": 1.0,
        "citation_recall": 1.0,
        "supported": 1.0,
        "abstention_accuracy": 1.0,
        "has_answer_gold": 1.0,  # answered; contains "65 per cent"; 6 words
        "no_answer_declined": None,
        "avna": 1.0,
    }
    assert by_id["q2"].metrics == {
        "must_include": 0.0,
        "points_covered": None,
        "partial_flagged": None,
        "exact_match": 0.0,
        "f1": 0.0,
        "hit_at_k": 0.0,
        "recall_at_k": 0.0,
        "mrr": 0.0,
        "citation_precision": 0.0,
        "citation_recall": 0.0,
        "supported": 0.0,
        "abstention_accuracy": 1.0,
        "has_answer_gold": 0.0,  # "defence spending rises" is not in "Tariffs may rise"
        "no_answer_declined": None,
        "avna": 1.0,
    }
    # The set has unanswerable items (q3, q4), so avna, no_answer_declined and has_answer_gold
    # are scored too.
    only_abstention = {name: None for name in scoring.ROW_METRICS}
    assert by_id["q3"].metrics == {
        **only_abstention,
        "abstention_accuracy": 1.0,
        "no_answer_declined": 1.0,
        "avna": 1.0,
    }
    assert by_id["q4"].metrics == {  # answered, with citations: each one is a citation error
        **only_abstention,
        "citation_precision": 0.0,
        "abstention_accuracy": 0.0,
        "no_answer_declined": 0.0,
        "avna": 0.0,
    }
    assert by_id["q5"].metrics == {  # no reference: no has_answer_gold
        **only_abstention,
        "must_include": 0.0,
        "abstention_accuracy": 0.0,
        "avna": 0.0,
    }
    assert by_id["q6"].metrics == {  # ask raised: 0 wherever the item's fields apply
        **only_abstention,
        "exact_match": 0.0,
        "f1": 0.0,
        "abstention_accuracy": 0.0,
        "has_answer_gold": 0.0,
        "avna": 0.0,
    }
    assert by_id["q7"].metrics == {**only_abstention, "abstention_accuracy": 1.0, "avna": 1.0}
    assert [row.coverage for row in run.rows] == [
        "full",
        "full",
        "none",
        "full",
        "none",
        None,
        "full",
    ]
    assert [row.latency_ms for row in run.rows] == [
        1000.0,
        2000.0,
        3000.0,
        4000.0,
        5000.0,
        None,
        6000.0,
    ]


def test_rows_failures(run: EvalRun) -> None:
    by_id = rows(run)
    assert by_id["q1"].failures == []
    assert by_id["q1"].passed
    assert by_id["q2"].failures == [
        "must_include: missing one of ['25%', '25 per cent']",
        "retrieval: expected source not in top 2 (document 'd2', quote 'defence spending')",
        "citation [1] does not contain an expected quote",
        "citations: no cited passage contains the expected quote 'defence spending' (d2)",
        "supported: 1 of 1 sentences not supported by their citations",
    ]
    assert by_id["q3"].failures == []
    assert by_id["q4"].failures == ["answered an unanswerable question"]
    assert by_id["q5"].failures == ["abstained on an answerable question"]
    assert by_id["q6"].failures == ["error: RuntimeError: backend down second line"]
    assert by_id["q6"].error == "RuntimeError: backend down second line"
    assert by_id["q7"].failures == []
    assert [row.id for row in run.failing] == ["q2", "q4", "q5", "q6"]
    assert by_id["q1"].retrieved == ["o1", "t1"]


def test_aggregates(run: EvalRun) -> None:
    assert run.n_questions == 7
    assert run.metrics == {
        "must_include": pytest.approx(1 / 3),
        "points_covered": None,
        "partial_flagged": None,
        "exact_match": 0.0,
        "f1": pytest.approx(2 / 9),
        "hit_at_k": 0.5,
        "recall_at_k": 0.5,
        "mrr": 0.25,
        "citation_precision": pytest.approx(1 / 3),  # q1 1, q2 0, q4 0 (unanswerable)
        "citation_recall": 0.5,
        "supported": 0.5,
        "abstention_accuracy": pytest.approx(4 / 7),
        "has_answer_gold": pytest.approx(1 / 3),  # q1 1, q2 0, q6 0
        "no_answer_declined": 0.5,  # q3 1, q4 0
        "avna": pytest.approx(4 / 7),
        # six returned calls: 1000..6000 ms; p50 at position 2.5, p95 at 4.75
        "latency_p50_ms": pytest.approx(3500.0),
        "latency_p95_ms": pytest.approx(5750.0),
    }
    assert run.counts == {
        "must_include": 3,
        "points_covered": 0,
        "partial_flagged": 0,
        "exact_match": 3,
        "f1": 3,
        "hit_at_k": 2,
        "recall_at_k": 2,
        "mrr": 2,
        "citation_precision": 3,
        "citation_recall": 2,
        "supported": 2,
        "abstention_accuracy": 7,
        "has_answer_gold": 3,
        "no_answer_declined": 2,
        "avna": 7,
        "latency_p50_ms": 6,
        "latency_p95_ms": 6,
    }
    assert run.metrics_json()["n_questions"] == 7


def test_run_with_no_applicable_items() -> None:
    items = [EvalItem(id="u", question="Unanswerable?", answerable=False)]

    def ask(question: str, history: list[Turn]) -> Answer:
        return Answer(text="No.", abstained=True, citations=[])

    result = run_eval(items, ask, k=5, progress=True)
    assert result.metrics["abstention_accuracy"] == 1.0
    assert result.metrics["avna"] == result.metrics["no_answer_declined"] == 1.0
    assert result.metrics["has_answer_gold"] is None
    assert result.metrics["f1"] is None
    assert result.counts["f1"] == 0
    assert result.metrics["latency_p50_ms"] is not None
    with pytest.raises(ValueError):
        run_eval(items, ask, k=0)


def test_decline_metrics_only_for_sets_with_unanswerable_items() -> None:
    items = [EvalItem(id="a", question="Answerable?", reference="yes")]

    def ask(question: str, history: list[Turn]) -> Answer:
        return Answer(text="yes [1]", abstained=False, citations=[])

    result = run_eval(items, ask, k=5, progress=False)
    assert result.metrics["abstention_accuracy"] == 1.0
    for name in ("has_answer_gold", "no_answer_declined", "avna"):
        assert result.metrics[name] is None
        assert result.counts[name] == 0
        assert result.rows[0].metrics[name] is None


# --- reports --------------------------------------------------------------------------------


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []
        self.row_classes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "img":
            self.images.append(values.get("src") or "")
        if tag == "tr" and values.get("class"):
            self.row_classes.append(values["class"] or "")


def test_write_reports(run: EvalRun, tmp_path: Path) -> None:
    run.rows[0].question = "<script>alert('x')</script> & co?"
    meta = {"git_commit": "abc123", "settings": {"k": 2}, "sets": ["eval/sets/x.yaml"]}
    paths = write_reports(run, tmp_path / "out", meta=meta)
    assert set(paths) == {"json", "markdown", "html"}
    assert all(p.parent == tmp_path / "out" and p.is_file() for p in paths.values())

    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert set(data) == {"meta", "metrics", "counts", "questions"}
    assert data["meta"]["git_commit"] == "abc123"
    assert data["meta"]["sets"] == ["eval/sets/x.yaml"]
    assert data["meta"]["settings"] == {"k": 2}
    assert re.match(r"\d{4}-\d\d-\d\dT", data["meta"]["date"])
    assert data["meta"]["k"] == 2
    assert list(data["metrics"]) == [*METRIC_NAMES, "n_questions"]
    assert data["metrics"]["mrr"] == 0.25
    assert data["metrics"]["n_questions"] == 7
    assert data["counts"]["abstention_accuracy"] == 7
    assert [q["id"] for q in data["questions"]] == [item.id for item in ITEMS]
    q2 = data["questions"][1]
    assert q2["passed"] is False
    assert q2["must_include"] == 0.0
    assert q2["failures"][0] == "must_include: missing one of ['25%', '25 per cent']"
    assert data["questions"][5]["latency_ms"] is None
    assert data["questions"][2]["f1"] is None

    summary = paths["markdown"].read_text(encoding="utf-8")
    assert "| metric | value | n |" in summary
    assert "| mrr | 0.250 | 2 |" in summary
    assert "| latency_p95_ms | 5750 ms | 6 |" in summary
    failing = summary.split("## Failing questions", 1)[1]
    assert "**q2**" in failing and "**q6**" in failing and "**q1**" not in failing
    assert "  - answered an unanswerable question" in failing

    page = paths["html"].read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co?" in page
    parser = _Collector()
    parser.feed(page)
    assert "style" in parser.tags
    assert len(parser.images) == 2
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    assert parser.row_classes == ["pass", "fail", "pass", "fail", "fail", "fail", "pass"]
    assert not re.search(r'(src|href)="(?!data:)', page)


def test_write_reports_without_plots(tmp_path: Path) -> None:
    empty = EvalRun(rows=[], metrics=dict.fromkeys(METRIC_NAMES), counts={}, k=3)
    paths = write_reports(empty, tmp_path, meta={"git_commit": None})
    assert json.loads(paths["json"].read_text())["metrics"]["n_questions"] == 0
    assert "None." in paths["markdown"].read_text()
    assert "<img" not in paths["html"].read_text()


def test_write_reports_unwritable(run: EvalRun, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(AssistantError, match="cannot write the reports"):
        write_reports(run, blocker / "out", meta={})


# --- comparison and gates -------------------------------------------------------------------


def old_results(tmp_path: Path, metrics: dict[str, object]) -> Path:
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"meta": {}, "metrics": metrics, "questions": []}))
    return path


def test_compare(tmp_path: Path) -> None:
    old = old_results(
        tmp_path, {"f1": 0.5, "mrr": None, "latency_p50_ms": 100.0, "supported": 0.75}
    )
    new = {"f1": 0.75, "mrr": 0.4, "latency_p50_ms": 150.0, "supported": 0.75}
    table = {name: (o, n, d) for name, o, n, d in compare(new, old)}
    assert list(table) == list(METRIC_NAMES)
    assert table["f1"] == (0.5, 0.75, 0.25)
    assert table["mrr"] == (None, 0.4, None)
    assert table["latency_p50_ms"] == (100.0, 150.0, 50.0)
    assert table["supported"] == (0.75, 0.75, 0.0)
    assert table["hit_at_k"] == (None, None, None)

    text = format_comparison(compare(new, old))
    lines = {line.split()[0]: line for line in text.splitlines()[1:]}
    assert "0.500" in lines["f1"] and "0.750" in lines["f1"]
    assert "+0.250" in lines["f1"] and lines["f1"].endswith("better")
    assert "+50" in lines["latency_p50_ms"] and lines["latency_p50_ms"].endswith("worse")
    assert lines["supported"].rstrip().endswith("+0.000")
    assert lines["mrr"].rstrip().endswith("–")


def test_compare_with_a_run(run: EvalRun, tmp_path: Path) -> None:
    paths = write_reports(run, tmp_path, meta={"git_commit": None})
    deltas = compare(run.metrics_json(), paths["json"])
    defined = {name for name, value in run.metrics.items() if value is not None}
    assert {name for name, _, _, d in deltas if d is not None} == defined
    assert all(d == 0.0 for _, _, _, d in deltas if d is not None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such results file"),
        ("{oops", "not valid JSON"),
        ("[1, 2]", "no 'metrics' mapping"),
        ('{"metrics": 3}', "no 'metrics' mapping"),
    ],
)
def test_compare_errors(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "old.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(AssistantError, match=re.escape(message)):
        compare({}, path)


def test_check_minimums() -> None:
    metrics = {"f1": 0.4, "mrr": 0.9, "latency_p95_ms": 1500.0, "supported": None, "hit_at_k": 1}
    specs = ["f1=0.5", "mrr=0.5", "latency_p95_ms=1000", "supported=0.1", "hit_at_k=1"]
    assert check_minimums(metrics, specs) == [
        "f1 = 0.400 is below the minimum 0.5",
        "latency_p95_ms = 1500 ms is above the maximum 1000 ms",
        "supported was not measured (no applicable questions)",
    ]
    assert check_minimums(metrics, ["f1=0.4", " latency_p95_ms = 1500 "]) == []
    assert check_minimums(metrics, []) == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("f1", "expected NAME=VALUE"),
        ("=0.5", "expected NAME=VALUE"),
        ("f1=", "expected NAME=VALUE"),
        ("bleu=0.5", "unknown metric 'bleu'"),
        ("n_questions=3", "unknown metric 'n_questions'"),
        ("f1=high", "'high' is not a number"),
        ("f1=nan", "'nan' is not a number"),
        ("f1=1.5", "f1 lies between 0 and 1"),
        ("latency_p50_ms=-1", "a latency cannot be negative"),
    ],
)
def test_check_minimums_rejects_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(AssistantError, match=re.escape(message)):
        check_minimums({"f1": 0.9}, ["mrr=0.1", spec])


def test_git_commit_outside_a_repository(tmp_path: Path) -> None:
    assert report.git_commit(tmp_path) is None
