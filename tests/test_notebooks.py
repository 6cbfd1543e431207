"""The notebook face of the kata (kata/authoring/notebooks.py, kata/notebook/): generation,
drift, materialize and its source map, and the notebooks run for real in a Jupyter kernel.

The kernel tests install a kernelspec of their own into this environment (sys.prefix).
"""

import ast
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from kata.authoring import notebooks
from kata.authoring.stubgen import generate_stub
from kata.impl import display_path
from kata.markers import contains_stub, marked_functions, stub_message
from kata.notebook import cells as notebook_cells
from kata.notebook import kernel, sourcemap
from kata.stages import BY_NAME, ROOT, STAGES

PRESENT = [s for s in STAGES if (ROOT / "solutions" / s.module_file).exists()]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
KERNEL_ENV = {
    "PYTHONPATH": str(ROOT),
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}


def stage_id(stage):
    return f"{stage.number}_{stage.name}"


def qualnames(stage):
    """The functions a learner writes in a stage, e.g. ["MLP.__init__", ...], from markers."""
    path = ROOT / "solutions" / stage.module_file
    return [name for _, _, name in marked_functions(path.read_text(encoding="utf-8"), str(path))]


def without_docstring(tree):
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        tree.body = body[1:]
    return ast.dump(tree)


def imports_numpy(tree):
    return any(
        isinstance(node, ast.Import)
        and [(a.name, a.asname) for a in node.names] == [("numpy", "np")]
        for node in tree.body
    )


def cells(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]


def source(cell):
    text = cell["source"]
    return "".join(text) if isinstance(text, list) else text


@pytest.fixture(scope="module")
def generated():
    return notebooks.generate_all()


@pytest.fixture(scope="module")
def untouched(tmp_path_factory):
    """The committed notebooks, materialized: (directory, SourceMap)."""
    out = tmp_path_factory.mktemp("untouched")
    return out, sourcemap.materialize(notebook_cells.NOTEBOOKS_DIR, out)


@pytest.fixture(scope="module")
def solution_notebooks(tmp_path_factory):
    """Notebooks generated like the real ones but holding the solution code."""
    out = tmp_path_factory.mktemp("solution-notebooks")
    notebooks.write_all(out, stub=False)
    return out


@pytest.fixture(scope="module")
def solution_build(solution_notebooks, tmp_path_factory):
    out = tmp_path_factory.mktemp("solution-build")
    return out, sourcemap.materialize(solution_notebooks, out)


# --- generation ---------------------------------------------------------------------------


def test_every_stage_has_a_solution_module():
    missing = [s.module_file for s in STAGES if s not in PRESENT]
    assert not missing, f"solutions/ lacks {missing}: their notebooks cannot be generated"


@pytest.mark.parametrize("stage", PRESENT, ids=stage_id)
def test_generated_notebook_is_valid(generated, stage):
    nb = nbformat.reads(generated[notebook_cells.notebook_file(stage)], as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.nbformat_minor >= 5
    assert nb.metadata["kernelspec"]["name"] == "python3"
    ids = [c.id for c in nb.cells]
    assert ids == [f"s{stage.number}-c{i:02d}" for i in range(len(nb.cells))]
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(
        f"# Stage {stage.number} — {stage.title}"
    )
    assert ["setup"] in tags and ["check"] in tags
    assert (["look"] in tags) == (stage.number in notebooks.LOOK_STAGES)
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in nb.cells
        if c.cell_type == "code"
    )


@pytest.mark.parametrize("stage", PRESENT, ids=stage_id)
def test_exercise_cells_hold_the_stubs_exactly(generated, stage):
    """One exercise cell per function/class the learner writes, verbatim from the stub."""
    solution = (ROOT / "solutions" / stage.module_file).read_text(encoding="utf-8")
    stub = generate_stub(solution, stage.module_file, stage.number)
    nb = nbformat.reads(generated[notebook_cells.notebook_file(stage)], as_version=4)
    exercise = [c.source for c in nb.cells if c.metadata.get("tags") == ["exercise"]]
    tops = {name.split(".")[0] for name in qualnames(stage)}
    assert len(exercise) == len(tops)
    for text in exercise:
        assert text in stub
        assert notebook_cells.defined_names(text)[0] in tops
        assert contains_stub(text)
        assert '"""' in text  # the docstring came along
    exercises_file = ROOT / "exercises" / stage.module_file
    if exercises_file.exists() and exercises_file.read_text(encoding="utf-8") == stub:
        assert all(text in exercises_file.read_text(encoding="utf-8") for text in exercise)


def test_generation_is_deterministic(tmp_path, generated):
    assert notebooks.generate_all() == generated
    first, second = tmp_path / "a", tmp_path / "b"
    notebooks.write_all(first)
    notebooks.write_all(second)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(generated)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes()
        assert (first / name).read_text(encoding="utf-8") == generated[name]


