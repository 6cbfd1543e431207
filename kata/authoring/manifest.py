"""Record the shipped state of the kata in kata/manifest.json (read by kata/shipped.py):
the hashes of the check and data files, the names of every stub, and the ids of the checks
each check file holds (so that the grader knows what a child must report, without asking it).

    python -m kata.authoring.manifest           # rewrite kata/manifest.json
    python -m kata.authoring.manifest --check   # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from kata import shipped
from kata.markers import marked_functions
from kata.stages import ROOT, STAGES


def stub_names(solutions_dir: Path = ROOT / "solutions") -> dict[str, list[str]]:
    """{stage number: [qualified names of the functions a learner writes]}, from the markers."""
    names = {}
    for stage in STAGES:
        path = solutions_dir / stage.module_file
        if path.exists():
            source = path.read_text(encoding="utf-8")
            names[str(stage.number)] = [name for _, _, name in marked_functions(source, str(path))]
    return names


def check_ids(root: Path = ROOT) -> dict[str, list[str]]:
    """{check file: [check ids as the child reports them]}, from pytest's own collection.

    Collection imports the check files, never an implementation: the ids come from the
    checks' names and parameters alone.
    """
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "checks",
            "--impl=exercises",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    ids: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        path, sep, check_id = line.partition("::")
        if sep and path.startswith("checks/"):
            ids.setdefault(path.removeprefix("checks/"), []).append(check_id)
    return ids


def build(root: Path = ROOT) -> dict[str, Any]:
    return {"files": shipped.hashes(root), "stubs": stub_names(), "checks": check_ids(root)}


def manifest_text(root: Path = ROOT) -> str:
    return json.dumps(build(root), indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kata.authoring.manifest")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    fresh = manifest_text()
    if args.check:
        current = shipped.MANIFEST.read_text(encoding="utf-8") if shipped.MANIFEST.exists() else ""
        if current != fresh:
            print("kata/manifest.json is out of date: run  python -m kata.authoring sync")
            return 1
        print("kata/manifest.json is up to date")
        return 0
    shipped.MANIFEST.write_text(fresh, encoding="utf-8", newline="\n")
    print(f"wrote {shipped.MANIFEST.relative_to(ROOT).as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
