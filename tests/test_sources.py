"""One source of truth: exercises/ is generated from solutions/, nothing drifts, and the
learner's stubs expose exactly the reference's public API."""

import ast
import subprocess
import sys

import pytest

from kata import shipped
from kata.authoring import manifest, stubgen
from kata.markers import MarkerError, stub_statement
from kata.stages import ROOT, STAGES


def public_api(path):
    """{name: signature} of a module's public functions, classes and their methods."""
    api = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            api[node.name] = ast.unparse(node.args)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            api[node.name] = "class"
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and (
                    not item.name.startswith("_") or item.name == "__init__"
                ):
                    api[f"{node.name}.{item.name}"] = ast.unparse(item.args)
    return api


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_exercises_expose_exactly_the_solutions_api(stage):
    solution = public_api(ROOT / "solutions" / stage.module_file)
    exercise = public_api(ROOT / "exercises" / stage.module_file)
    assert exercise == solution


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_every_stub_names_its_stage_and_function(stage):
    source = (ROOT / "exercises" / stage.module_file).read_text(encoding="utf-8")
    names = manifest.stub_names()[str(stage.number)]
    assert names, f"solutions/{stage.module_file} has no marked region"
    for name in names:
        assert stub_statement(stage.number, name) in source


def test_exercises_have_not_drifted_from_solutions():
    assert stubgen.drift() == [], "run  python -m kata.authoring sync"


def test_manifest_is_current():
    assert manifest.build() == shipped.load(), "run  python -m kata.authoring sync"


def test_nothing_differs_from_the_shipped_checks_and_data():
    assert shipped.tampered() == []


def test_drift_check_command_reports_drift(tmp_path):
    (tmp_path / "shapes.py").write_text("# edited by hand\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "kata.authoring.stubgen", "--check", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    assert proc.returncode == 1
    assert "drifted" in proc.stdout


@pytest.mark.parametrize(
    "source, problem",
    [
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "never closed"),
        ("def f():\n    return 1\n    ### END SOLUTION\n", "without a"),
        (
            "def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 1\n"
            "    ### END SOLUTION\n    ### END SOLUTION\n",
            "do not nest",
        ),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "outside any function"),
    ],
)
def test_malformed_markers_are_errors_with_file_and_line(source, problem):
    with pytest.raises(MarkerError, match=problem) as info:
        stubgen.generate_stub(source, "solutions/demo.py", 9)
    assert "solutions/demo.py:" in str(info.value)


def test_stub_generation_keeps_indentation_and_names_methods():
    source = (
        'class Model:\n    def loss(self, x):\n        """Doc."""\n'
        "        ### BEGIN SOLUTION\n        return x\n        ### END SOLUTION\n"
    )
    stub = stubgen.generate_stub(source, "demo.py", 5)
    assert "        " + stub_statement(5, "Model.loss") in stub
    assert '"""Doc."""' in stub and "return x" not in stub


def test_sync_check_reports_everything_generated_is_current():
    """`python -m kata.authoring sync --check`: exercises, notebooks and manifest, one command."""
    proc = subprocess.run(
        [sys.executable, "-m", "kata.authoring", "sync", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("up to date") + proc.stdout.count("matches") == 3, proc.stdout


def test_every_look_cell_has_its_look():
    from kata.authoring.notebooks import LOOK_STAGES
    from kata.notebook.plots import LOOKS

    assert tuple(sorted(LOOKS)) == LOOK_STAGES
