"""Notebooks graded like files, explained like notebooks (issue 12).

The check cell grades exactly what `python grader.py N --impl notebooks` grades (the saved
notebook), and says what differs in the kernel; the mistakes only a notebook allows (code in
a cell of one's own, IPython lines, the setup cell skipped, an import only the kernel has)
each get a message that says what to do; cells are named by their heading, never by a
number; a time-out shows the learner's line; the looks say how to get plots.
"""

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from checks import helpers
from kata import grading
from kata.authoring import notebooks
from kata.notebook import cells as notebook_cells
from kata.notebook import kernel, plots, sourcemap
from kata.stages import BY_NUMBER, ROOT, STAGES
from tests.test_notebooks import KERNEL_ENV, kernel_name

AFFINE = BY_NUMBER[2]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CELL_NUMBER = re.compile(r"\bcell \d+")  # what messages must never say


@pytest.fixture(scope="module")
def solution_sources():
    """{stage number: {exercise name: its cell's source in the solution notebook}}."""
    found = {}
    for stage in STAGES:
        text = notebooks.generate_all(stub=False)[notebook_cells.notebook_file(stage)]
        found[stage.number] = {
            notebook_cells.defined_names(c.source)[0]: c.source
            for c in nbformat.reads(text, as_version=4).cells
            if c.metadata.get("tags") == ["exercise"]
        }
    return found


def write_notebooks(folder):
    notebooks.write_all(folder)
    return folder


def edit(folder, stage, change):
    """Apply change(nb) to a stage notebook in `folder`, saved as JSON."""
    path = notebook_cells.stage_notebook(stage, folder)
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)
    return path


def exercise_index(nb, name):
    return next(
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("tags") == ["exercise"]
        and notebook_cells.defined_names(c.source)[:1] == [name]
    )


def put(name, text):
    """change(nb): the exercise cell defining `name` gets `text`."""

    def change(nb):
        nb.cells[exercise_index(nb, name)].source = text

    return change


def scratch_after(name, text):
    """change(nb): a cell of the learner's own, below the exercise cell of `name`."""

    def change(nb):
        cell = nbformat.v4.new_code_cell(text)
        cell.id = "mine"
        nb.cells.insert(exercise_index(nb, name) + 1, cell)

    return change


def grader_result(folder, monkeypatch, stage=AFFINE, **options):
    """What `python grader.py N --impl notebooks` finds, with notebooks/ being `folder`."""
    with monkeypatch.context() as patch:
        patch.setattr(grading, "resolve", lambda spec: Path(folder))
        return grading.grade("notebooks", stages=(stage,), **options)


def check_cell(folder, monkeypatch, capsys, stage=AFFINE, ran=()):
    """The check cell, run in a kernel whose folder is `folder`, after the cells `ran`
    ((source, cell id) pairs); returns (Session, what it printed)."""
    monkeypatch.chdir(folder)
    session = kernel.Session(stage)
    try:
        for source, cell_id in ran:
            session.record_cell(Info(source, cell_id))
        capsys.readouterr()
        session.check()
        shown = ANSI.sub("", capsys.readouterr().out)
    finally:
        session.close()
    return session, shown


@dataclass
class Info:
    """What IPython's pre_run_cell hands over (ExecutionInfo): the cell's text and id."""

    raw_cell: str
    cell_id: str | None = None


def summary(result):
    """Everything a learner is told about a run, as plain values."""

    def message(m):
        return (m.text, m.hint, m.location)

    return [
        (
            s.status,
            s.module_file,
            message(s.error) if s.error else None,
            s.first_stub,
            [(c.id, c.status, [message(m) for m in c.messages]) for c in s.checks],
        )
        for s in result.stages
    ], sorted(result.notices)


def every_location(result):
    return [
        m.location
        for s in result.stages
        for m in ([s.error] if s.error else []) + [m for c in s.checks for m in c.messages]
        if m.location
    ] + [s.first_stub for s in result.stages if s.first_stub]


# --- 1. the check cell grades what the grader grades -------------------------------------


