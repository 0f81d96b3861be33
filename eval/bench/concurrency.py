"""Simultaneous questions through the web app's /ask API: latency, wall time, no mix-ups (issue 6).

Steps: ``assistant --data-dir TMP ingest knowledge/`` (the real CLI), then
``assistant --data-dir TMP serve --host 127.0.0.1 --port FREE`` in a child process. Questions are
the answerable, single-turn items of eval/sets/japan-dev.yaml. A sequential baseline pass asks each
candidate once and keeps the first N whose answer contains a phrase of every ``must_include``
list (the offline answerer does not get every item right; those it misses are listed). Then each
round starts N threads (one gradio_client.Client each, made beforehand) behind a barrier, all
asking at once. A response is correct when it (1) is not an error and not an abstention, (2)
contains its own item's expected phrases and (3) is identical to the sequential answer to the same
question (so an answer to another question, or one mixed from two, fails). Only loopback traffic;
requests are bounded by count (rounds x N) and by a per-request timeout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from assistant.loopback import free_port, wait_for_port
from assistant.offline import enforce_offline

enforce_offline()

from _common import (  # noqa: E402
    BENCH_DIR,
    JAPAN_SET,
    KNOWLEDGE,
    ROOT,
    Timer,
    latency_stats,
    print_table,
    tree_rss_mb,
    write_results,
)

from assistant.evaluation.questions import EvalItem, load_question_set  # noqa: E402


def expected_ok(item: EvalItem, response: dict[str, Any]) -> bool:
    """Not an error or abstention, and a phrase of every must_include list is in the answer."""
    if "error" in response or response.get("abstained", True):
        return False
    text = str(response.get("answer", "")).lower()
    return all(any(p.lower() in text for p in group) for group in item.must_include or [])


def ask(client: Any, question: str) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    result = client.predict(question, [], api_name="/ask")
    return dict(result), (time.perf_counter() - started) * 1000


class HttpClient:
    """Gradio's two-step REST API with plain httpx (POST call/ask, then read its event stream).

    Used with ``--transport http`` to tell the server's delays from gradio_client's.
    """

    def __init__(self, url: str, timeout: float) -> None:
        import httpx

        self.base = url.rstrip("/") + "/gradio_api/call/ask"
        self.http = httpx.Client(timeout=timeout)

    def predict(self, question: str, history: list[Any], api_name: str = "/ask") -> Any:
        posted = self.http.post(self.base, json={"data": [question, history]})
        posted.raise_for_status()
        event_id = posted.json()["event_id"]
        event = ""
        with self.http.stream("GET", f"{self.base}/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    payload = json.loads(line.split(":", 1)[1])
                    if event == "error":
                        return {"error": str(payload)}
                    return payload[0]
        return {"error": "the event stream ended without a result"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=16, help="simultaneous questions")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of simultaneous questions")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per request")
    parser.add_argument(
        "--transport",
        choices=["client", "http"],
        default="client",
        help="gradio_client.Client (default) or plain httpx on Gradio's REST API",
    )
    parser.add_argument("--out-dir", type=Path, default=BENCH_DIR, help="where results go")
    parser.add_argument("--name", default="concurrency", help="result file name stem")
    args = parser.parse_args(argv)

    from gradio_client import Client

    items = [
        i for i in load_question_set(JAPAN_SET) if i.answerable and not i.history and i.must_include
    ]
    assistant_bin = str(Path(sys.executable).with_name("assistant"))
    tmp = Path(tempfile.mkdtemp(prefix="bench-concurrency-"))
    data = tmp / "data"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False"}
    with Timer() as ingest_t:
        subprocess.run(
            [assistant_bin, "--data-dir", str(data), "ingest", str(KNOWLEDGE)],
            check=True,
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=600,
        )
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen(
        [
            assistant_bin,
            "--data-dir",
            str(data),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    rounds: list[dict[str, Any]] = []
    try:
        with Timer() as start_t:
            wait_for_port(port, timeout=180.0, proc=server)
            probe = Client(url, verbose=False)
        rss_idle = tree_rss_mb(server.pid)
        _, warmup_ms = ask(probe, "What is the knowledge base about?")  # loads the model
        rss_warm = tree_rss_mb(server.pid)

        # sequential baseline: pick N items the offline answerer gets right
        chosen: list[EvalItem] = []
        baseline: dict[str, str] = {}
        missed: list[str] = []
        sequential_ms: list[float] = []
        sequential_server_ms: list[float] = []
        for item in items:
            response, ms = ask(probe, item.question)
            sequential_ms.append(ms)
            sequential_server_ms.append(float(response.get("timings_ms", {}).get("total", 0.0)))
            if expected_ok(item, response):
                chosen.append(item)
                baseline[item.question] = str(response["answer"])
            else:
                missed.append(item.id)
            if len(chosen) >= args.concurrency:
                break
        if len(chosen) < args.concurrency:
            raise RuntimeError(f"only {len(chosen)} items answered correctly in sequence")
        print(
            f"sequential baseline: {len(sequential_ms)} questions, p50 "
            f"{latency_stats(sequential_ms)['p50_ms']} ms; kept {len(chosen)}, missed {missed}"
        )

        clients: list[Any] = [
            Client(url, verbose=False)
            if args.transport == "client"
            else HttpClient(url, args.timeout)
            for _ in chosen
        ]
        for r in range(args.rounds):
            barrier = threading.Barrier(len(chosen) + 1)
            order = chosen[r:] + chosen[:r]  # a different client/question pairing each round

            def one(client: Any, item: EvalItem, barrier: threading.Barrier = barrier) -> Any:
                barrier.wait(timeout=60)
                try:
                    response, ms = ask(client, item.question)
                except Exception as exc:
                    return item, {"error": repr(exc)}, float("nan")
                return item, response, ms

            with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
                futures = [pool.submit(one, c, i) for c, i in zip(clients, order, strict=True)]
                barrier.wait(timeout=60)
                started = time.perf_counter()
                outcomes = [f.result(timeout=args.timeout) for f in futures]
                wall = time.perf_counter() - started
            ok = 0
            wrong: list[str] = []
            latencies = []
            server_ms = []
            for item, response, ms in outcomes:
                server_ms.append(float(response.get("timings_ms", {}).get("total", 0.0)))
                good = (
                    expected_ok(item, response)
                    and response.get("answer") == baseline[item.question]
                )
                ok += int(good)
                if not good:
                    wrong.append(f"{item.id}: {str(response.get('answer', response))[:120]}")
                if ms == ms:
                    latencies.append(ms)
            stats = latency_stats(latencies)
            rounds.append(
                {
                    "round": r + 1,
                    "questions": len(outcomes),
                    "correct": ok,
                    "wrong": wrong,
                    "wall_s": round(wall, 2),
                    "server_compute": latency_stats(server_ms),
                    **stats,
                }
            )
            print(
                f"round {r + 1}: {ok}/{len(outcomes)} correct, wall {wall:.2f}s, "
                f"p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms; server-side chain time "
                f"p50 {latency_stats(server_ms)['p50_ms']} ms"
            )
        rss_end = tree_rss_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)

    seq = latency_stats(sequential_ms)
    seq_server = latency_stats(sequential_server_ms)
    all_correct = all(r["correct"] == r["questions"] for r in rounds)
    rows = [
        [
            "sequential baseline",
            len(sequential_ms),
            "-",
            seq["p50_ms"],
            seq["p95_ms"],
            "-",
            f"{seq_server['p50_ms']} / {seq_server['p95_ms']}",
        ]
    ] + [
        [
            f"round {r['round']} ({args.concurrency} at once)",
            r["questions"],
            f"{r['correct']}/{r['questions']}",
            r["p50_ms"],
            r["p95_ms"],
            r["wall_s"],
            f"{r['server_compute']['p50_ms']} / {r['server_compute']['p95_ms']}",
        ]
        for r in rounds
    ]
    headers = [
        "run",
        "questions",
        "correct",
        "p50 ms",
        "p95 ms",
        "wall s",
        "server chain time p50 / p95 ms",
    ]
    print()
    print_table(headers, rows)
    mean_wall = sum(r["wall_s"] for r in rounds) / len(rounds)
    serial_estimate = seq["mean_ms"] * args.concurrency / 1000
    print(f"\nall answers correct and unmixed: {all_correct}")
    findings = [
        f"All {args.rounds * args.concurrency} concurrent answers correct and matching their own "
        f"question's sequential answer: {all_correct}.",
        f"Mean wall time per round {mean_wall:.2f}s vs {serial_estimate:.2f}s for the same "
        f"{args.concurrency} questions one after another (sequential mean x N; "
        f"{seq['p50_ms'] * args.concurrency / 1000:.2f}s with the sequential p50): 2 cores, "
        "CPU-bound work, so little parallel gain is possible.",
        "First answer of each round arrived after "
        + ", ".join(f"{r['min_ms'] / 1000:.2f}s of {r['wall_s']:.2f}s" for r in rounds)
        + " (min latency vs wall): answers are not delivered as each finishes but together "
        "near the end of the round, although each needs only "
        + ", ".join(f"{r['server_compute']['p50_ms']:.0f}" for r in rounds)
        + " ms (p50) of chain time on the server.",
        f"Offline answerer missed in the sequential pass (not used concurrently): {missed}.",
        f"Ingest of knowledge/ {ingest_t.seconds:.1f}s; server start to first API client "
        f"{start_t.seconds:.1f}s; first (model-loading) request {warmup_ms / 1000:.1f}s; "
        f"server RSS idle {rss_idle:.0f} MB, after warm-up {rss_warm:.0f} MB, after the rounds "
        f"{rss_end:.0f} MB.",
    ]
    write_results(
        args.name,
        args.out_dir,
        title=f"{args.concurrency} simultaneous questions through /ask (assistant serve, "
        f"transport: {args.transport})",
        tables=[("Latency per request and wall time per round", headers, rows)],
        findings=findings,
        data={
            "concurrency": args.concurrency,
            "transport": args.transport,
            "rounds": rounds,
            "all_correct": all_correct,
            "sequential": seq,
            "sequential_server_compute": seq_server,
            "missed_in_sequential": missed,
            "questions": [i.id for i in chosen],
            "ingest_s": round(ingest_t.seconds, 2),
            "server_start_s": round(start_t.seconds, 2),
            "server_rss_idle_mb": round(rss_idle, 1),
            "server_rss_warm_mb": round(rss_warm, 1),
            "warmup_ms": round(warmup_ms, 1),
            "server_rss_end_mb": round(rss_end, 1),
            "mean_wall_s": round(mean_wall, 2),
            "sequential_estimate_s": round(serial_estimate, 2),
        },
    )
    return 0 if all_correct else 1


if __name__ == "__main__":
    sys.exit(main())
