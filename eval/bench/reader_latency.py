"""What the reader adds to an offline ask: chain.ask latency with and without it, in one run.

    .venv/bin/python eval/bench/reader_latency.py        # about 2 minutes on 2 cores

The shipped knowledge/ folder is indexed into a temporary data directory once; then every
question of eval/sets/japan-heldout.yaml and japan-reader-dev.yaml (83 distinct questions) is
asked through the same chain (hybrid retrieval, shortlist, answer) twice, alternating per
question so that machine noise hits both alike:

- **with the reader**: the shipped cross-encoder reads the shortlisted sentences (its pair cache
  and the embedder's cache are emptied before every ask, for both answerers);
- **without**: the same answerer over a reader that costs nothing (``assistant.testing.FakeReader``,
  word overlap), i.e. retrieval, embedding of sentences and the shortlist alone.

Reported: p50 and p95 of each, the difference of the p50s (the target: at most 250 ms), and the
same for factoid and broad questions apart (broad questions read a longer shortlist).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from _common import BENCH_DIR, KNOWLEDGE, ROOT, latency_stats, print_table, write_results

from assistant.chain import AssistantChain
from assistant.config import load_settings
from assistant.evaluation.questions import load_question_set
from assistant.generation.extractive import ExtractiveAnswerer
from assistant.generation.question_kinds import is_broad
from assistant.runtime import Runtime
from assistant.testing import FakeReader

SETS = [
    ROOT / "eval" / "sets" / "japan-heldout.yaml",
    ROOT / "eval" / "sets" / "japan-reader-dev.yaml",
]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="reader-bench-") as tmp:
        settings = load_settings(data_dir=Path(tmp), chroma_url=None)
        runtime = Runtime(settings)
        runtime.knowledge.ingest([KNOWLEDGE])
        reader = runtime.reader
        with_reader = runtime.offline_answerer
        # the shipped answerer's settings, a reader costing nothing
        without = ExtractiveAnswerer.from_settings(
            settings, runtime.embedder, FakeReader(), min_prob=0.0
        )
        chains = {
            "with reader": AssistantChain(retriever=runtime.retriever, answerer=with_reader),
            "without": AssistantChain(retriever=runtime.retriever, answerer=without),
        }
        questions = list(
            dict.fromkeys(item.question for s in SETS for item in load_question_set(s))
        )
        for chain in chains.values():  # warm: model loads, first-call costs
            chain.ask("What is Japan doing?", [])
        cache = getattr(getattr(reader, "model", None), "_cache", None)
        times: dict[str, list[float]] = {name: [] for name in chains}
        kinds: dict[str, dict[str, list[float]]] = {
            name: {"factoid": [], "broad": []} for name in chains
        }
        for i, question in enumerate(questions):
            order = list(chains) if i % 2 == 0 else list(reversed(chains))
            for name in order:
                if cache is not None:
                    cache.clear()
                embedder_cache = getattr(runtime.embedder, "_query_cache", None)
                if embedder_cache is not None:
                    embedder_cache.clear()  # both answerers embed every sentence anew
                started = time.perf_counter()
                chains[name].ask(question, [])
                ms = (time.perf_counter() - started) * 1000
                times[name].append(ms)
                kinds[name]["broad" if is_broad(question) else "factoid"].append(ms)
    stats = {name: latency_stats(ms) for name, ms in times.items()}
    by_kind = {
        name: {kind: latency_stats(ms) for kind, ms in groups.items()}
        for name, groups in kinds.items()
    }
    added = stats["with reader"]["p50_ms"] - stats["without"]["p50_ms"]
    rows = [
        [
            name,
            s["n"],
            s["p50_ms"],
            s["p95_ms"],
            by_kind[name]["factoid"]["p50_ms"],
            by_kind[name]["broad"]["p50_ms"],
        ]
        for name, s in stats.items()
    ]
    headers = ["answerer", "questions", "p50 ms", "p95 ms", "factoid p50 ms", "broad p50 ms"]
    print_table(headers, rows)
    print(f"\nthe reader adds {added:.0f} ms to the p50 of an offline ask (target: at most 250 ms)")
    write_results(
        "reader_latency",
        BENCH_DIR,
        title="Reader latency: offline ask with and without the reader (issue 9)",
        tables=[("chain.ask over 83 distinct questions, alternating", headers, rows)],
        findings=[
            f"The reader adds {added:.0f} ms to the p50 of an offline ask (target at most 250 ms).",
            f"Factoid p50 with/without: {by_kind['with reader']['factoid']['p50_ms']} / "
            f"{by_kind['without']['factoid']['p50_ms']} ms; broad: "
            f"{by_kind['with reader']['broad']['p50_ms']} / {by_kind['without']['broad']['p50_ms']} ms.",
        ],
        data={"stats": stats, "by_kind": by_kind, "added_p50_ms": round(added, 1)},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
