"""Record the shipped state of the kata in kata/manifest.json (read by kata/shipped.py):
the hashes of the check and data files, the names of every stub, the ids of the checks
each check file holds (so that the grader knows what a child must report, without asking it),
and for every check the scored item it counts for and whether it is a value check (so that
the grader scores from the shipped markers, never from what a child says about them).

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


def collected(root: Path = ROOT) -> list[dict[str, Any]]:
    """Every check as pytest collects it: {"file", "id", "about", "module", "value"}, the
    file relative to checks/ and the id as the child reports it.

    Collection imports the check files, never an implementation: the ids come from the
    checks' names and parameters alone, the rest from their `about` markers.
    """
    proc = subprocess.run(
        [sys.executable, "-c", "from kata.authoring.manifest import _collect; _collect()"],
        cwd=root,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    marker = "KATA-CHECKS "
    (line,) = [line for line in proc.stdout.splitlines() if line.startswith(marker)]
    found: list[dict[str, Any]] = json.loads(line.removeprefix(marker))
    return found


def _collect() -> None:
    """In the child of `collected`: collect the checks, print them as one JSON line."""
    import pytest

    class Collector:
        def __init__(self) -> None:
            self.found: list[dict[str, Any]] = []

        def pytest_collection_finish(self, session: Any) -> None:
            for item in session.items:
                path, sep, check_id = item.nodeid.partition("::")
                if not (sep and path.startswith("checks/")):
                    continue
                about = next(iter(item.iter_markers(name="about")), None)
                self.found.append(
                    {
                        "file": path.removeprefix("checks/"),
                        "id": check_id,
                        "about": about.args[0] if about and about.args else None,
                        "module": about.kwargs.get("module") if about else None,
                        "value": about.kwargs.get("value", True) if about else True,
                    }
                )

    collector = Collector()
    code = pytest.main(
        ["--collect-only", "-q", "-p", "no:cacheprovider", "checks", "--impl=exercises"],
        plugins=[collector],
    )
    if code != 0:
        raise SystemExit(f"collecting the checks failed (pytest exit {code})")
    print("KATA-CHECKS " + json.dumps(collector.found))


def check_ids(found: list[dict[str, Any]]) -> dict[str, list[str]]:
    """{check file: [check ids as the child reports them]}."""
    ids: dict[str, list[str]] = {}
    for check in found:
        ids.setdefault(check["file"], []).append(check["id"])
    return ids


def scoring(found: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """{check file: {check id: {"item": the scored item's name (kata/stages.py) or None,
    "value": whether it is a value check}}}."""
    stage_of = {part.check_file: stage for stage in STAGES for part in stage.parts}
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for check in found:
        stage = stage_of.get(check["file"])
        item = stage.item_for(check["file"], check["about"]) if stage and check["about"] else None
        table.setdefault(check["file"], {})[check["id"]] = {
            "item": item.name if item else None,
            "value": bool(check["value"]),
        }
    return table


def build(root: Path = ROOT) -> dict[str, Any]:
    found = collected(root)
    return {
        "files": shipped.hashes(root),
        "stubs": stub_names(),
        "checks": check_ids(found),
        "scoring": scoring(found),
    }


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
