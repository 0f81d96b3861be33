"""The self-contained HTML report of a run: metadata, metrics, two plots, one row a question.

The plots are drawn with matplotlib (imported only when a report is written) and embedded as PNG
data, so the file can be opened or mailed on its own.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping
from typing import Any

from assistant.evaluation.metrics import METRIC_NAMES, SHARE_METRICS, format_metric
from assistant.evaluation.runner import EvalRun, QuestionResult
from assistant.evaluation.scoring import ROW_METRICS

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem;
       color: #1d2330; background: #fff; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border: 1px solid #d0d5dd; padding: 0.3rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #f2f4f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.pass td { background: #ecfdf3; } tr.fail td { background: #fef3f2; }
td.answer { max-width: 32rem; } ul.failures { margin: 0; padding-left: 1.1rem; }
.meta dt { font-weight: 600; } .meta dd { margin: 0 0 0.4rem 1rem; font-family: monospace; }
img { max-width: 100%; height: auto; } .plots { display: flex; flex-wrap: wrap; gap: 1rem; }
"""


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _metrics_chart(run: EvalRun) -> str | None:
    from matplotlib.figure import Figure

    shown = [(n, run.metrics[n]) for n in SHARE_METRICS if run.metrics.get(n) is not None]
    if not shown:
        return None
    names = [n for n, _ in shown][::-1]
    values = [float(v or 0.0) for _, v in shown][::-1]
    fig = Figure(figsize=(6.5, 0.38 * len(shown) + 0.9))
    ax = fig.add_subplot()
    ax.barh(names, values, color="#3b6fd4")
    ax.set_xlim(0, 1.08)
    for y, value in enumerate(values):
        ax.text(value + 0.01, y, f"{value:.2f}", va="center", fontsize=8)
    ax.set_title("Metrics (0–1, higher is better)", fontsize=10)
    ax.tick_params(labelsize=8)
    return _png(fig)


def _latency_chart(run: EvalRun) -> str | None:
    from matplotlib.figure import Figure

    latencies = [row.latency_ms for row in run.rows if row.latency_ms is not None]
    if not latencies:
        return None
    fig = Figure(figsize=(6.5, 3.0))
    ax = fig.add_subplot()
    ax.hist(latencies, bins=min(20, max(1, len(latencies))), color="#7a5af8", edgecolor="white")
    for name, style in (("latency_p50_ms", "--"), ("latency_p95_ms", ":")):
        value = run.metrics.get(name)
        if value is not None:
            ax.axvline(value, color="#1d2330", linestyle=style, label=f"{name} = {value:.0f}")
    ax.legend(fontsize=8)
    ax.set_xlabel("latency (ms)", fontsize=9)
    ax.set_ylabel("questions", fontsize=9)
    ax.set_title("Latency per question", fontsize=10)
    ax.tick_params(labelsize=8)
    return _png(fig)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _meta_value(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, ensure_ascii=False)


def _question_row(row: QuestionResult) -> str:
    cells = [
        f"<td>{_e(row.id)}</td>",
        f"<td>{_e(row.question)}</td>",
        f'<td class="answer">{_e(row.answer)}</td>',
        f"<td>{'yes' if row.answerable else 'no'}</td>",
        f"<td>{'yes' if row.abstained else 'no'}</td>",
    ]
    cells += [f'<td class="num">{_e(format_metric(row.metrics.get(n)))}</td>' for n in ROW_METRICS]
    cells.append(f'<td class="num">{_e(format_metric(row.latency_ms, "latency_ms"))}</td>')
    reasons = "".join(f"<li>{_e(reason)}</li>" for reason in row.failures)
    cells.append(f'<td><ul class="failures">{reasons}</ul></td>' if reasons else "<td></td>")
    status = "pass" if row.passed else "fail"
    return f'<tr class="{status}">{"".join(cells)}</tr>'


def report_html(run: EvalRun, meta: Mapping[str, Any]) -> str:
    """The self-contained HTML report: metadata, metrics, plots and the per-question table."""
    meta_items = "".join(
        f"<dt>{_e(key)}</dt><dd>{_e(_meta_value(value))}</dd>" for key, value in meta.items()
    )
    metric_rows = "".join(
        f'<tr><td>{_e(name)}</td><td class="num">{_e(format_metric(run.metrics.get(name), name))}</td>'
        f'<td class="num">{run.counts.get(name, 0)}</td></tr>'
        for name in METRIC_NAMES
    )
    plots = [
        f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'
        for alt, data in (
            ("Bar chart of the 0–1 metrics", _metrics_chart(run)),
            ("Histogram of latency per question", _latency_chart(run)),
        )
        if data is not None
    ]
    headers = ["id", "question", "answer", "answerable", "abstained", *ROW_METRICS]
    header_cells = "".join(f"<th>{_e(h)}</th>" for h in [*headers, "latency", "failures"])
    body = "".join(_question_row(row) for row in run.rows)
    passed = sum(row.passed for row in run.rows)
    failed = run.n_questions - passed
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Evaluation report</title>
<style>{_CSS}</style>
</head>
<body>
<h1>Evaluation report</h1>
<p>{run.n_questions} questions: {passed} passed, {failed} failed (k = {run.k}).</p>
<dl class="meta">{meta_items}</dl>
<h2>Metrics</h2>
<table><thead><tr><th>metric</th><th>value</th><th>n</th></tr></thead>
<tbody>{metric_rows}</tbody></table>
<div class="plots">{"".join(plots)}</div>
<h2>Questions</h2>
<table><thead><tr>{header_cells}</tr></thead>
<tbody>{body}</tbody></table>
</body>
</html>
"""
