"""Offline evaluation: question sets, metrics, the runner that asks them, and the reports."""

from assistant.evaluation.metrics import METRIC_NAMES, ExpectedSource
from assistant.evaluation.questions import EvalItem, load_question_set
from assistant.evaluation.report import check_minimums, compare, format_comparison, write_reports
from assistant.evaluation.runner import EvalRun, QuestionResult, run_eval

__all__ = [
    "METRIC_NAMES",
    "EvalItem",
    "EvalRun",
    "ExpectedSource",
    "QuestionResult",
    "check_minimums",
    "compare",
    "format_comparison",
    "load_question_set",
    "run_eval",
    "write_reports",
]
