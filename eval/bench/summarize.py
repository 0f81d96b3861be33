"""Writes eval/bench/README.md: one table of the headline figures of every benchmark's JSON.

Run after the benchmarks: ``.venv/bin/python eval/bench/summarize.py``. The hand-written notes
(findings, what was left out) live in eval/bench/NOTES.md and are appended verbatim.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent


def load(out_dir: Path, name: str) -> dict[str, Any] | None:
    path = out_dir / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def rows(out_dir: Path) -> list[list[str]]:
    out: list[list[str]] = []
    ir = load(out_dir, "ingest_retrieval")
    if ir:
        cmd = f"`{ir['command']}`"
        out += [
            [
                "ingest vs raw encode",
                f"{ir['corpus']['chunks']} chunks ({ir['corpus']['files']} files)",
                f"raw {ir['raw_chunks_per_s']} chunks/s; ingest {ir['ingest_chunks_per_s']} "
                f"chunks/s; **ratio {ir['ratio']}** (target >= 0.9: "
                f"{'met' if ir['ratio_target_met'] else 'not met'}); raw one call per document "
                f"{ir.get('raw_per_document_chunks_per_s', '-')} chunks/s",
                cmd,
            ],
            [
                "no-op re-ingest",
                f"{ir['corpus']['files']} files",
                f"{ir['noop_seconds']} s, {ir['noop_embedded']} chunks embedded",
                cmd,
            ],
            [
                "hybrid retrieve",
                f"{ir['retrieval']['n']} queries",
                f"p50 {ir['retrieval']['p50_ms']} ms, p95 {ir['retrieval']['p95_ms']} ms",
                cmd,
            ],
            [
                "chain.ask (offline)",
                f"{ir['ask']['n']} questions",
                f"p50 {ir['ask']['p50_ms']} ms, p95 {ir['ask']['p95_ms']} ms",
                cmd,
            ],
        ]
    dg = load(out_dir, "ingest_diagnose")
    if dg:
        parts = []
        for key, values in dg["seconds"].items():
            parts.append(f"{key}: {dg['chunks'] / (sum(values) / len(values)):.1f} chunks/s")
        out.append(
            [
                "ingest diagnosis (encode variants)",
                f"{dg['chunks']} chunks ({dg['documents']} files)",
                "; ".join(parts),
                f"`{dg['command']}`",
            ]
        )
    for name, label in (("scale", "scale"), ("scale_after_fix", "scale after count() fix")):
        sc = load(out_dir, name)
        if not sc:
            continue
        for r in sc["results"]:
            mem = f"client RSS {r['client_rss_mb']} MB"
            if "server_rss_mb" in r:
                mem += f", server RSS {r['server_rss_mb']} MB"
            out.append(
                [
                    f"{label}, {r['backend']}",
                    f"{r['size']:,} chunks",
                    f"hybrid p50 {r['hybrid']['p50_ms']} ms, p95 {r['hybrid']['p95_ms']} ms; "
                    f"add {r['add_s']} s; BM25 {r['bm25_how']} {r['bm25_s']} s; {mem}",
                    f"`{sc['command']}`",
                ]
            )
    cc = load(out_dir, "concurrency")
    if cc:
        for r in cc["rounds"]:
            out.append(
                [
                    f"concurrency, round {r['round']}",
                    f"{r['questions']} at once via /ask",
                    f"{r['correct']}/{r['questions']} correct and unmixed; p50 {r['p50_ms']} ms, "
                    f"p95 {r['p95_ms']} ms; wall {r['wall_s']} s",
                    f"`{cc['command']}`",
                ]
            )
        s = cc["sequential"]
        out.append(
            [
                "concurrency, sequential baseline",
                f"{s['n']} one at a time",
                f"p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms",
                f"`{cc['command']}`",
            ]
        )
    so = load(out_dir, "soak")
    if so:
        out.append(
            [
                "soak",
                f"{so['questions']} questions in a row",
                f"RSS start {so['rss_start_mb']} MB, peak {so['rss_peak_mb']} MB, end "
                f"{so['rss_end_mb']} MB; growth after warm-up {so['growth_after_warmup_mb']:+} MB "
                f"(peak {so['peak_growth_after_warmup_mb']:+} MB; bound < {so['bound_mb']:.0f} MB "
                f"{'held' if so['bound_held'] else 'broken'}); {so['errors']} errors; ask p50 "
                f"{so['latency']['p50_ms']} ms, p95 {so['latency']['p95_ms']} ms",
                f"`{so['command']}`",
            ]
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out-dir", type=Path, default=BENCH_DIR, help="where the JSON files are")
    args = parser.parse_args(argv)
    table = rows(args.out_dir)
    lines = [
        "# Benchmarks",
        "",
        "Each script prints its figures and writes `<name>.md` and `<name>.json` here; "
        "`tests/test_bench_smoke.py` (integration) runs each at a tiny size. Regenerate this "
        "table with `.venv/bin/python eval/bench/summarize.py`.",
        "",
        "Measured on a shared 2-core machine while other engineers ran tests (load average "
        "5-12 during these runs, i.e. 2-6 runnable processes per core): absolute figures are noisy and "
        "pessimistic; compare ratios within one run.",
        "",
        "| benchmark | size | result | command |",
        "|---|---|---|---|",
        *["| " + " | ".join(r) + " |" for r in table],
        "",
    ]
    notes = args.out_dir / "NOTES.md"
    if notes.is_file():
        lines += [notes.read_text().rstrip(), ""]
    (args.out_dir / "README.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
