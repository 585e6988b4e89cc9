"""The province's tables of criteria, kept in the data folder by content hash.

`ocop admin criteria load FILE` checks a table (`models.criteria.CriteriaSet`) and keeps
it as `criteria/<sha256>.json`, with `criteria/<id>.current` naming the latest content
of its id. Opening a cycle pins each table it names to the digest current then; its
cases are started with that content, read back and checked against the digest, so a
table edited or loaded again later never changes a running cycle's scoring.
"""

from __future__ import annotations

import json
from pathlib import Path

from models.criteria import CriteriaSet, TableRef, criteria_set_from_table, table_digest
from models.errors import DomainError


class CriteriaStore:
    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "criteria"

    def save(self, table: CriteriaSet) -> TableRef:
        """Keep the table; it becomes its id's current content."""
        self.folder.mkdir(parents=True, exist_ok=True)
        digest = table_digest(table)
        content = self.folder / f"{digest}.json"
        if not content.exists():
            content.write_text(table.model_dump_json(indent=2), encoding="utf-8")
        (self.folder / f"{table.id}.current").write_text(digest, encoding="ascii")
        return TableRef(id=table.id, sha256=digest)

    def current(self, table_id: str) -> TableRef | None:
        pointer = self.folder / f"{table_id}.current"
        if not pointer.is_file():
            return None
        return TableRef(id=table_id, sha256=pointer.read_text(encoding="ascii").strip())

    def tables(self) -> list[TableRef]:
        found = (self.current(path.stem) for path in sorted(self.folder.glob("*.current")))
        return [ref for ref in found if ref is not None]

    def pinned(self, refs: tuple[TableRef, ...]) -> tuple[TableRef, ...]:
        """Each ref with the digest of its id's current content (a pinned one kept)."""
        out: list[TableRef] = []
        for ref in refs:
            current = ref if ref.sha256 else self.current(ref.id)
            if current is None:
                raise DomainError(
                    f"criteria_tables: bảng tiêu chí {ref.id!r} chưa được nạp — table "
                    f"{ref.id!r} is not loaded; load it with `ocop admin criteria load FILE`"
                )
            out.append(current)
        return tuple(out)

    def load(self, ref: TableRef) -> CriteriaSet:
        """The pinned content, checked against its digest."""
        path = self.folder / f"{ref.sha256}.json"
        if ref.sha256 is None or not path.is_file():
            raise DomainError(f"criteria table {ref.id} ({ref.sha256}) is not in {self.folder}")
        table = criteria_set_from_table(json.loads(path.read_text(encoding="utf-8")))
        if table_digest(table) != ref.sha256 or table.id != ref.id:
            raise DomainError(f"criteria table file {path} does not match its digest")
        return table
