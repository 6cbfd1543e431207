"""Every check says which of the learner's functions it is about, with
`@pytest.mark.about(name, module=None)`, and that function exists; checks/conftest.py
refuses to run a check that does not say it."""

import ast
import subprocess
import sys
import textwrap

import pytest

from kata.stages import BY_NAME, CHECKS_DIR, ROOT

CHECK_FILES = sorted(CHECKS_DIR.glob("test_*.py"))


def stage_module(tree):
    """The value of a check file's `STAGE_MODULE = "..."`."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["STAGE_MODULE"]:
            return node.value.value
    return None


def about_markers(function):
    """The `pytest.mark.about(...)` decorators of a function, as ast.Call nodes."""
    return [
        d
        for d in function.decorator_list
        if isinstance(d, ast.Call) and ast.unparse(d.func) == "pytest.mark.about"
    ]


def all_checks():
    """(check file name, STAGE_MODULE, the check's ast.FunctionDef) for every check."""
    for path in CHECK_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                yield path.name, stage_module(tree), node


def definitions(module):
    """The names an `about` marker may use for solutions/<module>.py: its top-level
    functions, and "Class.method" for the methods of its top-level classes."""
    tree = ast.parse((ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef)
            )
    return names


CHECKS = list(all_checks())


def test_every_check_file_is_seen():
    assert len(CHECK_FILES) >= 9 and len(CHECKS) > 150
    assert all(module in BY_NAME for _, module, _ in CHECKS)


@pytest.mark.parametrize(
    "file, module, check", CHECKS, ids=[f"{file}::{check.name}" for file, _, check in CHECKS]
)
def test_check_is_about_a_function_of_a_stage_module(file, module, check):
    markers = about_markers(check)
    assert len(markers) == 1, f"{file}::{check.name} has {len(markers)} about markers"
    assert ast.unparse(check.decorator_list[0].func) == "pytest.mark.about", (
        f"{file}::{check.name}: the about marker goes first, above the other decorators"
    )
    marker = markers[0]
    assert len(marker.args) == 1 and isinstance(marker.args[0], ast.Constant)
    name = marker.args[0].value
    keywords = {k.arg: k.value.value for k in marker.keywords}
    assert set(keywords) <= {"module"}
    module = keywords.get("module", module)
    assert module in BY_NAME, f"{file}::{check.name}: {module!r} is not a stage module"
    assert name in definitions(module), (
        f"{file}::{check.name} is about {name!r}, which solutions/{module}.py does not define "
        "(a top-level function, or Class.method of a top-level class)"
    )


def run_pytest_on(tmp_path, source):
    """pytest on one check file written to tmp_path, with checks/conftest.py as a plugin."""
    path = tmp_path / "test_made_up.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "checks.conftest",
            "-p",
            "no:cacheprovider",
            str(path),
            "--impl",
            "solutions",
            "-q",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=120,
    )


def test_conftest_runs_a_check_with_its_marker(tmp_path):
    proc = run_pytest_on(
        tmp_path,
        """
        import numpy as np
        import pytest

        STAGE_MODULE = "shapes"

        @pytest.mark.about("as_batch")
        @pytest.mark.parametrize("d", [1, 2])
        def test_as_batch_marked(impl, d):
            assert impl.as_batch(np.zeros(d)).shape == (1, d)
    """,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout


@pytest.mark.parametrize(
    "decorators, problem",
    [
        ("", "no about marker"),
        ('@pytest.mark.about("as_batch")\n@pytest.mark.about("one_hot")', "2 about markers"),
        ('@pytest.mark.abuot("as_batch")', "no about marker"),
        ('@pytest.mark.about("as_batch", modul="shapes")', "accepts only module="),
        ("@pytest.mark.about()", "should name one function"),
    ],
    ids=["missing", "twice", "misspelt", "bad-keyword", "no-name"],
)
def test_conftest_refuses_a_check_without_one_good_marker(tmp_path, decorators, problem):
    source = (
        'import pytest\n\nSTAGE_MODULE = "shapes"\n\n'
        + decorators
        + (
            "\ndef test_as_batch_checked(impl):\n    pass\n\n\n"
            '@pytest.mark.about("as_batch")\ndef test_as_batch_fine(impl):\n    pass\n'
        )
    )
    proc = run_pytest_on(tmp_path, source)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    assert "test_made_up.py::test_as_batch_checked" in proc.stderr, proc.stderr
    assert problem in proc.stderr
    assert "test_as_batch_fine" not in proc.stderr
