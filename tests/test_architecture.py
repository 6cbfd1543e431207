"""The import rules of ARCHITECTURE.md, enforced: read from the code's own imports (AST)."""

import ast
from pathlib import Path

import pytest

from kata.stages import ROOT

PIPELINE = "kata"
AUTHORING = "kata.authoring"
# Thin `python -m kata.X` entry points that forward to an authoring tool; nothing imports them.
ENTRY_POINTS = {"kata.batch", "kata.handout"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def imports(path: Path) -> set[str]:
    """Every module `path` imports, wherever in the file (functions included), absolute."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return imported_names(path.read_text(encoding="utf-8"), package)


def imported_names(source: str, package: str) -> set[str]:
    found = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


def is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


KATA_MODULES = {module_name(p): p for p in python_files("kata")}
PIPELINE_MODULES = {
    name: path
    for name, path in KATA_MODULES.items()
    if not is_under(name, AUTHORING) and name not in ENTRY_POINTS
}


@pytest.mark.parametrize("name", sorted(PIPELINE_MODULES))
def test_the_pipeline_never_imports_authoring(name):
    reached = {i for i in imports(PIPELINE_MODULES[name]) if is_under(i, AUTHORING)}
    assert not reached, (
        f"{name} imports {sorted(reached)}: authoring is never imported by the pipeline"
    )


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_entry_points_are_imported_by_nothing(name):
    importers = [
        other for other, path in KATA_MODULES.items() if other != name and name in imports(path)
    ]
    assert not importers, f"{name} is an entry point; {importers} import it"


@pytest.mark.parametrize("path", python_files("checks"), ids=lambda p: p.name)
def test_checks_never_import_solutions_or_authoring(path):
    bad = {i for i in imports(path) if is_under(i, "solutions") or is_under(i, AUTHORING)}
    assert not bad, f"checks/{path.name} imports {sorted(bad)}: checks are written independently"


def test_no_import_circles_in_kata():
    graph = {
        name: {i for i in imports(path) if i in KATA_MODULES and i != name}
        for name, path in KATA_MODULES.items()
    }
    circles = []

    def visit(node, trail):
        for nxt in graph[node]:
            if nxt in trail:
                circles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in done:
                visit(nxt, [*trail, nxt])
        done.add(node)

    done: set[str] = set()
    for start in sorted(graph):
        if start not in done:
            visit(start, [start])
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_the_reader_sees_every_import():
    """Imports inside functions and relative imports count too: the rules can fail."""
    source = "def f():\n    from ..authoring import stubgen\n    import kata.authoring.batch\n"
    found = imported_names(source, "kata.notebook")
    assert "kata.authoring.stubgen" in found and "kata.authoring.batch" in found


def test_the_grader_imports_no_learner_code():
    """grader.py and the pipeline never import exercises/ or solutions/ (only kata/child.py
    loads an implementation, through kata/impl.py, in a process of its own)."""
    for name, path in {**PIPELINE_MODULES, "grader": ROOT / "grader.py"}.items():
        bad = {i for i in imports(path) if i.split(".")[0] in ("exercises", "solutions")}
        assert not bad, f"{name} imports {sorted(bad)}"


POSIX_ONLY = {"resource", "fcntl", "termios", "pwd", "grp", "posix", "pty", "tty", "syslog"}


@pytest.mark.parametrize(
    "path", [ROOT / "grader.py", *python_files("kata")], ids=lambda p: module_name(p) or "kata"
)
def test_no_posix_only_module_is_imported_at_module_level(path):
    """Windows has none of them: importing one at the top would end the grader there."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    names = {a.name.split(".")[0] for n in top if isinstance(n, ast.Import) for a in n.names}
    names |= {(n.module or "").split(".")[0] for n in top if isinstance(n, ast.ImportFrom)}
    assert not names & POSIX_ONLY, f"{path.name} imports {sorted(names & POSIX_ONLY)} at the top"
