"""A soak: many distinct questions in a row in one process, watching memory and answers (issue 6,
issue 10).

The shipped knowledge base is ingested into a temporary data directory with the real model, then
``chain.ask`` runs on up to ``--questions`` (default 1,000) distinct questions with the offline
answerer: every item of eval/sets/japan-dev.yaml (follow-ups with their history) and questions
generated from the knowledge base's own sentences (see :func:`generated_questions`), duplicates
removed, in a seeded random order (``--seed``). No question is asked twice, so no answer comes
from a cache warmed by an earlier copy of the same question.

Every answer is checked, and each of these counts as an error (reported by type):
  exception        chain.ask raised;
  empty            the answer has no text;
  wrong            a generated question answered (not declined) without citing the sentence it
                   was generated from or its paragraph; a team question with ``answerable: true``
                   whose answer fails must_include (a decline fails it too, reported apart); a
                   team question with ``answerable: false`` answered instead of declined.
A generated question may be declined: the sentence it comes from is there, but the question is
machine-made and may not be answerable as worded.

RSS is sampled every ``--every`` questions, together with the sizes of the caches the code keeps
(the embedder's query cache, ``content_terms``' lru_cache) and the number of live objects the
garbage collector tracks. The bound checked: RSS growth from question ``--warmup`` (default 100)
to the end stays under ``--bound-mb`` (default 50 MB). The object types that grew most between the
warm-up sample and the end are listed, to find the structure if memory does grow. Exit status 1
when the bound breaks or more answers than ``--max-errors`` (default 0) are errors.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from assistant.offline import enforce_offline

enforce_offline()

from _common import (  # noqa: E402
    BENCH_DIR,
    JAPAN_SET,
    KNOWLEDGE,
    Timer,
    latency_stats,
    print_table,
    rss_mb,
    write_results,
)
from bm25s.stopwords import STOPWORDS_EN  # noqa: E402

from assistant.citations import location_of, sentence_spans  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.evaluation import metrics  # noqa: E402
from assistant.evaluation.questions import EvalItem, load_question_set  # noqa: E402
from assistant.generation.question_kinds import content_terms  # noqa: E402
from assistant.runtime import Runtime  # noqa: E402
from assistant.types import Answer, Chunk, Turn  # noqa: E402

_WORD = re.compile(r"[^\W_]+(?:[’'-][^\W_]+)*")
_STOP = frozenset(STOPWORDS_EN) | frozenset(
    "what when where which who whom whose why how did does do about also its their his her".split()
)
# words after which a run of content words is most likely a noun phrase ("the alliance", "of
# Tomahawk cruise missiles"); "to" is left out, it mostly leads a verb ("to counter China")
_NP_LEADS = frozenset(
    "the a an its their his her of in with for on by and from as at into over this that these "
    "those between among against".split()
)
_NOT_NOUNS = frozenset("is are was were has have set make makes made seem seems".split())
TOPIC_TEMPLATES = (
    "What does the article say about {}?",
    "What do the sources say about {}?",
    "Tell me about {}.",
)


@dataclass(frozen=True)
class SoakQuestion:
    """One question of the soak: a team-set item, or one generated from a source sentence."""

    id: str
    kind: str  # "team", "topic", "cloze" or "clause cloze"
    question: str
    history: tuple[Turn, ...] = ()
    item: EvalItem | None = None  # team questions
    document_id: str = ""  # generated questions: where their sentence is
    paragraph: int = 0
    sentence: str = ""


def _content(word: str) -> bool:
    return word.casefold() not in _STOP and (len(word) >= 3 or word.isdigit())


def _paragraph(location: str) -> set[int]:
    """Paragraph numbers in a citation's location ("paragraph 4", "paragraphs 3, 4")."""
    _, _, tail = location.rpartition("paragraph")
    return {int(n) for n in re.findall(r"\d+", tail)}


def _as_question(text: str) -> str:
    return text.rstrip(" .!;:,") + "?"