RETURN_LINE = "    out = x_rows @ w + b"  # in the solution's affine_forward
HELPER = "def _check_rows(x):\n    assert x.ndim >= 2\n"


def wrong_affine(solution):
    """A realistic mistake: the bias forgotten."""
    assert RETURN_LINE in solution
    return solution.replace(RETURN_LINE, "    out = x_rows @ w")


def before_return(solution, *lines):
    """The solution with `lines` (indented as the body) just before its `out = ...`."""
    assert RETURN_LINE in solution
    return solution.replace(RETURN_LINE, "".join(f"    {t}\n" for t in lines) + RETURN_LINE)


@pytest.mark.parametrize("scenario", ["untouched", "written", "wrong", "scratch", "helper"])
def test_the_check_cell_grades_exactly_what_the_grader_grades(
    scenario, solution_sources, tmp_path, monkeypatch, capsys
):
    folder = write_notebooks(tmp_path / "nb")
    solution = solution_sources[2]["affine_forward"]
    if scenario == "written":
        edit(folder, AFFINE, put("affine_forward", solution))
    elif scenario == "wrong":
        assert wrong_affine(solution) != solution
        edit(folder, AFFINE, put("affine_forward", wrong_affine(solution)))
    elif scenario == "scratch":
        edit(folder, AFFINE, scratch_after("affine_forward", solution))
    elif scenario == "helper":
        edit(folder, AFFINE, scratch_after("affine_forward", HELPER))
        edit(folder, AFFINE, put("affine_forward", before_return(solution, "_check_rows(x)")))
    expected = grader_result(folder, monkeypatch)
    session, shown = check_cell(folder, monkeypatch, capsys)
    assert summary(session.last_result) == summary(expected)
    status = expected.stages[0].status
    assert status == {"written": "passed", "wrong": "failing", "helper": "failing"}.get(
        scenario, "not started"
    )
    assert f"Graded {notebook_cells.stage_notebook(AFFINE, folder)}" in shown or (
        "as saved, as  python grader.py 2 --impl notebooks  does" in shown
    )
    if scenario == "written":
        assert re.search(r"stage 2\s+affine\s+passed", shown), shown


def test_unsaved_code_is_said_plainly_and_not_graded(
    solution_sources, tmp_path, monkeypatch, capsys
):
    """The kernel ran the written function, the file still holds the stub: the check
    grades the file (as the grader would) and says first that the notebook is not saved."""
    folder = write_notebooks(tmp_path / "nb")
    solution = solution_sources[2]["affine_forward"]
    saved = nbformat.read(notebook_cells.stage_notebook(AFFINE, folder), as_version=4)
    cell_id = saved.cells[exercise_index(saved, "affine_forward")].id
    expected = grader_result(folder, monkeypatch)

    session, shown = check_cell(folder, monkeypatch, capsys, ran=[(solution, cell_id)])
    assert summary(session.last_result) == summary(expected)
    assert expected.stages[0].status == "not started"
    first = shown.lstrip().splitlines()[0]
    assert first.startswith("! Not saved: the `affine_forward` you ran differs from the saved")
    assert "Save (Ctrl-S) and run this cell again" in " ".join(shown.split())
    assert "cell of your own" not in shown  # the id says it was the exercise cell itself

    # Without a cell id (nbclient, some front ends) the same, and where it must go.
    _, shown = check_cell(folder, monkeypatch, capsys, ran=[(solution, None)])
    assert "! Not saved" in shown
    assert "Move it into the cell under 'Exercise: affine_forward' first" in shown

    # Saved: nothing to say.
    edit(folder, AFFINE, put("affine_forward", solution))
    _, shown = check_cell(folder, monkeypatch, capsys, ran=[(solution, cell_id)])
    assert "!" not in shown.split("NumPy neural-network kata")[0]
    assert re.search(r"stage 2\s+affine\s+passed", shown), shown


