"""A test hook at the phase boundaries of a write (tests/test_crash_ingest.py).

ASSISTANT_TEST_PAUSE_AT=<phase>[:<n>] makes the n-th arrival (default the 1st) at a named phase
boundary of a write append "<phase> <n> <detail>" to the file ASSISTANT_TEST_PAUSE_FILE and then
sleep, so that a test can SIGKILL the process exactly there. Phases: "parse" (before loading each
file), "embed" (before each group's encode call), "upsert" (the group's write-ahead notes are
open, before its store upsert), "registry" (before each document's registry commit), "bm25"
(index rebuilt, before it is saved). Read once at import; unset, a boundary costs one test.
"""

from __future__ import annotations

import os
import time

PAUSE_AT = os.environ.get("ASSISTANT_TEST_PAUSE_AT", "")
_arrivals: dict[str, int] = {}


def pause(phase: str, detail: object = "") -> None:
    """The hook above; does nothing unless ASSISTANT_TEST_PAUSE_AT is set."""
    if not PAUSE_AT:
        return
    wanted, _, nth = PAUSE_AT.partition(":")
    arrival = _arrivals[phase] = _arrivals.get(phase, 0) + 1
    if phase != wanted or arrival != int(nth or 1):
        return
    with open(os.environ["ASSISTANT_TEST_PAUSE_FILE"], "a", encoding="utf-8") as marker:
        marker.write(f"{phase} {arrival} {detail}\n")
    time.sleep(float(os.environ.get("ASSISTANT_TEST_PAUSE_SECONDS", "600")))