def generated_questions(chunks: list[Chunk]) -> list[SoakQuestion]:
    """Questions made from each sentence of the knowledge base (six words or more):

    - topic: "What does the article say about <p>?" (and two other wordings) for each noun-like
      phrase p of the sentence (a maximal run of 1-3 content words after an article, a possessive
      or a preposition, not ending like a verb or adverb) found in no other paragraph, so the
      question points at one place;
    - cloze: the sentence with one content word replaced by "what", as a question;
    - clause cloze: the same, within the comma-delimited clause holding the word (when the
      sentence has several and that clause has six words or more).
    """
    sentences: list[tuple[Chunk, int, str]] = []
    for chunk in sorted(chunks, key=lambda c: (c.document_id, c.start)):
        for start, end in sentence_spans(chunk.text):
            paragraph = int(location_of(chunk, start).rpartition(" ")[2])
            sentences.append((chunk, paragraph, " ".join(chunk.text[start:end].split())))
    paragraphs: dict[tuple[str, int], str] = {}
    for chunk, paragraph, text in sentences:
        key = (chunk.document_id, paragraph)
        paragraphs[key] = (paragraphs.get(key, "") + " " + text.casefold()).strip()

    out: list[SoakQuestion] = []
    for number, (chunk, paragraph, text) in enumerate(sentences):
        words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
        if len(words) < 6:
            continue
        where = {"document_id": chunk.document_id, "paragraph": paragraph, "sentence": text}

        def add(kind: str, question: str, n: int = number, where: dict[str, Any] = where) -> None:
            out.append(SoakQuestion(f"s{n:03d}-{kind.replace(' ', '-')}", kind, question, **where))

        for i, (word, start, end) in enumerate(words):
            if not _content(word):
                continue
            add("cloze", _as_question(text[:start] + "what" + text[end:]))
            clause_start = text.rfind(",", 0, start) + 1
            clause_end = text.find(",", end)
            clause = text[clause_start : clause_end if clause_end >= 0 else len(text)]
            if clause.strip() != text.rstrip(" .!?") and len(clause.split()) >= 6:
                blank = start - clause_start
                add(
                    "clause cloze",
                    _as_question(clause[:blank] + "what" + clause[blank + len(word) :]).strip(),
                )
            lead = text[:start].split()[-1:]
            if not lead or lead[0].casefold().strip('“”"‘’(') not in _NP_LEADS:
                continue
            for n in (1, 2, 3):
                run = words[i : i + n]
                if len(run) < n or not all(_content(w) for w, _, _ in run):
                    break
                if any(text[a[2] : b[1]] != " " for a, b in itertools.pairwise(run)):
                    break
                after = words[i + n] if i + n < len(words) else None
                if after and _content(after[0]) and text[run[-1][2] : after[1]] == " ":
                    continue  # the phrase goes on: only its full length is asked about
                last = run[-1][0].casefold()
                if last.endswith(("ing", "ed", "ly")) or last in _NOT_NOUNS:
                    continue
                phrase = text[start : run[-1][2]]
                found = [k for k, t in paragraphs.items() if phrase.casefold() in t]
                if found == [(chunk.document_id, paragraph)]:
                    for template in TOPIC_TEMPLATES:
                        add("topic", template.format(phrase))
    return out


def question_plan(
    team: list[EvalItem], generated: list[SoakQuestion], seed: int
) -> list[SoakQuestion]:
    """Team items and generated questions, duplicates removed, in a seeded random order."""
    everything = [
        SoakQuestion(item.id, "team", item.question, tuple(item.history), item) for item in team
    ] + generated
    seen: set[tuple[str, ...]] = set()
    plan: list[SoakQuestion] = []
    for q in everything:
        key = (
            " ".join(q.question.casefold().split()),
            *(f"{t.role}:{t.content}" for t in q.history),
        )
        if key not in seen:
            seen.add(key)
            plan.append(q)
    random.Random(seed).shuffle(plan)
    return plan


def answer_error(q: SoakQuestion, answer: Answer) -> str | None:
    """The error type of an answer (see the module docstring), None when it is acceptable."""
    if not answer.text.strip():
        return "empty"
    declined = metrics.declined(answer)
    if q.item is not None:
        if not q.item.answerable:
            return None if declined else "wrong: team, answered an unanswerable question"
        if q.item.must_include and metrics.missing_groups(answer, q.item.must_include):
            return (
                "wrong: team, declined an answerable question"
                if declined
                else "wrong: team, must_include missing"
            )
        return "wrong: team, declined an answerable question" if declined else None
    if declined:
        return None
    cited = any(
        c.document_id == q.document_id
        and (q.paragraph in _paragraph(c.location) or q.sentence in " ".join(c.quote.split()))
        for c in answer.citations
    )
    return None if cited else f"wrong: {q.kind}, cites neither its sentence nor its paragraph"


