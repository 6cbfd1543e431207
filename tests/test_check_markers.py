"""Every check says which of the learner's functions it is about, with
`@pytest.mark.about(name, says=..., module=None)`, and that function exists; checks/conftest.py
refuses to run a check that does not say it. `says` is the clause of that function's
docstring that the check enforces: it must be there, word for word, in the generated stub
(exercises/) and in the stage's notebook, so that no check enforces what the learner was
never told."""

import ast
import json
import re
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


def normalised(text):
    """Whitespace collapsed, case folded: how a clause is looked up in a docstring."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def docstrings(tree):
    """{name: the docstrings a learner reads for it} over a module's top-level functions
    and classes: a function's own; a method's own and its class's."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = ast.get_docstring(node) or ""
        if isinstance(node, ast.ClassDef):
            found[node.name] = ast.get_docstring(node) or ""
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found[f"{node.name}.{item.name}"] = (
                        (ast.get_docstring(item) or "") + "\n" + found[node.name]
                    )
    return found


def stub_docstrings(module):
    """docstrings() of exercises/<module>.py."""
    path = ROOT / "exercises" / f"{module}.py"
    return docstrings(ast.parse(path.read_text(encoding="utf-8")))


def notebook_docstrings(module):
    """docstrings() over the code cells of the stage's notebook."""
    (path,) = (ROOT / "notebooks").glob(f"{BY_NAME[module].number}_*.ipynb")
    found = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse("".join(cell["source"]))
        except SyntaxError:  # a cell with notebook magics defines nothing we look up
            continue
        found.update(docstrings(tree))
    return found


def marker_of(file, module, check):
    """(function name, says, module) of a check's about marker."""
    (marker,) = about_markers(check)
    keywords = {k.arg: k.value.value for k in marker.keywords}
    return marker.args[0].value, keywords.get("says"), keywords.get("module", module)


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
    assert set(keywords) <= {"module", "says", "value"}
    assert keywords.get("value", True) in (True, False), (
        f"{file}::{check.name}: value= is True or False, written as a constant"
    )
    assert isinstance(keywords.get("says"), str) and keywords["says"].strip(), (
        f'{file}::{check.name}: the about marker needs says="<the docstring clause it enforces>"'
    )
    module = keywords.get("module", module)
    assert module in BY_NAME, f"{file}::{check.name}: {module!r} is not a stage module"
    assert name in definitions(module), (
        f"{file}::{check.name} is about {name!r}, which solutions/{module}.py does not define "
        "(a top-level function, or Class.method of a top-level class)"
    )


@pytest.mark.parametrize(
    "file, module, check", CHECKS, ids=[f"{file}::{check.name}" for file, _, check in CHECKS]
)
def test_check_enforces_a_clause_the_learner_can_read(file, module, check):
    name, says, module = marker_of(file, module, check)
    clause = normalised(says or "")
    assert clause, f"{file}::{check.name} names no clause (says=...)"
    for where, found in (
        (f"exercises/{module}.py", stub_docstrings(module)),
        (f"the notebook of stage {BY_NAME[module].number}", notebook_docstrings(module)),
    ):
        assert clause in normalised(found.get(name, "")), (
            f"{file}::{check.name} enforces {says!r}, which the docstring of {name} in "
            f"{where} does not say: write it into solutions/{module}.py's docstring and "
            "run python -m kata.authoring sync (or relax the check)"
        )


def test_the_error_rule_is_stated_where_learners_read_it():
    """The contract's rule for bad input, once, in stage 1's module docstring (stub and
    notebook) and in the README's learner section."""
    rule = normalised("names the argument")
    stub = ast.get_docstring(
        ast.parse((ROOT / "exercises" / "shapes.py").read_text(encoding="utf-8"))
    )
    assert rule in normalised(stub or "")
    notebook = json.loads((ROOT / "notebooks" / "1_shapes.ipynb").read_text(encoding="utf-8"))
    markdown = " ".join(
        "".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"
    )
    assert rule in normalised(markdown)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    learners = readme.split("## For instructors")[0]
    assert rule in normalised(learners)


def raises_sections():
    """(where, text) of every `Raises:` section in the stage modules' docstrings."""
    for path in sorted((ROOT / "solutions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                doc = ast.get_docstring(node) or ""
                if "Raises:" in doc:
                    section = doc.split("Raises:", 1)[1].split("\n\n", 1)[0]
                    yield f"{path.name}:{node.name}", normalised(section)


@pytest.mark.parametrize("where, section", list(raises_sections()))
def test_every_raises_section_follows_the_error_rule(where, section):
    """Each error a docstring promises names its argument, or is another function's."""
    refers = "raises" in section or section.startswith("as ")  # another function's errors
    assert "naming" in section or refers, (
        f"{where}: its Raises section should say which argument the message names: {section!r}"
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

        @pytest.mark.about("as_batch", says="array (1, D) for a 1-D input")
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
        (
            '@pytest.mark.about("as_batch", says="x")\n@pytest.mark.about("one_hot", says="x")',
            "2 about markers",
        ),
        ('@pytest.mark.abuot("as_batch", says="x")', "no about marker"),
        ('@pytest.mark.about("as_batch", says="x", modul="shapes")', "accepts only says="),
        ('@pytest.mark.about(says="x")', "should name one function"),
        ('@pytest.mark.about("as_batch")', "needs says="),
        ('@pytest.mark.about("as_batch", says="  ")', "needs says="),
        ('@pytest.mark.about("as_batch", says="x", value="no")', "accepts only says="),
    ],
    ids=[
        "missing",
        "twice",
        "misspelt",
        "bad-keyword",
        "no-name",
        "no-clause",
        "blank-clause",
        "bad-value",
    ],
)
def test_conftest_refuses_a_check_without_one_good_marker(tmp_path, decorators, problem):
    source = (
        'import pytest\n\nSTAGE_MODULE = "shapes"\n\n'
        + decorators
        + (
            "\ndef test_as_batch_checked(impl):\n    pass\n\n\n"
            '@pytest.mark.about("as_batch", says="x")\ndef test_as_batch_fine(impl):\n    pass\n'
        )
    )
    proc = run_pytest_on(tmp_path, source)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    assert "test_made_up.py::test_as_batch_checked" in proc.stderr, proc.stderr
    assert problem in proc.stderr
    assert "test_as_batch_fine" not in proc.stderr
