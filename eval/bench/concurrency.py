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

Each round runs on a freshly started server, warmed by ``--warm-questions`` other team questions
one after another (models loaded, the knowledge base's sentence vectors cached, as on a server in
use), so, as for new users, none of the round's questions has been asked there before: the
server that answered the sequential pass has every question's vectors and reader scores cached,
and a burst of cached questions costs a fraction of the CPU of the uncached sequential ones.
``--reuse-server`` asks the rounds there instead (the old behaviour).

The server runs only so many /ask calls at once (Gradio's queue: the concurrency limit of the
/ask event, `queue(default_concurrency_limit=...)` in assistant/ui/app.py; the rest wait in the
queue). The limit is read from the app the server builds (:func:`served_queue`) and printed and
recorded beside the figures, with the queue each round makes (N requests, limit running, the rest
waiting). The CPU-limit ratio of a round is its p95 latency divided by the time N questions need
when the cores are the only limit: N x the sequential p50 (one question alone) / the CPU count.
About 1.0 means a burst is as fast as the CPU allows whatever the queue does; above, the queue or
the server loses time, or other processes held CPUs: the CPU time the server and all other
processes used during each burst is measured (psutil), and the ratio is also given with only the
CPUs the others left (N x sequential p50 / (CPUs - CPUs used by other processes)).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
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
    need_psutil,
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


SERVED_QUEUE = """
import json, sys
from pathlib import Path
from assistant.config import Settings
from assistant.runtime import Runtime
from assistant.ui.app import create_app
app = create_app(Runtime(Settings(data_dir=Path(sys.argv[1]))))
fn = next(f for f in app.fns.values() if f.api_name == "ask")
default = fn.concurrency_limit == "default"
limit = app._queue.default_concurrency_limit if default else fn.concurrency_limit
print(json.dumps({
    "ask_concurrency_limit": limit,
    "ask_limit_is_default": default,
    "max_size": app._queue.max_size,
    "max_threads": app.max_threads,
}))
"""


