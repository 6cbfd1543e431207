"""The kata as it was shipped, recorded in kata/manifest.json: SHA-256 of every check and
data file, the names of the functions each stage's stubs leave to the learner, and for every
check the scored item it counts for and whether it is a value check.

The grader reads it to say when results are not comparable (a check or data file was
edited) and to recognise an untouched stage without running it. The instructor's tool
kata/authoring/manifest.py writes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kata.stages import ROOT

MANIFEST = ROOT / "kata" / "manifest.json"
GUARDED = ("checks", "data")
GUARDED_SUFFIXES = {".py", ".gz"}


def guarded_files(root: Path = ROOT) -> Iterator[tuple[str, Path]]:
    """(path relative to root, path) of every file whose change makes results incomparable."""
    for folder in GUARDED:
        for path in sorted((root / folder).rglob("*")):
            if (
                path.is_file()
                and path.suffix in GUARDED_SUFFIXES
                and "__pycache__" not in path.parts
            ):
                yield path.relative_to(root).as_posix(), path


def hashes(root: Path = ROOT) -> dict[str, str]:
    return {rel: file_hash(path) for rel, path in guarded_files(root)}


def file_hash(path: Path) -> str:
    """SHA-256 of the file; a source file's CRLF line endings count as LF, so that a Windows
    checkout (git's core.autocrlf) is not taken for an edited one."""
    data = path.read_bytes()
    if path.suffix == ".py":
        data = data.replace(b"\r\n", b"\n")
    return hashlib.sha256(data).hexdigest()


def load() -> dict[str, Any]:
    """The recorded manifest ({"files": {...}, "stubs": {...}}), empty when unreadable."""
    try:
        return json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"files": {}, "stubs": {}}


def stub_names(stage_number: int) -> list[str]:
    """Qualified names of the functions a learner writes in that stage, as shipped."""
    return list(load()["stubs"].get(str(stage_number), []))


def expected_checks(check_file: str) -> list[str] | None:
    """The ids of the checks in a shipped check file (None: not recorded)."""
    found = load().get("checks", {}).get(check_file)
    return list(found) if found is not None else None


def check_scoring(check_file: str) -> dict[str, tuple[str | None, bool]]:
    """{check id: (the scored item it counts for, whether it is a value check)} of a shipped
    check file, as recorded from the checks' markers (empty: not recorded)."""
    found = load().get("scoring", {}).get(check_file, {})
    return {
        check_id: (entry.get("item"), entry.get("value", True) is True)
        for check_id, entry in found.items()
        if isinstance(entry, dict)
    }


def tampered(root: Path = ROOT) -> list[str]:
    """["checks/test_3_activations.py (changed)", ...] against the shipped hashes."""
    shipped = load()["files"]
    now = hashes(root)
    report = [
        f"{rel} (changed)" for rel in sorted(shipped) if rel in now and now[rel] != shipped[rel]
    ]
    report += [f"{rel} (missing)" for rel in sorted(shipped) if rel not in now]
    report += [f"{rel} (added)" for rel in sorted(now) if rel not in shipped]
    return report
