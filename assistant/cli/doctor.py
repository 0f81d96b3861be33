"""`assistant doctor [--repair] [--json]`: is the data directory whole; fix what can be fixed."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from assistant.cli.context import AppContext, pass_app, print_json


@click.command("doctor")
@click.option(
    "--repair", is_flag=True, help="Rebuild derived indexes from the store (no embedding)."
)
@click.option("--json", "as_json", is_flag=True, help='Print {"ok", "checks": [...]} for scripts.')
@pass_app
def command(app: AppContext, repair: bool, as_json: bool) -> None:
    """Check that the store, BM25 index and registry agree and the model loads.

    Exits 0 only when every check passes (after repairing, with --repair).
    """
    from assistant import health

    report = health.repair(app.runtime) if repair else health.check(app.runtime)
    if as_json:
        print_json(report.to_json())
    else:
        out = Console(highlight=False, soft_wrap=True)
        for line in report.repaired:
            out.print(f"repaired  {line}", markup=False)
        for c in report.checks:
            mark = "ok" if c.ok else "PROBLEM"
            out.print(f"{mark:>7}  {c.name}: {c.detail}", markup=False)
            if not c.ok and c.fix:
                out.print(f"         fix: {c.fix}", markup=False)
        out.print("all checks passed" if report.ok else "problems found", markup=False)
    if not report.ok:
        sys.exit(1)
