"""A soak: many questions in a row in one process, watching memory (issue 6).

The shipped knowledge base is ingested into a temporary data directory with the real model, then
``chain.ask`` runs ``--questions`` times (default 1,000), cycling through every item of
eval/sets/japan-dev.yaml (follow-ups with their history) with the offline answerer. RSS is sampled
every ``--every`` questions, together with the sizes of the caches the code keeps (the embedder's
query cache, ``content_terms``' lru_cache) and the number of live objects the garbage collector
tracks. The bound checked: RSS growth from question ``--warmup`` (default 100) to the end stays
under ``--bound-mb`` (default 50 MB). The object types that grew most between the warm-up
sample and the end are listed, to find the structure if memory does grow.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from collections import Counter
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

from assistant.config import Settings  # noqa: E402
from assistant.evaluation.questions import load_question_set  # noqa: E402
from assistant.generation.extractive import content_terms  # noqa: E402
from assistant.runtime import Runtime  # noqa: E402


def type_counts() -> Counter[str]:
    gc.collect()
    return Counter(type(o).__name__ for o in gc.get_objects())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=1000, help="questions in a row")
    parser.add_argument("--every", type=int, default=50, help="sample RSS every N questions")
    parser.add_argument("--warmup", type=int, default=100, help="questions before the baseline")
    parser.add_argument("--bound-mb", type=float, default=50.0, help="allowed growth after warm-up")
    parser.add_argument("--max-minutes", type=float, default=20.0, help="stop early after this")
    parser.add_argument("--out-dir", type=Path, default=BENCH_DIR, help="where results go")
    parser.add_argument("--name", default="soak", help="result file name stem")
    args = parser.parse_args(argv)

    items = load_question_set(JAPAN_SET)
    tmp = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    samples: list[dict[str, Any]] = []
    latencies: list[float] = []
    errors = 0
    abstained = 0
    try:
        rss_before = rss_mb()
        runtime = Runtime(Settings(data_dir=tmp / "data"))
        with Timer() as ingest_t:
            runtime.knowledge.ingest([KNOWLEDGE])
        chain = runtime.chain
        embedder: Any = runtime.embedder
        runtime.knowledge.bm25()

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
        for done in range(1, args.questions + 1):
            item = items[(done - 1) % len(items)]
            started = time.perf_counter()
            try:
                answer = chain.ask(item.question, list(item.history))
                abstained += int(answer.abstained)
            except Exception as exc:  # counted, never hidden
                errors += 1
                print(f"error on {item.id}: {exc!r}")
            latencies.append((time.perf_counter() - started) * 1000)
            if done % args.every == 0 or done == args.questions:
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
    first = latency_stats(latencies[: len(items)])
    repeat = latency_stats(latencies[len(items) :])

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
    summary_rows = [
        ["questions asked", done],
        ["errors", errors],
        ["abstained", abstained],
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
        [
            f"ask latency p50 / p95, first pass ({first['n']} distinct questions)",
            f"{first['p50_ms']} / {first['p95_ms']} ms",
        ],
        [
            "ask latency p50 / p95, repeats (query and sentence vectors cached)",
            f"{repeat['p50_ms']} / {repeat['p95_ms']} ms",
        ],
    ]
    print()
    print_table(["soak", "value"], summary_rows)
    print(f"object types that grew after warm-up: {grew[:8]}")
    findings = [
        f"{done} questions, {errors} errors; ingest of knowledge/ took {ingest_t.seconds:.1f}s.",
        f"Bound (peak RSS growth after question {warm['questions']} < {args.bound_mb:.0f} MB): "
        f"{'held' if held else 'broken'} ({peak_growth:+.1f} MB).",
        "Caches seen: the embedder's query cache (LRU, capped at 4,096 vectors of 384 floats, "
        "about 6 MB at most) and extractive.content_terms (lru_cache, 16,384 entries); both "
        f"plateau once every sentence has been seen (final sizes {samples[-1]['query_cache']} "
        f"and {samples[-1]['content_terms_cache']}).",
        f"Object types that grew most between the warm-up sample and the end: {grew[:8]}.",
    ]
    write_results(
        args.name,
        args.out_dir,
        title=f"Soak: {done} questions in a row (in-process chain.ask, real model)",
        tables=[
            ("Summary", ["soak", "value"], summary_rows),
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
            "abstained": abstained,
            "rss_before_mb": round(rss_before, 1),
            "rss_start_mb": start,
            "rss_peak_mb": peak,
            "rss_end_mb": end,
            "rss_warm_mb": warm["rss_mb"],
            "growth_after_warmup_mb": round(growth, 1),
            "peak_growth_after_warmup_mb": round(peak_growth, 1),
            "bound_mb": args.bound_mb,
            "bound_held": held,
            "latency": stats,
            "latency_first_pass": first,
            "latency_repeats": repeat,
            "samples": samples,
            "grew_types": grew[:20],
            "ingest_s": round(ingest_t.seconds, 2),
        },
    )
    return 0 if held and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
