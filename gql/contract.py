"""The trusted-documents manifest: every operation of frontend-contract/operations by its hash.

The id of a document is "sha256:" + the SHA-256 (hex) of the file's exact bytes, so a client
can compute it from the same file it sends and a changed document gets a new id.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ROOT / "frontend-contract" / "operations"
MANIFEST = Path(__file__).resolve().parent / "data" / "trusted-documents.json"


def document_id(text: str) -> str:
    """The manifest id of a document: "sha256:<hex>" of its UTF-8 text."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_manifest(operations: Path = OPERATIONS) -> dict[str, str]:
    """id -> document for every .graphql file in `operations`, in file-name order."""
    files = sorted(operations.glob("*.graphql"))
    if not files:
        raise FileNotFoundError(f"no .graphql documents in {operations}")
    manifest: dict[str, str] = {}
    for path in files:
        # Bytes, not text mode: newlines stay exactly as stored in the file.
        text = path.read_bytes().decode("utf-8")
        manifest[document_id(text)] = text
    return manifest


def render_manifest(manifest: dict[str, str]) -> bytes:
    """The manifest file: JSON with sorted ids, one per line, ending in a newline."""
    return orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def write_manifest(operations: Path = OPERATIONS, target: Path = MANIFEST) -> int:
    """Write the manifest built from `operations` to `target`; returns the number of documents."""
    manifest = build_manifest(operations)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(render_manifest(manifest))
    return len(manifest)


def operation_costs(operations: Path = OPERATIONS) -> list[tuple[str, int, int, int]]:
    """(name, cost with the defaults, cost with every `first` at 100, fields) of each
    operation: what the cost limit (gql/schema/limits.py) judges."""
    from graphql import parse

    from gql.schema.limits import count_document
    from gql.schema.root import executor

    run = executor()
    rows = []
    for path in sorted(operations.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        prepared = run.prepare(text, None)
        variables = {
            d.variable.name.value: 100
            for d in getattr(prepared.document.definitions[0], "variable_definitions", ()) or ()
        }
        fields = count_document(parse(text)).fields
        rows.append((path.stem, prepared.cost.cost(None), prepared.cost.cost(variables), fields))
    return rows


def render_operation_costs(rows: list[tuple[str, int, int, int]]) -> str:
    """The Markdown table of frontend-contract/README.md."""
    lines = [
        "| operation | items (defaults) | items (every `first` 100) | fields |",
        "|---|--:|--:|--:|",
    ]
    lines += [f"| {name} | {low} | {high} | {fields} |" for name, low, high, fields in rows]
    return "\n".join(lines) + "\n"
