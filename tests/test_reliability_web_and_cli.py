"""The web chat serving while the command line writes to the same data directory.

The app is served in this process (real model, embedded Chroma); `assistant ingest` and
`assistant sources remove` run as separate processes on the same data directory. The chat must
answer from the new document without a restart, survive its removal, and a web upload must not
keep the CLI out afterwards (the write lock used to stay held after the first write).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ui_helpers import NEW_DOC, NEW_DOC_NAME, NEW_DOC_QUESTION, real_runtime_copy, serving

pytestmark = pytest.mark.integration


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env={**os.environ, "ASSISTANT_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def cited(answer: dict[str, Any]) -> set[str]:
    return {c["title"] for c in answer.get("citations", [])}


def test_chat_sees_cli_writes_and_cli_is_not_locked_out_by_uploads(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, real_kb_dir: Path, real_embedder: Any
) -> None:
    from gradio_client import Client

    runtime = real_runtime_copy(tmp_path_factory, real_kb_dir, real_embedder)
    data = runtime.settings.data_dir
    with serving(runtime) as url:
        chat = Client(url, verbose=False)
        before = chat.predict(NEW_DOC_QUESTION, [], api_name="/ask")
        assert "error" not in before and not any("Kestrel" in t for t in cited(before))

        # a web upload first: afterwards the CLI must still get the write lock at once
        upload = chat.predict(
            "upload-note.md",
            base64.b64encode(
                b"# Upload note\n\nThe upload note mentions steel tariffs in Osaka.\n"
            ).decode(),
            api_name="/upload",
        )
        assert upload["results"][0]["status"] == "added", upload

        doc = tmp_path / NEW_DOC_NAME
        doc.write_bytes(NEW_DOC)
        added = cli(data, "ingest", str(doc))
        assert added.returncode == 0, added.stderr

        after = chat.predict(NEW_DOC_QUESTION, [], api_name="/ask")
        assert "error" not in after, after
        assert any("Kestrel" in t for t in cited(after)), after  # no restart needed
        assert "Nagoya" in after["answer"]

        listed = cli(data, "sources", "list", "--json")
        doc_id = next(
            row["document_id"] for row in json.loads(listed.stdout) if "Kestrel" in row["title"]
        )
        removed = cli(data, "sources", "remove", doc_id)
        assert removed.returncode == 0, removed.stderr

        gone = chat.predict(NEW_DOC_QUESTION, [], api_name="/ask")
        assert "error" not in gone, gone
        assert not any("Kestrel" in t for t in cited(gone))
        usual = chat.predict("When was the alliance upgraded?", [], api_name="/ask")
        assert "error" not in usual and usual["citations"], usual
