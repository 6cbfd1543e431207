"""Write the learner's copy of the kata: everything but what instructors keep.

    python -m kata.handout DEST

Left out: solutions/, the instructor's hidden audit cases (hidden/), the project's own
tests (the bug zoo is made of solutions), bench/, CI. The stubs and notebooks are generated
afresh from solutions/, and kata/manifest.json records the hashes of the copy's checks/ and
data/, so the grader can tell when a learner's checks no longer match the shipped ones.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from kata import shipped
from kata.authoring import manifest, notebooks, stubgen
from kata.stages import ROOT

KEPT_BY_INSTRUCTORS = {
    "solutions",
    "hidden",  # the instructor's hidden audit cases
    "tests",
    "bench",
    ".ci",
    ".git",
    ".venv",
    ".kata",
    "exercises",
    "notebooks",
}
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def write_handout(dest: Path | str) -> Path:
    dest = Path(dest).resolve()
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} exists and is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    for item in sorted(ROOT.iterdir()):
        if item.name in KEPT_BY_INSTRUCTORS or (
            item.name.startswith(".") and item.name != ".gitignore"
        ):
            continue
        if item.is_dir():
            shutil.copytree(item, dest / item.name, ignore=IGNORED)
        else:
            shutil.copy2(item, dest / item.name)
    stubgen.write_all(dest / "exercises", ROOT / "solutions")
    notebooks.write_all(dest / "notebooks")
    copy_manifest = dest / shipped.MANIFEST.relative_to(ROOT)
    copy_manifest.write_text(manifest.manifest_text(dest), encoding="utf-8", newline="\n")
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kata.handout", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("dest", help="an empty or new folder")
    args = parser.parse_args(argv)
    try:
        dest = write_handout(args.dest)
    except FileExistsError as error:
        print(f"handout: {error}", file=sys.stderr)
        return 2
    print(f"wrote the learner's copy to {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
