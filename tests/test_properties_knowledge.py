"""A hypothesis state machine over the knowledge base: any sequence of uploads, edits, removals
and killed writes ends, after each completed write, with the store, registry and BM25 in step,
and with exactly the chunks a clean ingest of the surviving documents would have."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from assistant.config import load_settings
from assistant.documents.loaders import load_bytes
from assistant.index.bm25 import fingerprint
from assistant.knowledge import KnowledgeBase
from assistant.runtime import Runtime
from assistant.testing import FakeEmbedder, InMemoryStore
from assistant.types import DocumentRecord

NAMES = st.sampled_from(["alpha.md", "beta.md", "gamma.txt", "delta.md"])
WORD = st.sampled_from(["yen", "tariff", "alliance", "budget", "Tokyo", "Quad", "ship", "2027"])
TEXT = st.lists(
    st.lists(WORD, min_size=3, max_size=60).map(lambda ws: " ".join(ws) + "."),
    min_size=1,
    max_size=6,
).map(lambda paras: "\n\n".join(paras))


def new_kb() -> KnowledgeBase:
    data = Path(tempfile.mkdtemp(prefix="kb-state-"))
    runtime = Runtime(
        load_settings(data_dir=data, chunk_size=120),
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
    )
    return runtime.knowledge


class KnowledgeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.kb = new_kb()
        self.model: dict[str, str] = {}  # upload name -> the text indexed for it
        self.crashed: tuple[str, str, bool] | None = None  # (name, text, all chunks stored)
        self.crashes = 0

    def _record(self, name: str) -> DocumentRecord | None:
        return next((r for r in self.kb.documents() if r.path == f"upload/{name}"), None)

    def _settle_crash(self) -> None:
        if self.crashed is not None:
            name, text, complete = self.crashed
            if complete:
                self.model[name] = text
            self.crashed = None

    @rule(name=NAMES, text=TEXT)
    def upload(self, name: str, text: str) -> None:
        self._settle_crash()  # a write settles other documents' notes first
        report = self.kb.ingest_bytes([(name, text.encode())])
        (result,) = report.results
        twin = next((n for n, t in self.model.items() if t == text and n != name), None)
        if twin is None:
            assert result.status in ("added", "updated", "unchanged"), result
            self.model[name] = text
        else:  # the same text under another name is not added twice; the old version stays
            assert result.status == "unchanged" and result.reason.startswith("duplicate of")

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.model)))
        self._settle_crash()
        record = self._record(name)
        assert record is not None
        self.kb.remove(record.document_id)
        self.model.pop(name)

    @precondition(lambda self: self.crashed is None)
    @rule(name=NAMES, text=TEXT, keep=st.integers(min_value=0, max_value=5))
    def killed_upload(self, name: str, text: str, keep: int) -> None:
        """What a SIGKILL during an upload leaves: the note and some of the new chunks."""
        self.crashes += 1
        text = f"{text}\n\ncrash {self.crashes}."  # never a duplicate (that writes no note)
        doc = load_bytes(text.encode(), name, source=f"upload/{name}")
        item = self.kb.prepare(name, doc)
        existing = self.kb.store.ids(item.document_id)
        wanted = [c.chunk_id for c in item.chunks]
        record = DocumentRecord(
            item.document_id,
            doc.title,
            doc.source,
            doc.doc_type,
            item.sha256,
            len(item.chunks),
            "t",
            "t",
        )
        self.kb.registry.begin(item.document_id, record, existing, wanted)
        missing = [c for c in item.chunks if c.chunk_id not in existing]
        new = missing[:keep]
        if new:
            self.kb.store.add(new, self.kb.embedder.embed([c.text for c in new]))
        self.crashed = (name, text, len(new) == len(missing))

    @precondition(lambda self: self.crashed is not None)
    @rule()
    def doctor_repair(self) -> None:
        with self.kb.locked():
            self.kb.recover()
            self.kb.sync_bm25()
        self._settle_crash()

    @invariant()
    def indexes_agree(self) -> None:
        if self.crashed is not None:
            return
        kb = self.kb
        ids = kb.store.ids()
        records = kb.documents()
        assert kb.registry.pending() == []
        assert sum(r.chunks for r in records) == len(ids)
        for r in records:
            assert len(kb.store.ids(r.document_id)) == r.chunks
        assert kb.bm25().fingerprint == fingerprint(ids)
        assert {r.path for r in records} == {f"upload/{n}" for n in self.model}
        for name, text in self.model.items():
            record = self._record(name)
            assert record is not None
            doc = load_bytes(text.encode(), name, source=f"upload/{name}")
            item = kb.prepare(name, doc)
            assert kb.store.ids(record.document_id) == {c.chunk_id for c in item.chunks}


KnowledgeMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestKnowledgeMachine = KnowledgeMachine.TestCase