def test_code_run_from_a_cell_of_ones_own_says_what_to_move_where(
    solution_sources, tmp_path, monkeypatch, capsys
):
    folder = write_notebooks(tmp_path / "nb")
    solution = solution_sources[2]["affine_forward"]
    # A new cell, not saved yet (JupyterLab sends its id, unknown to the file).
    _, shown = check_cell(folder, monkeypatch, capsys, ran=[(solution, "new-cell-id")])
    assert (
        "! Your `affine_forward` ran from a new cell that is not saved yet, but the grader "
        "reads only the cell under 'Exercise: affine_forward': move your code there"
    ) in " ".join(shown.split())
    assert re.search(r"stage 2\s+affine\s+not started", shown)

    # Saved in a cell of one's own: the grader says it too, in the same words.
    edit(folder, AFFINE, scratch_after("affine_forward", solution))
    result = grader_result(folder, monkeypatch)
    (advice,) = [n for n in result.notices if "affine_forward" in n]
    assert "your `affine_forward` is in a cell of your own (below 'Exercise: affine_forward'" in (
        advice
    )
    assert "the grader reads only the cell under 'Exercise: affine_forward'" in advice
    assert "move it there (replacing the stub) and save (Ctrl-S)" in advice
    _, shown = check_cell(folder, monkeypatch, capsys, ran=[(solution, "mine")])
    assert advice in " ".join(shown.split()) or advice.replace("  ", " ") in " ".join(shown.split())
    assert shown.count("your `affine_forward` is in a cell of your own") == 1  # said once

    # Written in its cell and saved, then redefined in a cell of one's own: the check
    # graded the exercise cell, and says that the last run was another one.
    folder = write_notebooks(tmp_path / "written")
    edit(folder, AFFINE, put("affine_forward", solution))
    edit(folder, AFFINE, scratch_after("affine_forward", wrong_affine(solution)))
    _, shown = check_cell(folder, monkeypatch, capsys, ran=[(wrong_affine(solution), "mine")])
    text = " ".join(shown.split())
    assert "! Your `affine_forward` ran from a cell of your own (below 'Exercise:" in text
    assert "this check graded that cell, not the one you ran last" in text
    assert re.search(r"stage 2\s+affine\s+passed", shown), shown


def test_a_helper_the_grader_cannot_see_is_named_with_where_to_move_it(
    solution_sources, tmp_path, monkeypatch, capsys
):
    folder = write_notebooks(tmp_path / "nb")
    solution = solution_sources[2]["affine_forward"]
    uses_helper = before_return(solution, "_check_rows(x)")
    edit(folder, AFFINE, put("affine_forward", uses_helper))
    helper = HELPER
    edit(folder, AFFINE, scratch_after("affine_forward", helper))
    result = grader_result(folder, monkeypatch)
    failed = [m for c in result.stages[0].checks for m in c.messages if "NameError" in m.text]
    assert failed
    for message in failed:
        assert message.text == "NameError: name '_check_rows' is not defined"
        assert message.hint.startswith("`_check_rows` is defined in a cell of your own (below")
        assert "move it (or its import) into the cell under 'Exercise: affine_forward'" in (
            message.hint
        )
    assert any("`_check_rows` is defined in a cell of your own" in n for n in result.notices)

    # Only in the kernel (the helper's cell never saved): the check cell says it.
    folder2 = write_notebooks(tmp_path / "nb2")
    edit(folder2, AFFINE, put("affine_forward", uses_helper))
    _, shown = check_cell(folder2, monkeypatch, capsys, ran=[(helper, "unsaved-helper")])
    text = " ".join(shown.split())
    assert "! `_check_rows` comes from a cell you ran, which the grader does not read" in text
    assert "Move it (or its import) into the cell under 'Exercise: affine_forward'" in text


def test_working_in_a_copy_of_the_notebook_is_said(tmp_path, monkeypatch, capsys):
    folder = write_notebooks(tmp_path / "nb")
    monkeypatch.setenv("JPY_SESSION_NAME", str(folder / "2_affine-Copy1.ipynb"))
    _, shown = check_cell(folder, monkeypatch, capsys, ran=[("def affine_forward(): 1", None)])
    text = " ".join(shown.split())
    assert "! This notebook is 2_affine-Copy1.ipynb, but the grader reads 2_affine.ipynb" in text
    assert "Not saved" not in text


