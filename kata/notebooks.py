"""The notebook face of the kata: one Jupyter notebook per stage, from the same source as
exercises/.

Each stage's solution module is turned into stubs by `kata.stubgen.generate_stub` (exactly
what exercises/ holds) and split into cells:

    markdown   the module docstring (the idea, the math, the shapes, the traps) and how to
               work in the notebook
    code       setup: finds the kata, makes `from .affine import ...` work in the kernel,
               and remembers the exercise cells the learner runs
    code       provided code (imports, constants, helpers), tagged "provided"
    code       one cell per function/class the learner writes, tagged "exercise", holding
               the stub exactly as exercises/<module>.py has it
    code       the check: the stage's checks on the exercise cells as last run, shown as the
               grader shows them
    code       stages 5-8: a look at what is happening (activations, gradients, optimizer
               paths, dropout, learning curves)

    python -m kata.notebooks            # (re)write notebooks/ (keeps notebooks holding work)
    python -m kata.notebooks --check    # report drift, change nothing (exit 1 on drift)

The grader reads notebooks with `materialize` (their JSON, never executing them): the
provided and exercise cells of each stage notebook become one module file, and a
`SourceMap` turns a line of that file back into "notebooks/3_activations.ipynb, cell 5,
line 2".
"""

import argparse
import ast
import atexit
import dataclasses
import difflib
import importlib
import importlib.machinery
import importlib.util
import itertools
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kata.stages import BY_MODULE, BY_NUMBER, ROOT, STAGES, find_stage
from kata.stubgen import MarkerError, generate_stub, marked_functions, report_drift

NOTEBOOKS_DIR = ROOT / "notebooks"
SOLUTIONS_DIR = ROOT / "solutions"
EXERCISES_DIR = ROOT / "exercises"

EXERCISE_TAG = "exercise"
PROVIDED_TAG = "provided"
SETUP_TAG = "setup"
CHECK_TAG = "check"
LOOK_TAG = "look"
GRADED_TAGS = (PROVIDED_TAG, EXERCISE_TAG)  # the cells that make up the stage module

KERNEL_PACKAGE = "kata_notebook"  # what `from .x import y` resolves against in a kernel
LOOK_STAGES = (5, 6, 7, 8)

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
TOP_LEVEL_DEF = re.compile(r"^(?:async[ \t]+def|def|class)[ \t]+([A-Za-z_]\w*)", re.MULTILINE)


def _stage(stage):
    """A Stage from a Stage, a number or a name."""
    return stage if hasattr(stage, "parts") else find_stage(stage)


def notebook_file(stage):
    """The file name of a stage's notebook, e.g. "3_activations.ipynb"."""
    stage = _stage(stage)
    return f"{stage.number}_{stage.name}.ipynb"


def stage_notebook(stage, notebooks_dir=NOTEBOOKS_DIR):
    """The path of a stage's notebook (by Stage, number or name) in `notebooks_dir`."""
    return Path(notebooks_dir) / notebook_file(stage)


def _display(path):
    """A path as the learner thinks of it: relative to the kata when inside it."""
    path = Path(path)
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------
# Splitting a module into cells


@dataclass
class Chunk:
    """A run of top-level code that becomes one code cell."""

    kind: str  # "exercise" or "provided"
    source: str
    name: str | None = None  # the function or class it defines
    signature: str | None = None  # e.g. "relu_forward(x)" or "class SGD(Optimizer)"
    summary: str = ""  # the first line of its docstring


