"""The shipped state of the kata, recorded once: SHA-256 of every check and data file, and
the names of every stub. The grader compares against it to say when results are not
comparable (a check or data file was edited), and to recognise an untouched stage without
running it.

    python -m kata.manifest           # rewrite kata/manifest.json
    python -m kata.manifest --check   # exit 1 if it is out of date
"""

import argparse
import hashlib
import json
import sys

from kata.stages import ROOT, STAGES

MANIFEST = ROOT / "kata" / "manifest.json"
GUARDED = ("checks", "data")
GUARDED_SUFFIXES = {".py", ".gz"}


def guarded_files(root=ROOT):
    for folder in GUARDED:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in GUARDED_SUFFIXES and "__pycache__" not in path.parts:
                yield path.relative_to(root).as_posix(), path


def hashes(root=ROOT):
    return {rel: hashlib.sha256(path.read_bytes()).hexdigest() for rel, path in guarded_files(root)}


def stub_names(solutions_dir=ROOT / "solutions"):
    """{stage number: [qualified names of the functions a learner writes]}, from the markers."""
    from kata.stubgen import marked_functions

    names = {}
    for stage in STAGES:
        path = solutions_dir / stage.module_file
        if not path.exists():
            continue
        found = [name for _, _, name in marked_functions(path.read_text(), str(path))]
        names[str(stage.number)] = found
    return names


def build():
    return {"files": hashes(), "stubs": stub_names()}


def load():
    try:
        return json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return {"files": {}, "stubs": {}}


def tampered(root=ROOT):
    """["checks/test_3_activations.py (changed)", ...] against the shipped hashes."""
    shipped = load()["files"]
    now = hashes(root)
    report = [f"{rel} (changed)" for rel in sorted(shipped) if rel in now and now[rel] != shipped[rel]]
    report += [f"{rel} (missing)" for rel in sorted(shipped) if rel not in now]
    report += [f"{rel} (added)" for rel in sorted(now) if rel not in shipped]
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m kata.manifest")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    fresh = json.dumps(build(), indent=1, sort_keys=True) + "\n"
    if args.check:
        current = MANIFEST.read_text() if MANIFEST.exists() else ""
        if current != fresh:
            print("kata/manifest.json is out of date: run  python -m kata.manifest")
            return 1
        print("kata/manifest.json is up to date")
        return 0
    MANIFEST.write_text(fresh)
    print(f"wrote {MANIFEST.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