# --- 2. notebook-only mistakes ------------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [
        ["%timeit np.zeros(3)"],
        ["!pip install numpy", "files = !ls"],
        ["%%time"],
    ],
    ids=["timeit", "shell", "cell-magic"],
)
def test_ipython_lines_in_an_exercise_cell_are_skipped_by_the_grader(
    lines, solution_sources, tmp_path, monkeypatch, capsys
):
    folder = write_notebooks(tmp_path / "nb")
    solution = solution_sources[2]["affine_forward"]
    if lines == ["%%time"]:
        text = "%%time\n" + solution
    else:
        text = before_return(solution, *lines)
    edit(folder, AFFINE, put("affine_forward", text))
    result = grader_result(folder, monkeypatch)
    assert result.stages[0].status == "passed", summary(result)
    _, shown = check_cell(folder, monkeypatch, capsys)
    assert re.search(r"stage 2\s+affine\s+passed", shown), shown
    assert f"`{lines[0]}` (the cell under 'Exercise: affine_forward', line " in shown
    assert "is IPython, not Python: the grader skips that line" in shown


def test_a_cell_that_is_not_python_even_without_ipython_lines_says_which_line(
    solution_sources, tmp_path, monkeypatch
):
    source = "%%bash\necho hi\n"
    assert notebook_cells.python_source(source) == (source, [])
    text, skipped = notebook_cells.python_source("x = 1\n    %timeit x\ny = (\n")
    assert skipped == [] and text.startswith("x = 1")
    folder = write_notebooks(tmp_path / "nb")
    edit(folder, AFFINE, put("affine_forward", source + solution_sources[2]["affine_forward"]))
    result = grader_result(folder, monkeypatch)
    error = result.stages[0].error
    assert result.stages[0].status == "error" and error.text.startswith("SyntaxError")
    assert error.hint.startswith("`%%bash` is IPython, not Python")
    assert "move that line and what belongs to it into a cell of your own" in error.hint
    assert error.location.endswith(
        "in the cell under 'Exercise: affine_forward' (line 1 of that cell)"
    )


def test_every_provided_cell_has_its_imports(tmp_path):
    """Run as the grader materializes them, the cells of every notebook (written with the
    solutions) need nothing defined only in a learner's kernel, and every stage's provided
    cells import NumPy as np for the learner's code, as exercises/ modules mostly do."""
    folder = tmp_path / "nb"
    notebooks.write_all(folder, stub=False)
    out = tmp_path / "out"
    source_map = sourcemap.materialize(folder, out)
    assert not source_map.problems and not source_map.advice
    load = kernel.import_build(out)
    for stage in STAGES:
        text = (out / stage.module_file).read_text(encoding="utf-8")
        assert notebook_cells.free_names(text) == {}, stage.module_file
        provided = "\n".join(
            notebook_cells.cell_source(c)
            for c in json.loads(notebook_cells.stage_notebook(stage, folder).read_text("utf-8"))[
                "cells"
            ]
            if "provided" in notebook_cells.cell_tags(c)
        )
        assert "np" in notebook_cells.bound_names(provided), stage.module_file
        load(stage.name)  # imports: nothing missing at module level either


def test_free_names_sees_what_a_kernel_alone_would_have():
    text = (
        "import numpy as np\nK = 2\n"
        "def f(x):\n    return helper(x) + np.sum(x) * K + len(x)\n"
        "class C:\n    def g(self):\n        return undefined_here\n"
    )
    assert notebook_cells.free_names(text) == {"helper": {"f"}, "undefined_here": {"C"}}


@pytest.fixture
def kernel_env(monkeypatch):
    for key, value in KERNEL_ENV.items():
        monkeypatch.setenv(key, value)
    return kernel_name()


def run_in_kernel(nb, folder, name):
    from nbclient import NotebookClient

    NotebookClient(
        nb,
        kernel_name=name,
        timeout=240,
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    ).execute()
    return nb