def _signature(node, source):
    """How a def or class reads in a heading, defaults as written: "f(x, h=1e-5)"."""
    if isinstance(node, ast.ClassDef):
        bases = ", ".join(ast.get_source_segment(source, b) or ast.unparse(b) for b in node.bases)
        return f"class {node.name}({bases})" if bases else f"class {node.name}"
    args = node.args

    def one(arg, default, prefix=""):
        if default is None:
            return prefix + arg.arg
        return f"{prefix}{arg.arg}={ast.get_source_segment(source, default) or ast.unparse(default)}"

    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    parts = [one(a, d) for a, d in zip(positional, defaults)]
    if args.vararg:
        parts.append(one(args.vararg, None, "*"))
    elif args.kwonlyargs:
        parts.append("*")
    parts += [one(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg:
        parts.append(one(args.kwarg, None, "**"))
    return f"{node.name}({', '.join(parts)})"


def split_module(source, filename, exercise_names=()):
    """(module docstring, [Chunk]) of a module's source.

    Each top-level function or class is one chunk (an exercise when its name is in
    `exercise_names`); consecutive other statements (imports, constants) share one. The
    blank lines and comments between two statements go with the one below them.
    """
    tree = ast.parse(source, filename)
    lines = source.splitlines(keepends=True)
    body = list(tree.body)
    docstring = ast.get_docstring(tree, clean=True) or ""
    cursor = 0  # 0-based index of the first line not yet in a chunk
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        cursor = body[0].end_lineno
        body = body[1:]
    chunks = []
    for index, node in enumerate(body):
        end = _trailing_comments(lines, node.end_lineno) if index + 1 < len(body) else len(lines)
        text = "".join(lines[cursor:end])
        cursor = end
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            doc = (ast.get_docstring(node, clean=True) or "").strip()
            chunks.append(Chunk(EXERCISE_TAG if node.name in exercise_names else PROVIDED_TAG,
                                text, node.name, _signature(node, source),
                                doc.splitlines()[0] if doc else ""))
        elif chunks and chunks[-1].name is None:
            chunks[-1].source += text
        else:
            chunks.append(Chunk(PROVIDED_TAG, text))
    for chunk in chunks:
        chunk.source = chunk.source.strip("\n")
    return docstring, [c for c in chunks if c.source.strip()]


def _trailing_comments(lines, end):
    """Extend a statement ending at line `end` (1-based) over the indented comments after it
    (such as `### END SOLUTION`): they belong to its body, not to what follows."""
    last, j = end, end
    while j < len(lines):
        text = lines[j]
        if not text.strip():
            j += 1
        elif text[0] in " \t" and text.lstrip().startswith("#"):
            j += 1
            last = j
        else:
            break
    return last


def exercise_names(source, filename):
    """Names of the top-level functions and classes holding a marked region."""
    return {name.split(".")[0] for _, _, name in marked_functions(source, filename)}


# ---------------------------------------------------------------------------------------
# Generating notebooks

SETUP_SOURCE = '''\
# Setup: run this cell first, and again whenever you restart the kernel.
# It finds the kata, lets this notebook import your other stages' code (as saved in their
# notebooks), and remembers the exercise cells you run, for the check at the bottom.
import sys
from pathlib import Path

for _folder in (Path.cwd(), *Path.cwd().parents):
    if (_folder / "kata" / "stages.py").is_file():
        if str(_folder) not in sys.path:
            sys.path.insert(0, str(_folder))
        break

from kata import notebooks as kata_nb  # "No module named 'kata'"? Start Jupyter in the kata folder.

kata_nb.setup({stage}, globals())'''

CHECK_SOURCE = '''\
# Check your work: the checks of stage {stage} on the exercise cells as you last ran them
# (run them first), shown as `python grader.py {stage}` shows them. From a terminal, after
# saving this notebook:  python grader.py {stage} --impl notebooks
kata_nb.check({stage})'''

CHECK_SOURCE_GATE = '''\
# Check your work: the fast checks of stage {stage} on the exercise cells as you last ran them
# (run them first), shown as `python grader.py {stage}` shows them.
# The MNIST gate is not run here: it trains your network for a few minutes. Once these
# checks pass, save this notebook and run from a terminal in the kata folder:
#     python grader.py {stage} --impl notebooks
kata_nb.check({stage})'''

LOOK_TEXT = {
    5: ("A look at what is happening: activations and gradients, layer by layer",
        "A fresh deep MLP on a batch of MNIST images, with three initialisations. For each "
        "hidden layer: the spread (std) of its activations and the fraction of dead ReLU "
        "units, and the size of the gradient that reaches its weights. With He "
        "initialisation the signal keeps its scale through the layers; with one small scale "
        "for every layer it shrinks layer after layer (a vanishing signal), and so do the "
        "gradients."),
    6: ("A look at what is happening: optimizer trajectories",
        "Your optimizers on a long narrow valley, `f(w) = 0.5 * (0.1 * w0**2 + 10 * w1**2)`, "
        "all from the same start. Plain SGD must keep its learning rate small enough for the "
        "steep direction (it zig-zags across it) and then crawls along the flat one; momentum "
        "builds up speed along the valley; RMSprop and Adam rescale each coordinate so that "
        "both move at comparable speeds."),
    7: ("A look at what is happening: what dropout does",
        "Inverted dropout zeroes a fraction `p` of the units and scales the rest by "
        "`1/(1-p)`, so the mean activation stays the same in train mode; in eval mode it does "
        "nothing. An MLP with dropout gives a different answer every time in train mode and "
        "the same one in eval mode."),
    8: ("A look at what is happening: learning curves",
        "A small MLP trained by your `train` on a subset of MNIST, twice: on 3,000 images and "
        "on 300. Train loss falling while validation loss rises is overfitting: the small "
        "training set shows it within a few epochs. Small batches make the curves noisy."),
}

LOOK_SOURCE = '''\
# {title}.
# Uses the code as you last ran it; rerun after changing something.
kata_nb.look({stage})'''


def _intro(stage, docstring, chunks):
    lines = docstring.strip().splitlines()
    if lines and lines[0].lower().startswith(f"stage {stage.number}"):
        lines = lines[1:]
    body = "\n".join(lines).strip("\n")
    written = [c for c in chunks if c.kind == EXERCISE_TAG]
    parts = [f"# Stage {stage.number} — {stage.title}", body]
    if written:
        items = "\n".join(f"- `{c.name}`" + (f": {c.summary}" if c.summary else "")
                          for c in written)
        parts.append(f"**What you write here** (in the cells tagged `exercise`):\n\n{items}")
    parts.append(
        "**How to work in this notebook**\n\n"
        "- Run the setup cell first (and again after restarting the kernel), then the "
        "provided cells.\n"
        "- In each exercise cell, replace `# YOUR CODE HERE` and the "
        "`raise NotImplementedError(...)` below it with your code, then run the cell. Keep "
        "any helper you add inside the same cell: the grader reads only the exercise and "
        "provided cells.\n"
        f"- The check cell at the bottom grades the exercise cells as you last ran them, "
        f"with the checks and messages of `python grader.py {stage.number}`. From a terminal, "
        f"`python grader.py {stage.number} --impl notebooks` grades the saved notebook.\n"
        "- Code of earlier stages comes from their notebooks as saved (`from .affine import "
        "affine_forward` reads `2_affine.ipynb`): save a notebook after changing it.")
    return "\n\n".join(p for p in parts if p)


def build_notebook(stage, source, filename, *, stub=True):
    """The notebook of one stage from its solution module's source (stubbed unless stub=False)."""
    import nbformat

    stage = _stage(stage)
    names = exercise_names(source, filename)
    text = generate_stub(source, filename, stage.number) if stub else source
    docstring, chunks = split_module(text, filename, names)
    cells = [("markdown", _intro(stage, docstring, chunks), {}),
             ("code", SETUP_SOURCE.format(stage=stage.number), {"tags": [SETUP_TAG]})]
    for chunk in chunks:
        if chunk.kind == EXERCISE_TAG:
            cells.append(("markdown", f"### Exercise: `{chunk.signature}`", {}))
            cells.append(("code", chunk.source, {"tags": [EXERCISE_TAG]}))
        elif chunk.name is not None:
            cells.append(("markdown", f"### Provided: `{chunk.signature}`\n\nGiven code: read "
                          "it and run it; you do not need to change it.", {}))
            cells.append(("code", chunk.source, {"tags": [PROVIDED_TAG], "editable": False}))
        else:
            cells.append(("code", chunk.source, {"tags": [PROVIDED_TAG], "editable": False}))
    gate = any(part.slow for part in stage.parts)
    cells.append(("markdown", "## Check your work", {}))
    cells.append(("code", (CHECK_SOURCE_GATE if gate else CHECK_SOURCE).format(stage=stage.number),
                  {"tags": [CHECK_TAG]}))
    if stage.number in LOOK_TEXT:
        title, text_ = LOOK_TEXT[stage.number]
        cells.append(("markdown", f"## {title}\n\n{text_}", {}))
        cells.append(("code", LOOK_SOURCE.format(title=title, stage=stage.number),
                      {"tags": [LOOK_TAG]}))

    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC),
                   "language_info": {"name": "python"},
                   "kata": {"stage": stage.number, "module": stage.module_file}}
    for index, (kind, cell_source, metadata) in enumerate(cells):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(cell_source, metadata=metadata)
        cell.id = f"s{stage.number}-c{index:02d}"
        if kind == "code" and metadata.get("tags") != [EXERCISE_TAG]:
            cell.metadata["deletable"] = False
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def notebook_text(nb):
    """The bytes of a notebook as written: nbformat's JSON, with a final newline."""
    import nbformat

    return nbformat.writes(nb) + "\n"