def test_committed_notebooks_have_no_drift():
    problems = notebooks.drift()
    assert not problems, "\n".join(problems) + "\nrun  python -m kata.authoring sync"


def test_cli_check_reports_drift(tmp_path):
    notebooks.write_all(tmp_path)
    command = [sys.executable, "-m", "kata.authoring.notebooks", "--check", "--out", str(tmp_path)]
    clean = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, encoding="utf-8", errors="replace"
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    victim = tmp_path / notebook_cells.notebook_file(PRESENT[0])
    nb = json.loads(victim.read_text(encoding="utf-8"))
    nb["cells"][2]["source"] = "import numpy as np  # edited\n"
    victim.write_text(json.dumps(nb), encoding="utf-8")
    drifted = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, encoding="utf-8", errors="replace"
    )
    assert drifted.returncode == 1
    assert victim.name in drifted.stdout and "edited" in drifted.stdout


def test_regeneration_keeps_notebooks_holding_work(tmp_path):
    notebooks.write_all(tmp_path)
    stage = PRESENT[0]
    path = notebook_cells.stage_notebook(stage, tmp_path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["metadata"].get("tags") == ["exercise"])
    cell["source"] = re.sub(r"raise NotImplementedError\(.*\)", "return None", source(cell))
    worked = json.dumps(nb)
    path.write_text(worked, encoding="utf-8")
    _, kept = notebooks.write_all(tmp_path)
    assert kept == [path.name] and path.read_text(encoding="utf-8") == worked
    _, kept = notebooks.write_all(tmp_path, force=True)
    assert not kept and path.read_text(encoding="utf-8") == notebooks.generate_all()[path.name]


def test_stage_notebook_paths():
    assert notebook_cells.stage_notebook(3) == ROOT / "notebooks" / "3_activations.ipynb"
    assert notebook_cells.stage_notebook("activations") == notebook_cells.stage_notebook(3)
    assert notebook_cells.stage_notebook(STAGES[0], "/x") == Path("/x/1_shapes.ipynb")
    with pytest.raises(ValueError):
        notebook_cells.stage_notebook(9)


# --- materialize and the source map -------------------------------------------------------


def test_materialize_writes_every_module(untouched):
    out, source_map = untouched
    written = {p.name for p in out.glob("*.py")}
    assert {s.module_file for s in PRESENT} | {"validate.py"} <= written
    assert (out / "validate.py").read_text(encoding="utf-8") == (
        ROOT / "solutions" / "validate.py"
    ).read_text(encoding="utf-8")
    assert not source_map.problems


@pytest.mark.parametrize("stage", PRESENT, ids=stage_id)
def test_materialized_untouched_module_is_the_stub(untouched, stage):
    out, _ = untouched
    stub = generate_stub(
        (ROOT / "solutions" / stage.module_file).read_text(encoding="utf-8"),
        stage.module_file,
        stage.number,
    )
    materialized = ast.parse((out / stage.module_file).read_text(encoding="utf-8"))
    expected = ast.parse(stub)
    assert imports_numpy(materialized)  # every provided cell set imports NumPy for the learner
    if not imports_numpy(expected):  # the notebook adds it where the module has no need of it
        expected.body.insert(1, ast.parse("import numpy as np").body[0])
    assert without_docstring(materialized) == without_docstring(expected)


@pytest.fixture(scope="module")
def untouched_package(untouched):
    out, _ = untouched
    return kernel.import_build(out)


def dummies(signature):
    """None for every required positional parameter: a stub raises before reading them."""
    return [
        None
        for p in signature.parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]


def caller(module, qualname):
    """A no-argument call of the function or method `qualname` of `module`."""
    if "." not in qualname:
        function = getattr(module, qualname)
        return lambda: function(*dummies(inspect.signature(function)))
    owner, name = qualname.split(".", 1)
    cls = getattr(module, owner)
    if name == "__init__":
        return lambda: cls(*dummies(inspect.signature(cls)))
    if isinstance(inspect.getattr_static(cls, name), property):
        return lambda: getattr(object.__new__(cls), name)
    method = getattr(object.__new__(cls), name)
    return lambda: method(*dummies(inspect.signature(method)))


@pytest.mark.parametrize("stage", PRESENT, ids=stage_id)
def test_untouched_functions_raise_not_implemented(untouched_package, stage):
    """Every function the learner writes raises NotImplementedError("stage N: name")."""
    module = untouched_package(stage.name)
    for qualname in qualnames(stage):
        with pytest.raises(NotImplementedError) as caught:
            caller(module, qualname)()
        assert str(caught.value) == stub_message(stage.number, qualname)