def test_skipping_the_setup_cell_says_to_run_it(tmp_path, kernel_env):
    folder = write_notebooks(tmp_path / "nb")
    for stage in (AFFINE, BY_NUMBER[5]):
        nb = nbformat.read(notebook_cells.stage_notebook(stage, folder), as_version=4)
        nb.cells = [c for c in nb.cells if c.metadata.get("tags") != ["setup"]]
        run_in_kernel(nb, folder, kernel_env)
        errors = {}
        for c in nb.cells:
            for o in c.outputs if c.cell_type == "code" else []:
                if o.output_type == "error":  # the first error of each kind of cell
                    tag = tuple(c.metadata.get("tags", []))
                    errors.setdefault(tag, ANSI.sub("", "\n".join(o.traceback)))
        provided = errors[("provided",)]
        assert "attempted relative import with no known parent package" in provided
        assert "Run the setup cell at the top first" in provided
        assert "Run the setup cell at the top first" in errors[("check",)]


def test_unsaved_work_in_a_real_kernel(solution_sources, tmp_path, kernel_env):
    """In Jupyter: an exercise run but not saved, and a cell of one's own: the check cell
    grades the file and says so before anything else."""
    folder = write_notebooks(tmp_path / "nb")
    nb = nbformat.read(notebook_cells.stage_notebook(AFFINE, folder), as_version=4)
    nb.cells[exercise_index(nb, "affine_forward")].source = solution_sources[2]["affine_forward"]
    run_in_kernel(nb, folder, kernel_env)  # never written back: the file holds the stub
    (shown,) = [
        ANSI.sub("", "".join(o.text for o in c.outputs if o.output_type == "stream"))
        for c in nb.cells
        if c.metadata.get("tags") == ["check"]
    ]
    assert shown.lstrip().startswith("! Not saved: the `affine_forward` you ran"), shown
    assert "Stage 2 (the affine layer) is set up" in "".join(
        o.text for c in nb.cells if c.metadata.get("tags") == ["setup"] for o in c.outputs
    )
    assert re.search(r"stage 2\s+affine\s+not started", shown), shown


# --- 3. cells named by what they define --------------------------------------------------


def test_messages_name_cells_by_their_heading_never_by_number(
    solution_sources, tmp_path, monkeypatch
):
    folder = write_notebooks(tmp_path / "nb")
    solution = solution_sources[2]["affine_forward"]
    edit(folder, AFFINE, put("affine_forward", wrong_affine(solution)))
    # a cell of the learner's own above: numbers would shift, names do not
    edit(folder, AFFINE, scratch_after("affine_forward", "print('trying')"))
    result = grader_result(folder, monkeypatch)
    locations = every_location(result)
    assert locations
    pattern = re.compile(
        r".*2_affine\.ipynb, in the cell under 'Exercise: affine_forward' "
        r"\(line (\d+) of that cell\)"
    )
    wrong = wrong_affine(solution).splitlines()
    for where in locations:
        match = pattern.fullmatch(where)
        assert match, where
        assert 1 <= int(match.group(1)) <= len(wrong)
        assert not CELL_NUMBER.search(where)
    # the untouched stubs: the first stub named by its cell too
    folder = write_notebooks(tmp_path / "untouched")
    result = grader_result(folder, monkeypatch)
    assert pattern.fullmatch(result.stages[0].first_stub), result.stages[0].first_stub


def test_cell_labels():
    cells = json.loads(notebook_cells.stage_notebook(5).read_text(encoding="utf-8"))["cells"]
    labels = {
        notebook_cells.cell_label(cells, i)
        for i, c in enumerate(cells)
        if c["cell_type"] == "code" and set(notebook_cells.cell_tags(c)) & {"provided", "exercise"}
    }
    assert "the cell under 'Exercise: MLP'" in labels
    assert "the cell under 'Exercise: affine_backward'" in labels
    assert "the provided cell that starts with `import numpy as np`" in labels
    mine = {"cell_type": "code", "source": "x = np.ones(3)\n", "metadata": {}}
    cells.insert(4, mine)
    assert notebook_cells.cell_label(cells, 4) == (
        "a cell of your own (below 'Exercise: affine_backward', starting `x = np.ones(3)`)"
    )


# --- 4. a time-out shows the learner's line ----------------------------------------------