def served_queue(data: Path, env: dict[str, str]) -> dict[str, Any]:
    """How the app `assistant serve` builds queues /ask: its concurrency limit (None: no limit),
    whether that is the queue's default, the queue's maximum size (None: unbounded) and the
    worker threads. Read by building the same app (assistant.ui.app.create_app) in a child process
    over the same data directory, without serving it."""
    done = subprocess.run(
        [sys.executable, "-c", SERVED_QUEUE, str(data)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cpu_split(server_pid: int) -> tuple[float, float, float]:
    """CPU seconds so far: the server's process tree, every other process on the machine (all
    busy time less the server's and this benchmark's own), and this benchmark's (its clients)."""
    psutil = need_psutil()
    times = psutil.cpu_times()
    busy = sum(times) - times.idle - getattr(times, "iowait", 0.0)
    server = 0.0
    for proc in [psutil.Process(server_pid), *psutil.Process(server_pid).children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            t = proc.cpu_times()
            server += t.user + t.system
    own = psutil.Process().cpu_times()
    return server, busy - server - own.user - own.system, own.user + own.system


def cpu_ratio(p95_ms: float, concurrency: int, single_ms: float, cores: float) -> float:
    """p95 of a burst / (N x single-question latency / cores): 1.0 = as fast as the CPUs allow."""
    return round(p95_ms / (concurrency * single_ms / cores), 2) if single_ms > 0 else 0.0


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
    parser.add_argument(
        "--reuse-server",
        action="store_true",
        help="ask the rounds on the server that answered the sequential pass (its caches then "
        "hold every question) instead of a freshly started one per round",
    )
    parser.add_argument(
        "--warm-questions",
        type=int,
        default=8,
        help="other team questions a fresh server answers before its round (k=6 of the "
        "knowledge base's 7 passages are read per question: a few cache nearly every sentence)",
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
    queue = served_queue(data, env)
    limit = queue["ask_concurrency_limit"]
    running = args.concurrency if limit is None else min(limit, args.concurrency)
    cores = os.cpu_count() or 1
    queue_note = (
        f"{args.concurrency} requests at once; the server runs {limit or 'any number of'} /ask "
        f"at a time ({'the queue default' if queue['ask_limit_is_default'] else 'its own limit'}"
        f", queue max size {queue['max_size'] or 'unbounded'}, {queue['max_threads']} worker "
        f"threads): {running} running, {args.concurrency - running} waiting in the queue; "
        f"{cores} CPUs"
    )
    print(f"queue: {queue_note}")
    log = (tmp / "server.log").open("wb")
    servers: list[subprocess.Popen[bytes]] = []

    def start_server(warm: Sequence[str] = ()) -> tuple[str, float, float, float, float]:
        """A new `assistant serve`, its models loaded (and the questions warm asked one after
        another); its url, start s, idle RSS, first request ms, RSS after it."""
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        server = subprocess.Popen(
            [
                *(assistant_bin, "--data-dir", str(data), "serve"),
                *("--host", "127.0.0.1", "--port", str(port)),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        servers.append(server)
        with Timer() as start_t:
            wait_for_port(port, timeout=180.0, proc=server)
            probe = Client(url, verbose=False)
        idle = tree_rss_mb(server.pid)
        _, warmup_ms = ask(probe, "What is the knowledge base about?")  # loads the model
        rss = tree_rss_mb(server.pid)
        for question in warm:
            ask(probe, question)
        return url, start_t.seconds, idle, warmup_ms, rss

    def stop_servers() -> None:
        while servers:
            server = servers.pop()
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)

    rounds: list[dict[str, Any]] = []
    try:
        url, start_s, rss_idle, warmup_ms, rss_warm = start_server()
        probe = Client(url, verbose=False)

        # sequential baseline: pick N items the offline answerer gets right
        chosen: list[EvalItem] = []
        baseline: dict[str, str] = {}
        missed: list[str] = []
        sequential_ms: list[float] = []
        sequential_server_ms: list[float] = []
        seq_cpu_before = cpu_split(servers[-1].pid)[0]
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
        seq_cpu_ms = (cpu_split(servers[-1].pid)[0] - seq_cpu_before) * 1000 / len(sequential_ms)
        single_ms = latency_stats(sequential_ms)["p50_ms"]
        # a fresh server is warmed with the other team questions: the models loaded and the
        # knowledge base's sentence vectors cached, as on a server in use, the round's not asked
        others = [i.question for i in items if i not in chosen][: args.warm_questions]
        print(
            f"sequential baseline: {len(sequential_ms)} questions, p50 "
            f"{single_ms} ms; kept {len(chosen)}, missed {missed}"
        )
        floor_s = args.concurrency * single_ms / cores / 1000
        print(
            f"CPU limit for a burst: {args.concurrency} x {single_ms} ms / {cores} CPUs = "
            f"{floor_s:.2f} s"
        )

        for r in range(args.rounds):
            if not args.reuse_server:  # as new users would find it: no question asked before
                stop_servers()
                url, *_ = start_server(others)
            if not args.reuse_server or r == 0:
                clients: list[Any] = [
                    Client(url, verbose=False)
                    if args.transport == "client"
                    else HttpClient(url, args.timeout)
                    for _ in chosen
                ]
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
                cpu_before = cpu_split(servers[-1].pid)
                started = time.perf_counter()
                outcomes = [f.result(timeout=args.timeout) for f in futures]
                wall = time.perf_counter() - started
                cpu_after = cpu_split(servers[-1].pid)
            # CPU seconds per second of the burst: the server's, and other processes' (the
            # machine is shared: what others take, the burst cannot have)
            server_cores = (cpu_after[0] - cpu_before[0]) / wall
            other_cores = max((cpu_after[1] - cpu_before[1]) / wall, 0.0)  # (noise below 0)
            client_cores = (cpu_after[2] - cpu_before[2]) / wall
            left = max(cores - other_cores, 0.1)  # the CPUs other processes left the burst
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
            ratio = cpu_ratio(stats["p95_ms"], args.concurrency, single_ms, cores)
            rounds.append(
                {
                    "round": r + 1,
                    "questions": len(outcomes),
                    "correct": ok,
                    "wrong": wrong,
                    "wall_s": round(wall, 2),
                    "server_compute": latency_stats(server_ms),
                    "cpu_limit_ratio": ratio,
                    "server_cores_used": round(server_cores, 2),
                    "client_cores_used": round(client_cores, 2),
                    "server_cpu_ms_per_question": round(
                        (cpu_after[0] - cpu_before[0]) * 1000 / len(outcomes), 1
                    ),
                    "cpu_limit_ratio_cpus_left": cpu_ratio(
                        stats["p95_ms"], args.concurrency, single_ms, left
                    ),
                    "other_processes_cores": round(other_cores, 2),
                    **stats,
                }
            )
            print(
                f"round {r + 1}: {ok}/{len(outcomes)} correct, wall {wall:.2f}s, "
                f"p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms; server-side chain time "
                f"p50 {latency_stats(server_ms)['p50_ms']} ms; queue {running} running + "
                f"{args.concurrency - running} waiting; CPU-limit ratio {ratio}; CPUs used by the "
                f"server {server_cores:.2f}, by the clients {client_cores:.2f}, by other processes "
                f"{other_cores:.2f}; CPU-limit ratio "
                f"with the {left:.2f} CPUs they left {rounds[-1]['cpu_limit_ratio_cpus_left']}"
            )
        rss_end = tree_rss_mb(servers[-1].pid)
    finally:
        stop_servers()
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
            "1 running, 0 waiting",
            seq["p50_ms"],
            seq["p95_ms"],
            "-",
            f"{seq_server['p50_ms']} / {seq_server['p95_ms']}",
            "-",
            "-",
            round(seq_cpu_ms, 1),
            "-",
        ]
    ] + [
        [
            f"round {r['round']} ({args.concurrency} at once)",
            r["questions"],
            f"{r['correct']}/{r['questions']}",
            f"{running} running, {args.concurrency - running} waiting",
            r["p50_ms"],
            r["p95_ms"],
            r["wall_s"],
            f"{r['server_compute']['p50_ms']} / {r['server_compute']['p95_ms']}",
            r["cpu_limit_ratio"],
            f"{r['server_cores_used']} / {r['other_processes_cores']}",
            r["server_cpu_ms_per_question"],
            r["cpu_limit_ratio_cpus_left"],
        ]
        for r in rounds
    ]
    headers = [
        "run",
        "questions",
        "correct",
        f"queue (/ask limit {limit})",
        "p50 ms",
        "p95 ms",
        "wall s",
        "server chain time p50 / p95 ms",
        "CPU-limit ratio",
        f"CPUs used (of {cores}): server / other processes",
        "server CPU ms per question",
        "CPU-limit ratio with the CPUs others left",
    ]
    print()
    print_table(headers, rows)
    mean_wall = sum(r["wall_s"] for r in rounds) / len(rounds)
    serial_estimate = seq["mean_ms"] * args.concurrency / 1000
    ratios = [r["cpu_limit_ratio"] for r in rounds]
    ratios_left = [r["cpu_limit_ratio_cpus_left"] for r in rounds]
    print(f"\nqueue: {queue_note}")
    print(
        f"CPU-limit ratio (p95 / ({args.concurrency} x {seq['p50_ms']} ms / {cores} CPUs = "
        f"{floor_s:.2f} s)): {', '.join(map(str, ratios))}; with the CPUs other processes "
        f"left: {', '.join(map(str, ratios_left))}"
    )
    print(f"all answers correct and unmixed: {all_correct}")
    findings = [
        f"Queue: {queue_note}.",
        f"Server CPU time per question: {seq_cpu_ms:.0f} ms one at a time (wall p50 "
        f"{seq['p50_ms']} ms), "
        + ", ".join(f"{r['server_cpu_ms_per_question']:.0f}" for r in rounds)
        + " ms in the bursts; the server kept "
        + ", ".join(f"{r['server_cores_used']}" for r in rounds)
        + f" of the {cores} CPUs busy during them (this benchmark's {args.concurrency} clients "
        + ", ".join(f"{r['client_cores_used']}" for r in rounds)
        + ").",
        f"CPU-limit ratio per round (burst p95 / ({args.concurrency} x sequential p50 "
        f"{seq['p50_ms']} ms / {cores} CPUs = {floor_s:.2f} s)): {', '.join(map(str, ratios))}; "
        "1.0 is as fast as the CPUs allow for the burst, above it the queue or server loses time "
        "(or other processes held CPUs: during the bursts they used "
        + ", ".join(f"{r['other_processes_cores']}" for r in rounds)
        + f" of the {cores} CPUs, the server "
        + ", ".join(f"{r['server_cores_used']}" for r in rounds)
        + "; with only the CPUs they left, the ratio is "
        + ", ".join(f"{r['cpu_limit_ratio_cpus_left']}" for r in rounds)
        + "). "
        + (
            "Each round ran on a freshly started server warmed by "
            f"{len(others)} other team questions, so, as for new users, none of the round's "
            "questions had been asked there before."
            if not args.reuse_server
            else "The rounds ran on the server of the sequential pass (--reuse-server): every "
            "question was in its caches, so a burst costs less CPU than the sequential p50."
        ),
        f"All {args.rounds * args.concurrency} concurrent answers correct and matching their own "
        f"question's sequential answer: {all_correct}.",
        f"Mean wall time per round {mean_wall:.2f}s vs {serial_estimate:.2f}s for the same "
        f"{args.concurrency} questions one after another (sequential mean x N; "
        f"{seq['p50_ms'] * args.concurrency / 1000:.2f}s with the sequential p50): 2 cores, "
        "CPU-bound work, so little parallel gain is possible.",
        "First answer of each round arrived after "
        + ", ".join(f"{r['min_ms'] / 1000:.2f}s of {r['wall_s']:.2f}s" for r in rounds)
        + " (min latency vs wall); chain time on the server p50 "
        + ", ".join(f"{r['server_compute']['p50_ms']:.0f}" for r in rounds)
        + " ms per request.",
        f"Offline answerer missed in the sequential pass (not used concurrently): {missed}.",
        f"Ingest of knowledge/ {ingest_t.seconds:.1f}s; server start to first API client "
        f"{start_s:.1f}s; first (model-loading) request {warmup_ms / 1000:.1f}s; "
        f"server RSS idle {rss_idle:.0f} MB, after warm-up {rss_warm:.0f} MB, after the rounds "
        f"{rss_end:.0f} MB.",
    ]
    write_results(
        args.name,
        args.out_dir,
        title=f"{args.concurrency} simultaneous questions through /ask (assistant serve, "
        f"{running} at a time, transport: {args.transport})",
        tables=[("Latency per request and wall time per round", headers, rows)],
        findings=findings,
        data={
            "concurrency": args.concurrency,
            "transport": args.transport,
            "queue": {**queue, "running": running, "waiting": args.concurrency - running},
            "cpus": cores,
            "cpu_limit_s": round(floor_s, 2),
            "cpu_limit_ratios": ratios,
            "cpu_limit_ratios_cpus_left": ratios_left,
            "sequential_server_cpu_ms_per_question": round(seq_cpu_ms, 1),
            "rounds": rounds,
            "all_correct": all_correct,
            "sequential": seq,
            "sequential_server_compute": seq_server,
            "missed_in_sequential": missed,
            "questions": [i.id for i in chosen],
            "ingest_s": round(ingest_t.seconds, 2),
            "server_start_s": round(start_s, 2),
            "fresh_server_per_round": not args.reuse_server,
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
