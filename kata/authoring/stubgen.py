"""Generate the learner's stubs from the reference solutions: the one source of both.

Each region of `solutions/` marked as in kata/markers.py becomes the stub's two lines,
keeping its indentation, and everything else (docstrings, signatures, provided helpers)
as it is. Files without markers are copied unchanged.

    python -m kata.authoring.stubgen            # rewrite exercises/ from solutions/
    python -m kata.authoring.stubgen --check    # report drift, change nothing (exit 1 on drift)
"""

from __future__ import annotations

import argparse
import ast
import difflib
import sys
from pathlib import Path

from kata.markers import STUB_COMMENT, MarkerError, marked_functions, stub_statement
from kata.stages import BY_MODULE, ROOT


def generate_stub(source: str, filename: str, stage_number: int | None) -> str:
    """The learner's version of one solution module's source."""
    regions = marked_functions(source, filename)
    if not regions:
        return source
    if stage_number is None:
        raise MarkerError(f"{filename}: has markers but is not a stage module in kata/stages.py")
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    cursor = 0
    for begin, end, qualname in regions:
        indent = lines[begin - 1][: len(lines[begin - 1]) - len(lines[begin - 1].lstrip())]
        out.extend(lines[cursor : begin - 1])
        out.append(f"{indent}{STUB_COMMENT}\n")
        out.append(f"{indent}{stub_statement(stage_number, qualname)}\n")
        cursor = end
    out.extend(lines[cursor:])
    stub = "".join(out)
    ast.parse(stub, filename)  # a stub that does not parse is a bug in the markers
    return stub


def generate_all(solutions_dir: Path | str = ROOT / "solutions") -> dict[str, str]:
    """{file name: stub source} for every module of the solutions."""
    result: dict[str, str] = {}
    for path in sorted(Path(solutions_dir).glob("*.py")):
        stage = BY_MODULE.get(path.name)
        result[path.name] = generate_stub(
            path.read_text(encoding="utf-8"),
            str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
            stage.number if stage else None,
        )
    return result


def drift(
    exercises_dir: Path | str = ROOT / "exercises", solutions_dir: Path | str = ROOT / "solutions"
) -> list[str]:
    """Human-readable differences between exercises/ and what generation would write."""
    expected = generate_all(solutions_dir)
    present = {p.name for p in Path(exercises_dir).glob("*.py")}
    problems: list[str] = []
    for name in sorted(present - set(expected)):
        problems.append(f"exercises/{name} has no counterpart in solutions/")
    for name, text in expected.items():
        path = Path(exercises_dir) / name
        if not path.exists():
            problems.append(f"exercises/{name} is missing")
            continue
        actual = path.read_text(encoding="utf-8")
        if actual != text:
            diff = difflib.unified_diff(
                actual.splitlines(),
                text.splitlines(),
                f"exercises/{name} (committed)",
                f"exercises/{name} (generated)",
                lineterm="",
                n=1,
            )
            problems.append("\n".join(list(diff)[:40]))
    return problems


def write_all(
    exercises_dir: Path | str = ROOT / "exercises", solutions_dir: Path | str = ROOT / "solutions"
) -> list[str]:
    exercises_dir = Path(exercises_dir)
    exercises_dir.mkdir(parents=True, exist_ok=True)
    expected = generate_all(solutions_dir)
    for path in exercises_dir.glob("*.py"):
        if path.name not in expected:
            path.unlink()
    for name, text in expected.items():
        (exercises_dir / name).write_text(text, encoding="utf-8", newline="\n")
    return sorted(expected)


def report_drift(problems: list[str], folder: str, command: str) -> int:
    """Print a --check result; the exit status is 1 on drift."""
    for problem in problems:
        print(problem)
    if problems:
        print(f"\n{folder} has drifted from solutions/: run  {command}")
        return 1
    print(f"{folder} matches what solutions/ generates")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kata.authoring.stubgen", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    parser.add_argument("--out", default=str(ROOT / "exercises"), help="where to write the stubs")
    args = parser.parse_args(argv)
    try:
        if args.check:
            return report_drift(drift(args.out), "exercises/", "python -m kata.authoring.stubgen")
        names = write_all(args.out)
        print(f"wrote {len(names)} files to {args.out}")
        return 0
    except (MarkerError, SyntaxError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