def test_a_time_out_in_a_notebook_shows_the_line_it_was_stuck_on(
    solution_sources, tmp_path, monkeypatch
):
    folder = write_notebooks(tmp_path / "nb")
    solution = solution_sources[2]["affine_forward"]
    hang = before_return(solution, "while x is not None:", "    x = x")
    edit(folder, AFFINE, put("affine_forward", hang))
    result = grader_result(folder, monkeypatch, time_limit=3)
    error = result.stages[0].error
    assert result.stages[0].status == "timed out" and error is not None
    assert "this is where your code was when it was stopped:" in error.text
    code = error.text.splitlines()[-1].strip()
    assert code in ("x = x", "while x is not None:"), error.text
    assert re.fullmatch(
        r".*2_affine\.ipynb, in the cell under 'Exercise: affine_forward' \(line (\d+) of "
        r"that cell\)",
        error.location,
    )
    line = int(re.search(r"line (\d+) of", error.location).group(1))
    assert hang.splitlines()[line - 1].strip() == code


# --- 5. a value label reads as a phrase ----------------------------------------------------


def test_a_phrase_label_is_not_glued_to_the_index():
    assert helpers._at("out", (2, 0)) == "out[2, 0]"
    assert helpers._at("softmax(logits + 3)", (0, 1)) == "softmax(logits + 3)[0, 1]"
    assert helpers._at("params['b{}']".replace("{}", "1"), (3,)) == "params['b1'][3]"
    assert helpers._at("weights drawn twice with seed 7", (1, 0)) == (
        "weights drawn twice with seed 7: element [1, 0]"
    )
    assert helpers._at("loss of a second call", ()) == "loss of a second call"
    assert helpers._at("params['W1']{} after step 2", (0, 1)) == "params['W1'][0, 1] after step 2"
    import numpy as np

    with pytest.raises(AssertionError) as caught:
        helpers.assert_close(
            np.array([[1.0, 2.0], [3.0, 4.0]]),
            np.array([[1.0, 2.0], [1.5, 4.0]]),
            "weights drawn twice with seed 7",
        )
    assert "weights drawn twice with seed 7: element [1, 0] is 3" in str(caught.value)


# --- 6. what the notebook path installs, and plots ----------------------------------------


def test_requirements_notebook_adds_jupyter_and_matplotlib_with_bounds():
    lines = (ROOT / "requirements-notebook.txt").read_text(encoding="utf-8").splitlines()
    entries = [line for line in lines if line.strip() and not line.startswith("#")]
    assert entries[0] == "-r requirements.txt"
    names = set()
    for line in entries[1:]:
        requirement, _, comment = line.partition("#")
        match = re.fullmatch(r"([a-z0-9\-]+)>=[\d.]+,<[\d.]+\s*", requirement)
        assert match, line
        assert comment.strip(), f"{line}: say what it is for"
        names.add(match.group(1))
    assert {"jupyterlab", "matplotlib"} <= names
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### In Jupyter") : readme.index("### On Google Colab")]
    assert ".venv/bin/pip install -r requirements-notebook.txt" in section
    assert ".venv\\Scripts\\python -m pip install -r requirements-notebook.txt" in section
    assert ".venv/bin/jupyter lab" in section and ".venv\\Scripts\\jupyter lab" in section
    # CI never installs Jupyter: it needs none of it
    for ci in (ROOT / ".ci" / "run", ROOT / ".github" / "workflows" / "tests.yml"):
        assert "requirements-notebook" not in ci.read_text(encoding="utf-8")


def test_a_look_without_matplotlib_says_how_to_get_the_plots(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "nb"
    notebooks.write_all(folder, stub=False)
    out = tmp_path / "out"
    sourcemap.materialize(folder, out)
    load = kernel.import_build(out)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    capsys.readouterr()
    plots.look_6(load)
    shown = capsys.readouterr().out
    assert "f(w) after each number of steps" in shown  # the table is still there
    assert "No plots: they need matplotlib, which is not installed" in shown
    assert f"%pip install -r {ROOT / 'requirements-notebook.txt'}" in shown
    assert (ROOT / "requirements-notebook.txt").exists()