def test_locate_maps_every_learner_line_to_its_cell(untouched):
    out, source_map = untouched
    mapped = 0
    for stage in PRESENT:
        path = out / stage.module_file
        nb_cells = cells(notebook_cells.stage_notebook(stage))
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            where = source_map.locate(path, number)
            if where is None:
                continue
            match = re.fullmatch(
                r"notebooks/(\S+\.ipynb), in the cell under 'Exercise: (\w+)' "
                r"\(line (\d+) of that cell\)",
                where,
            )
            assert match, where
            assert match.group(1) == notebook_cells.notebook_file(stage)
            (cell,) = [
                c
                for c in nb_cells
                if c["metadata"].get("tags") == ["exercise"]
                and notebook_cells.defined_names(source(c))[0] == match.group(2)
            ]
            assert source(cell).splitlines()[int(match.group(3)) - 1] == text
            mapped += 1
    assert mapped > 100


def test_locate_returns_none_outside_learner_cells(untouched):
    out, source_map = untouched
    stage = PRESENT[0]
    path = out / stage.module_file
    lines = path.read_text(encoding="utf-8").splitlines()
    import_line = next(i for i, t in enumerate(lines, 1) if t.startswith("import numpy"))
    assert source_map.locate(path, 1) is None  # the header
    assert source_map.locate(path, import_line) is None  # a provided cell
    assert "in the provided cell that starts with `import numpy as np`" in (
        source_map.describe(path, import_line)
    )
    assert source_map.locate(path, len(lines) + 10) is None
    assert source_map.locate(out / "validate.py", 3) is None
    assert source_map.locate("/nowhere/shapes.py", 20) is None
    stub_line = next(i for i, t in enumerate(lines, 1) if "raise NotImplementedError" in t)
    assert source_map.locate(str(path), stub_line) == source_map.locate(path.resolve(), stub_line)
    assert source_map.locate(path, stub_line).startswith(
        f"notebooks/{notebook_cells.notebook_file(stage)}, in the cell under 'Exercise: "
    )


def test_materialize_follows_the_learners_edits(tmp_path):
    """Added cells, longer exercise cells and kernel overrides keep the map exact."""
    src = tmp_path / "nb"
    notebooks.write_all(src)
    stage = BY_NAME["activations"]
    if stage not in PRESENT:
        pytest.skip("solutions/activations.py does not exist yet")
    path = notebook_cells.stage_notebook(stage, src)
    nb = json.loads(path.read_text(encoding="utf-8"))
    index, cell = next(
        (i, c) for i, c in enumerate(nb["cells"]) if c["metadata"].get("tags") == ["exercise"]
    )
    name = notebook_cells.defined_names(source(cell))[0]
    cell["source"] = source(cell).replace("# YOUR CODE HERE", "# my notes\n    x = 1\n    y = 2")
    scratch = {
        "cell_type": "code",
        "id": "mine",
        "metadata": {},
        "outputs": [],
        "execution_count": None,
        "source": "print('experiment, not graded')",
    }
    nb["cells"].insert(index, scratch)
    path.write_text(json.dumps(nb), encoding="utf-8")

    out = tmp_path / "out"
    source_map = sourcemap.materialize(src, out)
    module = out / stage.module_file
    text = module.read_text(encoding="utf-8")
    assert "experiment, not graded" not in text and "# my notes" in text
    lines = text.splitlines()
    y_line = next(i for i, t in enumerate(lines, 1) if t.strip() == "y = 2")
    cell_line = source(cell).splitlines().index("    y = 2") + 1
    assert source_map.locate(module, y_line) == (
        f"{display_path(path)}, in the cell under 'Exercise: {name}' "
        f"(line {cell_line} of that cell)"
    )

    override = f"def {name}(x):\n    return 'from the kernel'\n"
    out2 = tmp_path / "out2"
    source_map = sourcemap.materialize(src, out2, overrides={stage.number: {name: override}})
    text = (out2 / stage.module_file).read_text(encoding="utf-8")
    assert "from the kernel" in text and "# my notes" not in text
    line = text.splitlines().index("    return 'from the kernel'") + 1
    assert source_map.locate(out2 / stage.module_file, line).endswith(
        f", in the cell under 'Exercise: {name}' (line 2 of that cell)"
    )


def test_materialize_reports_an_unreadable_notebook(tmp_path):
    src = tmp_path / "nb"
    notebooks.write_all(src)
    stage = PRESENT[0]
    notebook_cells.stage_notebook(stage, src).write_text("{ not json", encoding="utf-8")
    out = tmp_path / "out"
    source_map = sourcemap.materialize(src, out)
    assert source_map.problems and notebook_cells.notebook_file(stage) in source_map.problems[0]
    text = (out / stage.module_file).read_text(encoding="utf-8")
    assert text.startswith("raise ImportError(") and notebook_cells.notebook_file(stage) in text