def type_counts() -> Counter[str]:
    gc.collect()
    return Counter(type(o).__name__ for o in gc.get_objects())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--questions", type=int, default=1000, help="distinct questions in a row (at most)"
    )
    parser.add_argument("--seed", type=int, default=0, help="order of the questions")
    parser.add_argument(
        "--max-errors", type=int, default=0, help="errors allowed before the exit status is 1"
    )
    parser.add_argument("--every", type=int, default=50, help="sample RSS every N questions")
    parser.add_argument("--warmup", type=int, default=100, help="questions before the baseline")
    parser.add_argument("--bound-mb", type=float, default=50.0, help="allowed growth after warm-up")
    parser.add_argument("--max-minutes", type=float, default=20.0, help="stop early after this")
    parser.add_argument("--out-dir", type=Path, default=BENCH_DIR, help="where results go")
    parser.add_argument("--name", default="soak", help="result file name stem")
    args = parser.parse_args(argv)

    team = load_question_set(JAPAN_SET)
    tmp = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    samples: list[dict[str, Any]] = []
    latencies: list[float] = []
    latency_by_kind: dict[str, list[float]] = {}
    asked_by_kind: Counter[str] = Counter()
    error_types: Counter[str] = Counter()
    error_examples: dict[str, list[dict[str, Any]]] = {}
    declined_by_kind: Counter[str] = Counter()
    try:
        rss_before = rss_mb()
        runtime = Runtime(Settings(data_dir=tmp / "data"))
        with Timer() as ingest_t:
            runtime.knowledge.ingest([KNOWLEDGE])
        chain = runtime.chain
        embedder: Any = runtime.embedder
        runtime.knowledge.bm25()
        generated = generated_questions(runtime.store.chunks())
        plan = question_plan(team, generated, args.seed)
        available = Counter(q.kind for q in plan)
        print(
            f"{len(plan)} distinct questions: {len(team)} team items, {len(generated)} generated "
            f"({dict(available)} after removing duplicates); asking {min(args.questions, len(plan))}"
        )
        plan = plan[: args.questions]

        def sample(done: int) -> None:
            info = content_terms.cache_info()
            samples.append(
                {
                    "questions": done,
                    "rss_mb": round(rss_mb(), 1),
                    "query_cache": len(getattr(embedder, "_query_cache", {})),
                    "content_terms_cache": info.currsize,
                    "gc_objects": len(gc.get_objects()),
                }
            )

        sample(0)
        warm_types: Counter[str] = Counter()
        deadline = time.monotonic() + args.max_minutes * 60
        done = 0
        for done, q in enumerate(plan, start=1):
            started = time.perf_counter()
            error: str | None
            seen = ""
            try:
                answer = chain.ask(q.question, list(q.history))
                elapsed = (time.perf_counter() - started) * 1000
                error = answer_error(q, answer)
                declined_by_kind[q.kind] += int(metrics.declined(answer))
                seen = f"{answer.text[:160]!r} citing " + (
                    ", ".join(f"[{c.n}] {c.location}" for c in answer.citations) or "nothing"
                )
            except Exception as exc:  # counted, never hidden
                elapsed = (time.perf_counter() - started) * 1000
                error = "exception"
                seen = repr(exc)
                print(f"exception on {q.id} ({q.question!r}): {exc!r}")
            latencies.append(elapsed)
            latency_by_kind.setdefault(q.kind, []).append(elapsed)
            asked_by_kind[q.kind] += 1
            if error is not None:
                error_types[error] += 1
                error_examples.setdefault(error, []).append(
                    {
                        "id": q.id,
                        "question": q.question,
                        "source": f"paragraph {q.paragraph}: {q.sentence}" if q.sentence else "",
                        "got": seen,
                    }
                )
            if done % args.every == 0 or done == len(plan):
                sample(done)
                s = samples[-1]
                print(
                    f"{done:5d} questions  RSS {s['rss_mb']:7.1f} MB  query cache "
                    f"{s['query_cache']:5d}  terms cache {s['content_terms_cache']:5d}  "
                    f"gc objects {s['gc_objects']}"
                )
                sys.stdout.flush()
            if done == args.warmup:
                warm_types = type_counts()
            if time.monotonic() > deadline:
                print(f"stopping after {done} questions: --max-minutes reached")
                break
        end_types = type_counts()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    start = samples[0]["rss_mb"]
    peak = max(s["rss_mb"] for s in samples)
    end = samples[-1]["rss_mb"]
    warm = next((s for s in samples if s["questions"] >= args.warmup), samples[-1])
    after_warm = [s["rss_mb"] for s in samples if s["questions"] >= warm["questions"]]
    growth = end - warm["rss_mb"]
    peak_growth = max(after_warm) - warm["rss_mb"]
    held = peak_growth < args.bound_mb
    grew = [
        (name, n - warm_types.get(name, 0))
        for name, n in end_types.most_common()
        if n - warm_types.get(name, 0) > 0
    ]
    grew.sort(key=lambda x: -x[1])
    stats = latency_stats(latencies)
    by_kind = {kind: latency_stats(ms) for kind, ms in sorted(latency_by_kind.items())}
    errors = sum(error_types.values())
    error_rows: list[list[Any]] = [
        [kind, n] for kind, n in sorted(error_types.items(), key=lambda x: -x[1])
    ]
    kind_rows: list[list[Any]] = [
        [
            kind,
            asked_by_kind[kind],
            declined_by_kind[kind],
            sum(n for e, n in error_types.items() if e.startswith(f"wrong: {kind},")),
            f"{by_kind[kind]['p50_ms']} / {by_kind[kind]['p95_ms']} ms",
        ]
        for kind in sorted(asked_by_kind)
    ]

    print()
    print_table(
        ["questions", "RSS MB", "query cache", "terms cache", "gc objects"],
        [
            [
                s["questions"],
                s["rss_mb"],
                s["query_cache"],
                s["content_terms_cache"],
                s["gc_objects"],
            ]
            for s in samples
        ],
    )
    summary_rows: list[list[Any]] = [
        ["questions asked (all distinct)", done],
        ["errors (exception, empty or wrong answer)", errors],
        ["declined", sum(declined_by_kind.values())],
        ["RSS before the runtime", f"{rss_before:.1f} MB"],
        ["RSS start (model loaded, KB indexed)", f"{start:.1f} MB"],
        ["RSS peak", f"{peak:.1f} MB"],
        ["RSS end", f"{end:.1f} MB"],
        [f"RSS at question {warm['questions']} (after warm-up)", f"{warm['rss_mb']:.1f} MB"],
        ["growth after warm-up (end / peak)", f"{growth:+.1f} MB / {peak_growth:+.1f} MB"],
        [
            f"bound: peak growth after warm-up < {args.bound_mb:.0f} MB",
            "held" if held else "BROKEN",
        ],
        ["ask latency p50 / p95, all", f"{stats['p50_ms']} / {stats['p95_ms']} ms"],
    ]
    kind_headers = ["question kind", "asked", "declined", "wrong", "ask p50 / p95"]
    print()
    print_table(["soak", "value"], summary_rows)
    print()
    print_table(kind_headers, kind_rows)
    print()
    print_table(["error type", "count"], error_rows or [["(none)", 0]])
    for kind, examples in error_examples.items():
        for example in examples[:3]:
            print(f"  {kind}: {example['id']} {example['question']!r}")
            print(
                f"    got {example['got']}"
                + (f"; from {example['source']}" * bool(example["source"]))
            )
    print(f"object types that grew after warm-up: {grew[:8]}")
    findings = [
        f"{done} distinct questions ({dict(asked_by_kind)}), {errors} errors "
        f"({dict(error_types) or 'none'}); ingest of knowledge/ took {ingest_t.seconds:.1f}s.",
        f"Bound (peak RSS growth after question {warm['questions']} < {args.bound_mb:.0f} MB): "
        f"{'held' if held else 'broken'} ({peak_growth:+.1f} MB).",
        "Caches seen: the embedder's query cache (LRU, capped at 4,096 vectors of 384 floats, "
        "about 6 MB at most) and question_kinds.content_terms (lru_cache, 16,384 entries); with "
        "every question distinct, they grow with the questions until their caps (final sizes "
        f"{samples[-1]['query_cache']} and {samples[-1]['content_terms_cache']}).",
        f"Object types that grew most between the warm-up sample and the end: {grew[:8]}.",
    ]
    write_results(
        args.name,
        args.out_dir,
        title=f"Soak: {done} distinct questions in a row (in-process chain.ask, real model)",
        tables=[
            ("Summary", ["soak", "value"], summary_rows),
            ("By question kind", kind_headers, kind_rows),
            ("Errors by type", ["error type", "count"], error_rows or [["(none)", 0]]),
            (
                f"Samples every {args.every} questions",
                ["questions", "RSS MB", "query cache", "terms cache", "gc objects"],
                [
                    [
                        s["questions"],
                        s["rss_mb"],
                        s["query_cache"],
                        s["content_terms_cache"],
                        s["gc_objects"],
                    ]
                    for s in samples
                ],
            ),
        ],
        findings=findings,
        data={
            "questions": done,
            "errors": errors,
            "error_types": dict(error_types),
            "error_examples": {k: v[:10] for k, v in error_examples.items()},
            "asked_by_kind": dict(asked_by_kind),
            "declined_by_kind": dict(declined_by_kind),
            "distinct_available": dict(available),
            "seed": args.seed,
            "rss_before_mb": round(rss_before, 1),
            "rss_start_mb": start,
            "rss_peak_mb": peak,
            "rss_end_mb": end,
            "rss_warm_mb": warm["rss_mb"],
            "growth_after_warmup_mb": round(growth, 1),
            "peak_growth_after_warmup_mb": round(peak_growth, 1),
            "bound_mb": args.bound_mb,
            "bound_held": held,
            "max_errors": args.max_errors,
            "latency": stats,
            "latency_by_kind": by_kind,
            "samples": samples,
            "grew_types": grew[:20],
            "ingest_s": round(ingest_t.seconds, 2),
        },
    )
    return 0 if held and errors <= args.max_errors else 1


if __name__ == "__main__":
    sys.exit(main())
