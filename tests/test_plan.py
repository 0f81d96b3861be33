"""The ingest planner on its own: prepared documents and a snapshot in, planned writes out (no
store, registry or model)."""

from __future__ import annotations

from assistant.index.plan import PreparedDocument, Snapshot, plan_writes
from assistant.types import Chunk, Document, DocumentRecord, Paragraph


def prepared(name: str, texts: list[str], *, sha: str | None = None) -> PreparedDocument:
    text = "\n\n".join(texts)
    doc = Document(
        text=text,
        title=name.title(),
        source=f"upload/{name}",
        doc_type="md",
        paragraphs=(Paragraph(1, 0, len(text)),),
    )
    chunks = [Chunk(f"{name}-{t}", name, doc.title, doc.source, t, 0, len(t), 1, 1) for t in texts]
    return PreparedDocument(name, doc, name, sha or f"sha-{name}-{len(texts)}", chunks)


def record(item: PreparedDocument, *, sha: str | None = None) -> DocumentRecord:
    return DocumentRecord(
        item.document_id, item.document.title, item.document.source, "md",
        sha or item.sha256, len(item.chunks), "2024-01-01", "2024-01-01",
    )  # fmt: skip


def snapshot(
    records: tuple[DocumentRecord, ...] = (), stored: dict[str, set[str]] | None = None
) -> Snapshot:
    return Snapshot(
        records={r.document_id: r for r in records},
        stored={k: frozenset(v) for k, v in (stored or {}).items()},
        by_sha={r.sha256: r.document_id for r in records},
    )


def test_a_new_document_is_added_with_every_chunk_new() -> None:
    item = prepared("a", ["one", "two"])
    plan = plan_writes([item], snapshot())
    assert plan.skipped == []
    (write,) = plan.writes
    assert write.status == "added" and write.previous is None
    assert [c.chunk_id for c in write.new] == ["a-one", "a-two"]
    assert write.kept == () and write.stale == frozenset() and write.existing == frozenset()
    assert write.record("2025-05-05").added == "2025-05-05"


def test_an_unchanged_document_is_skipped_with_its_registered_chunk_count() -> None:
    item = prepared("a", ["one", "two"])
    plan = plan_writes([item], snapshot((record(item),), {"a": {"a-one", "a-two"}}))
    assert plan.writes == []
    (skip,) = plan.skipped
    assert (skip.document_id, skip.reason, skip.chunks) == ("a", "", 2)


def test_an_unchanged_document_missing_a_chunk_is_rewritten_reusing_the_rest() -> None:
    item = prepared("a", ["one", "two"])
    plan = plan_writes([item], snapshot((record(item),), {"a": {"a-one", "a-old"}}))
    (write,) = plan.writes
    assert write.status == "updated"
    assert [c.chunk_id for c in write.new] == ["a-two"]
    assert [c.chunk_id for c in write.kept] == ["a-one"]
    assert write.stale == {"a-old"}
    assert write.record("2025-05-05").added == "2024-01-01"  # kept from the registry row


def test_duplicates_of_registered_or_earlier_documents_are_skipped() -> None:
    old = prepared("old", ["same"], sha="S")
    again = prepared("again", ["same"], sha="S")
    first = prepared("first", ["fresh"], sha="F")
    second = prepared("second", ["fresh"], sha="F")
    plan = plan_writes([again, first, second], snapshot((record(old),), {"old": {"old-same"}}))
    assert [(s.item.name, s.reason) for s in plan.skipped] == [
        ("again", "duplicate of old"),
        ("second", "duplicate of first"),
    ]
    assert [w.item.name for w in plan.writes] == ["first"]


def test_a_document_named_twice_is_planned_once() -> None:
    item = prepared("a", ["one"])
    plan = plan_writes([item, item], snapshot())
    assert len(plan.writes) == 1 and plan.skipped == []


def test_a_changed_document_keeps_its_own_id_even_when_its_digest_is_registered() -> None:
    item = prepared("a", ["one", "two"], sha="S")
    registered = record(item)
    plan = plan_writes([item], snapshot((registered,), {"a": {"a-one"}}))
    (write,) = plan.writes
    assert write.status == "updated" and [c.chunk_id for c in write.new] == ["a-two"]