def fast_check_files(stage):
    return [f"checks/{p.check_file}" for p in stage.parts if not p.slow]


@pytest.mark.parametrize("stage", STAGES, ids=stage_id)
def test_solution_notebooks_pass_the_checks(solution_build, stage):
    if stage not in PRESENT:
        pytest.skip(f"solutions/{stage.module_file} does not exist yet")
    files = fast_check_files(stage)
    missing = [f for f in files if not (ROOT / f).exists()]
    if missing:
        pytest.skip(f"{missing} do not exist yet")
    out, _ = solution_build
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *files,
            "--impl",
            str(out),
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=dict(os.environ, **KERNEL_ENV),
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


# --- in a real kernel ---------------------------------------------------------------------


KERNEL_NAME = "numpy-nn-kata"


def kernel_name():
    """A kernelspec of our own, pointing at this very interpreter: a "python3" kernelspec
    elsewhere on the machine (another Python, without numpy) can never be picked instead."""
    from ipykernel.kernelspec import install
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        if spec.argv and spec.argv[0] == sys.executable:
            return KERNEL_NAME
    except NoSuchKernel:
        pass
    install(kernel_name=KERNEL_NAME, display_name="NumPy NN kata", prefix=sys.prefix)
    return KERNEL_NAME


def execute(path, monkeypatch):
    """Run a notebook in a fresh kernel, in its own folder; returns it with outputs."""
    from nbclient import NotebookClient

    name = kernel_name()
    for key, value in KERNEL_ENV.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        kernel_name=name,
        timeout=240,
        allow_errors=False,
        resources={"metadata": {"path": str(Path(path).parent)}},
    ).execute()
    return nb


def tagged_output(nb, tag):
    texts = []
    for cell in nb.cells:
        if cell.cell_type == "code" and tag in cell.metadata.get("tags", []):
            for output in cell.outputs:
                assert output.output_type != "error", output
                if output.output_type == "stream":
                    texts.append(output.text)
    return ANSI.sub("", "".join(texts))


@pytest.mark.parametrize("stage", STAGES, ids=stage_id)
def test_solution_notebook_runs_and_passes(solution_notebooks, stage, monkeypatch):
    if stage not in PRESENT:
        pytest.skip(f"solutions/{stage.module_file} does not exist yet")
    if any(not (ROOT / f).exists() for f in fast_check_files(stage)):
        pytest.skip("the stage's check file does not exist yet")
    nb = execute(notebook_cells.stage_notebook(stage, solution_notebooks), monkeypatch)
    shown = tagged_output(nb, "check")
    assert re.search(rf"stage {stage.number}\s+{stage.name}\s+passed", shown), shown
    assert "kata-check-" not in shown  # locations point at notebooks, not at the build
    if any(p.slow for p in stage.parts):
        assert "MNIST gate was not run here" in shown
    if stage.number in notebooks.LOOK_STAGES:
        looked = tagged_output(nb, "look")
        assert looked.strip() and "Finish" not in looked, looked


@pytest.mark.parametrize("stage", [s for s in STAGES if s.number in (1, 5, 8)], ids=stage_id)
def test_untouched_notebook_runs_and_reads_not_started(stage, tmp_path, monkeypatch):
    if stage not in PRESENT:
        pytest.skip(f"solutions/{stage.module_file} does not exist yet")
    path = tmp_path / notebook_cells.notebook_file(stage)
    path.write_bytes(notebook_cells.stage_notebook(stage).read_bytes())
    for other in STAGES:  # the other stages as shipped, for the relative imports
        if other != stage and notebook_cells.stage_notebook(other).exists():
            (tmp_path / notebook_cells.notebook_file(other)).write_bytes(
                notebook_cells.stage_notebook(other).read_bytes()
            )
    nb = execute(path, monkeypatch)
    shown = tagged_output(nb, "check")
    if all((ROOT / f).exists() for f in fast_check_files(stage)):
        # Alone, a stage whose checks also wait for untouched earlier stages is shown by the
        # grader as "failing (0 of N checks pass)" with nothing but unwritten functions.
        assert re.search(
            rf"stage {stage.number}\s+{stage.name}\s+(not started|failing \(0 of)", shown
        ), shown
        assert "✗ " not in shown.split("stages passed")[-1], shown  # no check actually failed
        assert "not started" in shown or "not written yet" in shown
        assert (
            f"{notebook_cells.notebook_file(stage)}, in the cell under 'Exercise: " in shown
            or stage.number != 1
        )
    if stage.number in notebooks.LOOK_STAGES:
        assert "first:" in tagged_output(nb, "look")