def generate_all(solutions_dir=SOLUTIONS_DIR, *, stub=True):
    """{notebook file name: text} for every stage whose solution module exists."""
    solutions_dir = Path(solutions_dir)
    result = {}
    for stage in STAGES:
        path = solutions_dir / stage.module_file
        if not path.exists():
            continue
        filename = f"solutions/{stage.module_file}"
        nb = build_notebook(stage, path.read_text(), filename, stub=stub)
        result[notebook_file(stage)] = notebook_text(nb)
    return result


def holds_work(path):
    """True when a notebook looks worked on: outputs, execution counts, or an exercise
    cell whose stubs were replaced. Such a notebook is never overwritten without --force."""
    try:
        nb = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            return True
        if EXERCISE_TAG in cell.get("metadata", {}).get("tags", []):
            if 'raise NotImplementedError("stage' not in _source(cell):
                return True
    return False


def write_all(out=NOTEBOOKS_DIR, solutions_dir=SOLUTIONS_DIR, *, stub=True, force=False):
    """Write every stage notebook into `out`; returns (written, kept) lists of file names."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written, kept = [], []
    for name, text in generate_all(solutions_dir, stub=stub).items():
        path = out / name
        if path.exists() and path.read_text() == text:
            written.append(name)
            continue
        if path.exists() and not force and holds_work(path):
            kept.append(name)
            continue
        path.write_text(text)
        written.append(name)
    return written, kept


def drift(notebooks_dir=NOTEBOOKS_DIR, solutions_dir=SOLUTIONS_DIR):
    """Human-readable differences between notebooks/ and what generation would write."""
    notebooks_dir = Path(notebooks_dir)
    expected = generate_all(solutions_dir)
    present = {p.name for p in notebooks_dir.glob("*.ipynb")}
    problems = []
    for name in sorted(present - set(expected)):
        problems.append(f"notebooks/{name} has no stage module in solutions/")
    for name, text in expected.items():
        path = notebooks_dir / name
        if not path.exists():
            problems.append(f"notebooks/{name} is missing")
            continue
        actual = path.read_text()
        if actual != text:
            diff = difflib.unified_diff(
                _cells_view(actual), _cells_view(text), f"notebooks/{name} (committed)",
                f"notebooks/{name} (generated)", lineterm="", n=1)
            lines = list(diff)[:40] or [f"notebooks/{name}: same cells, different JSON layout"]
            problems.append("\n".join(lines))
    return problems


def _cells_view(text):
    """A notebook as lines of cell headers and sources, for a readable diff."""
    try:
        nb = json.loads(text)
    except ValueError:
        return text.splitlines()
    lines = []
    for cell in nb.get("cells", []):
        tags = ",".join(cell.get("metadata", {}).get("tags", []))
        lines.append(f"--- cell {cell.get('id')} {cell.get('cell_type')} [{tags}]")
        lines.extend(_source(cell).splitlines())
        if cell.get("outputs"):
            lines.append(f"    ({len(cell['outputs'])} outputs)")
    return lines


# ---------------------------------------------------------------------------------------
# Reading notebooks: materialize and the source map


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _tags(cell):
    tags = cell.get("metadata", {}).get("tags", [])
    return tags if isinstance(tags, list) else []


def defined_names(source):
    """Names a cell defines at top level with def/class (found by text: it may not parse)."""
    return TOP_LEVEL_DEF.findall(source)


@dataclass
class Segment:
    first: int  # 1-based lines of the materialized file
    last: int
    notebook: str  # as shown, e.g. "notebooks/3_activations.ipynb"
    cell: int  # 1-based position of the cell in the notebook
    learner: bool  # an exercise cell (the learner's code)
    name: str | None = None  # what it defines, for exercise cells
    from_kernel: bool = False  # its code is what the kernel last ran, not the saved cell
    unsaved: bool = False  # ... and that differs from the saved cell


@dataclass
class SourceMap:
    """Where each line of materialized module files came from."""

    files: dict = field(default_factory=dict)  # resolved path (str) -> [Segment]
    notebooks: dict = field(default_factory=dict)  # module file name -> notebook as shown
    problems: list = field(default_factory=list)  # notebooks that could not be read

    def segment(self, path, line):
        for key in _path_keys(path):
            for seg in self.files.get(key, ()):
                if seg.first <= int(line) <= seg.last:
                    return seg
        return None

    def locate(self, path, line):
        """ "notebooks/3_activations.ipynb, cell 5, line 2" for a line of a learner's cell
        in a materialized file; None for any other line."""
        seg = self.segment(path, line)
        if seg is None or not seg.learner:
            return None
        return f"{seg.notebook}, cell {seg.cell}, line {int(line) - seg.first + 1}"

    def describe(self, path, line):
        """Like locate, but also names provided cells (for messages that are not the grader's)."""
        seg = self.segment(path, line)
        if seg is None:
            return None
        where = f"{seg.notebook}, cell {seg.cell}, line {int(line) - seg.first + 1}"
        return where if seg.learner else where + " (provided code)"

    def notebook_for(self, path):
        """The notebook a materialized file came from, as shown; None if not one of ours."""
        for key in _path_keys(path):
            if key in self.files:
                return self.notebooks.get(Path(key).name)
        return None


def _path_keys(path):
    path = Path(path)
    keys = [str(path)]
    try:
        keys.append(str(path.resolve()))
    except OSError:
        pass
    return keys


HEADER = ("# Generated from {notebook} by kata.notebooks.materialize, from its provided and\n"
          "# exercise cells: edit the notebook, not this file.\n")


def notebook_module(nb, notebook_display, overrides=None):
    """(module source, [Segment]) from a parsed notebook: its provided and exercise cells,
    in order. `overrides` {name: source} replaces the exercise cell defining `name`."""
    overrides = overrides or {}
    text = HEADER.format(notebook=notebook_display)
    line = text.count("\n") + 1  # the next line to be written
    segments = []
    for position, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        tags = _tags(cell)
        if not any(t in tags for t in GRADED_TAGS):
            continue
        learner = EXERCISE_TAG in tags
        source = _source(cell)
        name, from_kernel, unsaved = None, False, False
        if learner:
            names = defined_names(source)
            name = names[0] if names else None
            if name in overrides:
                unsaved = overrides[name].strip() != source.strip()
                source, from_kernel = overrides[name], True
        source = source.rstrip() + "\n"
        text += "\n\n"
        line += 2
        count = source.count("\n")
        segments.append(Segment(line, line + count - 1, notebook_display, position, learner,
                                name, from_kernel, unsaved))
        text += source
        line += count
    return text, segments


def _provided_modules():
    """{file name: source} of the non-stage modules (validate.py): given as they are."""
    found = {}
    for folder in (SOLUTIONS_DIR, EXERCISES_DIR):
        for path in sorted(folder.glob("*.py")):
            if path.name not in BY_MODULE and path.name != "__init__.py":
                found[path.name] = path  # exercises/ wins: it is what learners have
    result = {}
    for name, path in found.items():
        source = path.read_text()
        try:
            result[name] = generate_stub(source, name, None)
        except MarkerError:
            continue
    return result


def materialize(notebooks_dir, out_dir, *, overrides=None):
    """Write out_dir/<module>.py for every stage notebook in `notebooks_dir` (read as JSON,
    never executed), plus the provided non-stage modules; return the SourceMap.

    overrides: {stage number: {function or class name: source}} replaces exercise cells
    (the check cell passes what the kernel last ran).
    """
    notebooks_dir, out_dir = Path(notebooks_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source_map = SourceMap()
    for name, source in _provided_modules().items():
        (out_dir / name).write_text(source)
    for stage in STAGES:
        path = stage_notebook(stage, notebooks_dir)
        if not path.exists():
            continue
        shown = _display(path)
        target = out_dir / stage.module_file
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
                raise ValueError("no list of cells")
        except (OSError, ValueError) as error:
            problem = f"{shown} is not a readable notebook ({error})"
            source_map.problems.append(problem)
            target.write_text(f"raise ImportError({problem!r})\n")
            source_map.notebooks[stage.module_file] = shown
            continue
        text, segments = notebook_module(nb, shown, (overrides or {}).get(stage.number))
        target.write_text(text)
        source_map.files[str(target.resolve())] = segments
        source_map.notebooks[stage.module_file] = shown
    return source_map


# ---------------------------------------------------------------------------------------
# In the kernel: setup, check, look

_STATE = {"stage": None, "dir": None, "names": set(), "ran": {}, "callback": None,
          "build": None}
_COUNTER = itertools.count(1)
_TEMP_DIRS = []


def _cleanup():
    for path in _TEMP_DIRS:
        shutil.rmtree(path, ignore_errors=True)


atexit.register(_cleanup)


def _temp_dir(prefix):
    path = tempfile.mkdtemp(prefix=prefix)
    _TEMP_DIRS.append(path)
    return Path(path).resolve()


def _register_package(name, directory):
    """Make `directory` importable as the package `name` (replacing an earlier one)."""
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = [str(directory)]
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    importlib.invalidate_caches()
    return package


def _notebooks_dir_for(stage):
    """The folder of the running notebook when it is a stage notebook, else notebooks/."""
    here = Path.cwd()
    return here if stage_notebook(stage, here).exists() else NOTEBOOKS_DIR


def _saved_exercise_names(stage, notebooks_dir):
    """Names defined by the exercise cells of the saved notebook (or of the stubs)."""
    path = stage_notebook(stage, notebooks_dir)
    names = set()
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            if EXERCISE_TAG in _tags(cell):
                names.update(defined_names(_source(cell))[:1])
    except (OSError, ValueError, AttributeError):
        pass
    if not names:
        solution = SOLUTIONS_DIR / stage.module_file
        if solution.exists():
            names = exercise_names(solution.read_text(), stage.module_file)
    return names


def setup(stage, namespace=None):
    """The setup cell: make the kata's code importable in this kernel and start tracking
    the exercise cells that run."""
    stage = _stage(stage)
    notebooks_dir = _notebooks_dir_for(stage)
    _STATE.update(stage=stage.number, dir=notebooks_dir, ran={},
                  names=_saved_exercise_names(stage, notebooks_dir))
    build = _temp_dir("kata-notebook-")
    materialize(notebooks_dir, build)
    _register_package(KERNEL_PACKAGE, build)
    _STATE["build"] = build
    if namespace is not None:
        namespace["__package__"] = KERNEL_PACKAGE  # `from .affine import ...` in the cells
    shell = _shell()
    if shell is not None:
        if _STATE["callback"] is not None:
            try:
                shell.events.unregister("pre_run_cell", _STATE["callback"])
            except ValueError:
                pass
        shell.events.register("pre_run_cell", _record_cell)
        _STATE["callback"] = _record_cell
    print(f"Stage {stage.number} ({stage.title}) is set up. Run the provided cells, write the "
          "exercise cells, then run the check at the bottom.")


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _record_cell(info=None):
    """pre_run_cell: remember the last source run for each exercise name it defines."""
    source = getattr(info, "raw_cell", None)
    if not source or source.lstrip().startswith("%%"):
        return  # a cell magic is not Python: the saved cell is graded instead
    for name in defined_names(source):
        if name in _STATE["names"]:
            _STATE["ran"][name] = source


def current_build(stage):
    """Materialize every notebook, with this stage's exercise cells as last run in this
    kernel; returns (directory, SourceMap, notebooks folder)."""
    stage = _stage(stage)
    notebooks_dir = _STATE["dir"] if _STATE["stage"] == stage.number else _notebooks_dir_for(stage)
    overrides = {stage.number: dict(_STATE["ran"])} if _STATE["stage"] == stage.number else {}
    out = _temp_dir("kata-check-")
    source_map = materialize(notebooks_dir, out, overrides=overrides)
    return out, source_map, notebooks_dir


def relocate(result, out_dir, source_map, notebooks_dir):
    """Rewrite a RunResult graded on a materialized folder as if graded on the notebooks:
    locations in the folder become notebook cells."""
    out_dir = Path(out_dir).resolve()
    pattern = re.compile(re.escape(str(out_dir)) + r"/(\w+\.py)(?::(\d+)|\", line (\d+))?")

    def where(match):
        path, line = out_dir / match.group(1), match.group(2) or match.group(3)
        shown = source_map.notebook_for(path) or match.group(1)
        if line is None:
            return shown
        place = source_map.describe(path, int(line))
        return place or f"{shown} (generated line {line})"

    def fix(value):
        if isinstance(value, str):
            return pattern.sub(where, value)
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                setattr(value, f.name, fix(getattr(value, f.name)))
        return value

    fix(result)
    result.impl = "notebooks"
    result.impl_dir = _display(notebooks_dir)
    for stage_result in result.stages:
        stage = BY_NUMBER[stage_result.number]
        stage_result.module_file = _display(stage_notebook(stage, notebooks_dir))
    return result


def grade_current(stage):
    """Grade this stage's current code, the fast parts only, as the grader grades one stage:
    (RunResult with notebook locations, SourceMap, notebooks folder)."""
    from kata import grading

    stage = _stage(stage)
    out, source_map, notebooks_dir = current_build(stage)
    fast = dataclasses.replace(stage, parts=tuple(p for p in stage.parts if not p.slow))
    try:
        result = grading.grade(str(out), stages=(fast,))
        relocate(result, out, source_map, notebooks_dir)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return result, source_map, notebooks_dir


def check(stage=None):
    """The check cell: grade the exercise cells as last run, show it as the grader does."""
    from kata import render

    stage = _stage(stage if stage is not None else _STATE["stage"])
    result, source_map, notebooks_dir = grade_current(stage)
    colour = not os.environ.get("NO_COLOR") and _shell() is not None
    text = render.render(result, colour=colour, command="python grader.py")
    print(text.rstrip("\n"))
    notes = []
    shown = _display(stage_notebook(stage, notebooks_dir))
    segments = [s for segs in source_map.files.values() for s in segs
                if s.learner and s.notebook == shown]
    ran = [s.name for s in segments if s.from_kernel and s.name]
    saved = [s.name for s in segments if not s.from_kernel and s.name]
    unsaved = [s.name for s in segments if s.unsaved and s.name]
    if _STATE["stage"] != stage.number:
        notes.append("Graded the saved notebook (run the setup cell to grade the cells as you "
                     "run them).")
    elif ran and saved:
        notes.append(f"Graded as last run in this kernel: {', '.join(ran)}; as saved (not run "
                     f"yet): {', '.join(saved)}.")
    elif ran:
        notes.append("Graded the exercise cells as last run in this kernel.")
    else:
        notes.append("Graded the exercise cells as saved: none of them has run in this kernel "
                     "yet.")
    if unsaved:
        notes.append(f"What you ran of {', '.join(unsaved)} differs from the saved notebook, "
                     "which is what the grader reads from a terminal: save it (Ctrl-S).")
    if any(p.slow for p in stage.parts):
        notes.append(f"The MNIST gate was not run here. When these checks pass, save the "
                     f"notebook and run  python grader.py {stage.number} --impl notebooks  "
                     "from a terminal.")
    notes.extend(source_map.problems)
    if notes:
        print()
        for note in notes:
            print(f"  note: {note}")
    _STATE["last_result"] = result


# ---------------------------------------------------------------------------------------
# A look at what is happening (stages 5-8)


def _import_build(directory):
    """Import a materialized folder as a fresh package; returns load(module name)."""
    name = f"kata_look_{next(_COUNTER)}"
    _register_package(name, directory)
    return lambda module: importlib.import_module(f"{name}.{module}")


def look(stage):
    """The look cell of stages 5-8: numbers (and plots, when matplotlib is there) about what
    the stage's code does. Says "finish the stage first" while it is unfinished."""
    stage = _stage(stage)
    out, _, _ = current_build(stage)
    load = _import_build(out)
    try:
        LOOKS[stage.number](load)
    except NotImplementedError as error:
        found = re.match(r"stage (\d+)", str(error))
        other = BY_NUMBER.get(int(found.group(1))) if found else None
        what = f"{error} is not written yet" if str(error) else "a function is not written yet"
        if other is None or other.number == stage.number:
            print(f"Finish the stage first: {what} (it still raises NotImplementedError).")
            print("Run the check cell above to see what is missing, then run this cell again.")
        else:
            print(f"Finish stage {other.number} ({other.title}) first: {what} (it still raises "
                  f"NotImplementedError in {notebook_file(other)}, as saved).")
            print("Then run this cell again.")


_MNIST = {}


def _mnist(split, count=None):
    """MNIST as float32 rows in [0, 1] and int64 labels, flattened here with plain NumPy
    (so that a look does not depend on stages it is not about)."""
    import numpy as np

    if split not in _MNIST:
        from data import load_mnist

        images, labels = load_mnist(split)
        _MNIST[split] = (images.reshape(len(images), -1).astype(np.float32) / np.float32(255),
                         labels.astype(np.int64))
    x, y = _MNIST[split]
    return (x, y) if count is None else (x[:count], y[:count])


def _pyplot():
    """matplotlib.pyplot, or None when it is not installed (the looks then print only)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _table(title, columns, rows, fmt="{:>9.3g}"):
    """Print a small table: rows are (label, [values])."""
    print(title)
    width = max([len(label) for label, _ in rows] + [10])
    print(" " * (width + 2) + "".join(f"{c:>10}" for c in columns))
    for label, values in rows:
        cells = "".join(" " + (fmt.format(v) if isinstance(v, (int, float)) else f"{v:>9}")
                        for v in values)
        print(f"  {label:<{width}}{cells}")
    print()


def _float32(model):
    """Give a model float32 parameters (assigning into params changes the model)."""
    import numpy as np

    for key in list(model.params):
        model.params[key] = model.params[key].astype(np.float32)
    return model


def look_5(load):
    """Activation statistics and gradient norms, layer by layer, for three initialisations."""
    import numpy as np

    backward = load("backward")
    x, y = _mnist("test", 512)
    sizes = [784, 256, 256, 256, 256, 10]
    hidden = len(sizes) - 2
    inits = (("He", "he"), ("Xavier", "xavier"), ("0.01 everywhere", "small"))
    runs = []
    for label, init in inits:
        model = backward.MLP(sizes, activation="relu", rng=np.random.default_rng(0),
                             init="xavier" if init == "xavier" else "he")
        if init == "small":
            rng = np.random.default_rng(1)
            for key in [k for k in model.params if k.startswith("W")]:
                model.params[key] = 0.01 * rng.standard_normal(model.params[key].shape)
        # The hidden activations, recomputed from the model's own params.
        h, stds, zeros = x.astype(np.float64), [], []
        for i in range(1, len(sizes)):
            z = h @ model.params[f"W{i}"] + model.params[f"b{i}"]
            h = np.maximum(z, 0) if i < len(sizes) - 1 else z
            if i < len(sizes) - 1:
                stds.append(float(h.std()))
                zeros.append(float(np.mean(h == 0)))
        logits = model.forward(x)
        agrees = np.allclose(logits, h, rtol=1e-4, atol=1e-6)
        loss, grads = model.loss(x, y)
        norms = [float(np.linalg.norm(grads[f"W{i}"])) for i in range(1, len(sizes))]
        runs.append((label, stds, zeros, norms, loss, agrees))

    print(f"A fresh MLP({sizes}), ReLU, on {len(x)} MNIST images.\n")
    layers = [f"layer {i}" for i in range(1, hidden + 1)]
    _table("std of each hidden layer's activations (healthy: about the same in every layer)",
           layers, [(r[0], r[1]) for r in runs])
    _table("fraction of exact zeros (ReLU switched off); near 1.0 would be a dead layer",
           layers, [(r[0], r[2]) for r in runs], fmt="{:>9.2f}")
    _table("norm of the gradient of each weight matrix, |dW|",
           [f"W{i}" for i in range(1, len(sizes))], [(r[0], r[3]) for r in runs])
    print("initial loss: " + ", ".join(f"{r[0]} {r[4]:.3f}" for r in runs)
          + f"   (log(10) = {np.log(10):.3f}: small logits give about that)")
    if not all(r[5] for r in runs):
        print("\nnote: model.forward(x) differs from chaining affine -> ReLU over model.params "
              "by hand: does forward feed each layer's output to the next, and read params?")
    plt = _pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        for label, stds, _, norms, _, _ in runs:
            axes[0].semilogy(range(1, hidden + 1), stds, "o-", label=label)
            axes[1].semilogy(range(1, len(sizes)), norms, "o-", label=label)
        axes[0].set(title="activation std per hidden layer", xlabel="layer", xticks=range(1, hidden + 1))
        axes[1].set(title="gradient norm |dW| per layer", xlabel="layer", xticks=range(1, len(sizes)))
        axes[0].legend()
        fig.tight_layout()
        plt.show()


def look_6(load):
    """Each optimizer's path down a long narrow valley."""
    import numpy as np

    optimizers = load("optimizers")
    curvature = np.array([0.1, 10.0])  # f(w) = 0.5 * (0.1 * w0**2 + 10 * w1**2)
    start = np.array([-4.0, 1.0])
    steps = 80
    configs = [
        ("SGD lr=0.15", lambda: optimizers.SGD(lr=0.15)),
        ("SGD lr=0.05 momentum=0.8", lambda: optimizers.SGD(lr=0.05, momentum=0.8)),
        ("RMSprop lr=0.05", lambda: optimizers.RMSprop(lr=0.05)),
        ("Adam lr=0.2", lambda: optimizers.Adam(lr=0.2)),
    ]
    paths = {}
    for label, make in configs:
        optimizer = make()
        params = {"w": start.copy()}
        path = [params["w"].copy()]
        for _ in range(steps):
            optimizer.step(params, {"w": curvature * params["w"]})
            path.append(params["w"].copy())
        paths[label] = np.array(path)

    def f(w):
        return 0.5 * np.sum(curvature * w ** 2, axis=-1)

    shown = [0, 5, 10, 20, 40, steps]
    print(f"f(w) = 0.5 * (0.1 * w0**2 + 10 * w1**2), from w = {start.tolist()}, {steps} steps; "
          "the minimum is 0 at (0, 0).\n")
    _table("f(w) after each number of steps", [f"step {s}" for s in shown],
           [(label, [float(f(path[s])) for s in shown]) for label, path in paths.items()])
    for label, path in paths.items():
        w = path[-1]
        print(f"  {label:<27} ends at w = ({w[0]:+.4f}, {w[1]:+.4f})")
    plt = _pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(9, 4))
        g0, g1 = np.meshgrid(np.linspace(-4.5, 1.5, 200), np.linspace(-1.2, 1.2, 120))
        ax.contour(g0, g1, 0.5 * (curvature[0] * g0 ** 2 + curvature[1] * g1 ** 2), levels=20,
                   colors="0.8", linewidths=0.6)
        for label, path in paths.items():
            ax.plot(path[:, 0], path[:, 1], ".-", markersize=3, label=label)
        ax.plot([0], [0], "k*", markersize=10)
        ax.set(title="optimizer trajectories", xlabel="w0", ylabel="w1")
        ax.legend(fontsize=8)
        fig.tight_layout()
        plt.show()


def look_7(load):
    """What dropout does to activations, and to a model's answers in train and eval mode."""
    import numpy as np

    dropout = load("dropout")
    backward = load("backward")
    rng = np.random.default_rng(0)
    x = np.ones((1000, 200), dtype=np.float32)
    rows = []
    for p in (0.0, 0.2, 0.5, 0.8):
        out, _ = dropout.dropout_forward(x, p, True, rng)
        evaluated, _ = dropout.dropout_forward(x, p, False, rng)
        rows.append((f"p = {p}", [float(np.mean(out == 0)), float(out.mean()),
                                  float(out.max()), "yes" if np.array_equal(evaluated, x) else "NO"]))
    _table("dropout_forward on an array of ones (1000, 200)",
           ["zeroed", "mean", "max", "eval = x"], rows, fmt="{:>9.3f}")
    print("In train mode a fraction p is zeroed and the rest scaled by 1/(1-p): the mean stays "
          "1.\nIn eval mode the array passes through unchanged.\n")

    images, _ = _mnist("test", 500)
    model = _float32(backward.MLP([784, 256, 10], dropout=0.5, rng=np.random.default_rng(0)))
    model.train()
    first, second = model.forward(images), model.forward(images)
    model.eval()
    third, fourth = model.forward(images), model.forward(images)
    same = float(np.mean(first.argmax(1) == second.argmax(1)))
    print(f"MLP([784, 256, 10], dropout=0.5) on {len(images)} images, the same batch twice:")
    print(f"  train mode: predictions agree on {100 * same:.1f}% of the images; the logits "
          f"differ by up to {float(np.abs(first - second).max()):.3f}")
    print(f"  eval mode:  {'identical logits' if np.array_equal(third, fourth) else 'DIFFERENT logits (dropout must not act in eval mode)'}")
    plt = _pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
        probs = [0.0, 0.2, 0.5, 0.8]
        axes[0].bar([str(p) for p in probs], [r[1][0] for r in rows])
        axes[0].set(title="fraction zeroed (train mode)", xlabel="p")
        axes[1].hist((first - third).ravel(), bins=60)
        axes[1].set(title="train-mode logits minus eval-mode logits", xlabel="difference")
        fig.tight_layout()
        plt.show()


def look_8(load):
    """Learning curves: the same small MLP trained on 3,000 and on 300 images."""
    import numpy as np

    training, backward, optimizers = load("training"), load("backward"), load("optimizers")
    x, y = _mnist("train")
    x_val, y_val = x[-1000:], y[-1000:]
    epochs = 8
    histories = {}
    for count in (3000, 300):
        model = _float32(backward.MLP([784, 128, 10], rng=np.random.default_rng(0)))
        optimizer = optimizers.Adam(lr=2e-3)
        histories[f"{count:,} images"] = training.train(
            model, optimizer, x[:count], y[:count], x_val, y_val, epochs=epochs, batch_size=25,
            rng=np.random.default_rng(1))
    print(f"MLP([784, 128, 10]), Adam(lr=2e-3), batch 25, {epochs} epochs; validation: "
          f"{len(x_val):,} other training images.\n")
    for label, history in histories.items():
        print(f"trained on {label}")
        print(f"  {'epoch':>5} {'train loss':>11} {'val loss':>9} {'train acc':>10} {'val acc':>8} "
              f"{'seconds':>8}")
        for h in history:
            print(f"  {h['epoch']:>5} {h['train_loss']:>11.4f} {h['val_loss']:>9.4f} "
                  f"{h['train_acc']:>10.4f} {h['val_acc']:>8.4f} {h['seconds']:>8.2f}")
        best = min(history, key=lambda h: h["val_loss"])
        print(f"  lowest validation loss at epoch {best['epoch']}; train/val accuracy gap at "
              f"the end: {history[-1]['train_acc'] - history[-1]['val_acc']:+.3f}\n")
    plt = _pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        for (label, history), colour in zip(histories.items(), ("C0", "C1")):
            e = [h["epoch"] for h in history]
            axes[0].plot(e, [h["train_loss"] for h in history], "-", color=colour, label=f"{label}: train")
            axes[0].plot(e, [h["val_loss"] for h in history], "--", color=colour, label=f"{label}: val")
            axes[1].plot(e, [h["train_acc"] for h in history], "-", color=colour, label=f"{label}: train")
            axes[1].plot(e, [h["val_acc"] for h in history], "--", color=colour, label=f"{label}: val")
        axes[0].set(title="loss", xlabel="epoch")
        axes[1].set(title="accuracy", xlabel="epoch")
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        plt.show()


LOOKS = {5: look_5, 6: look_6, 7: look_7, 8: look_8}


# ---------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m kata.notebooks",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    parser.add_argument("--out", default=str(NOTEBOOKS_DIR), help="where to write the notebooks")
    parser.add_argument("--force", action="store_true",
                        help="overwrite notebooks even when they hold work")
    args = parser.parse_args(argv)
    try:
        if args.check:
            return report_drift(drift(args.out), "notebooks/", "python -m kata.notebooks")
        written, kept = write_all(args.out, force=args.force)
        print(f"wrote {len(written)} notebooks to {args.out}")
        for name in kept:
            print(f"kept {name}: it holds work (outputs or written exercises); "
                  "--force overwrites it")
        return 0
    except (MarkerError, SyntaxError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
