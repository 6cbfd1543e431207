"""The notebook face of the kata: one Jupyter notebook per stage, from the same source as
exercises/.

Each stage's solution module is turned into stubs by kata/authoring/stubgen.py (exactly
what exercises/ holds) and split into cells:

    markdown   the module docstring (the idea, the math, the shapes, the traps) and how to
               work in the notebook
    code       setup: finds the kata, makes `from .affine import ...` work in the kernel,
               and remembers the exercise cells the learner runs
    code       provided code (imports, constants, helpers), tagged "provided"
    code       one cell per function/class the learner writes, tagged "exercise", holding
               the stub exactly as exercises/<module>.py has it
    code       the check: the stage's checks on the saved notebook, as the grader runs and
               shows them
    code       stages 5-8: a look at what is happening (activations, gradients, optimizer
               paths, dropout, learning curves)

    python -m kata.authoring.notebooks          # (re)write notebooks/ (keeps work)
    python -m kata.authoring.notebooks --check  # report drift, change nothing (exit 1)

What the cells do in a kernel is kata/notebook/kernel.py; how the grader reads a saved
notebook, kata/notebook/sourcemap.py.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import json
import sys
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kata.authoring.stubgen import generate_stub, report_drift
from kata.markers import MarkerError, contains_stub, exercise_names
from kata.notebook.cells import (
    CHECK_TAG,
    EXERCISE_TAG,
    LOOK_TAG,
    NOTEBOOKS_DIR,
    PROVIDED_TAG,
    SETUP_TAG,
    cell_source,
    cell_tags,
    notebook_file,
)
from kata.stages import ROOT, STAGES, Stage, as_stage

SOLUTIONS_DIR = ROOT / "solutions"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


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


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, source: str) -> str:
    """How a def or class reads in a heading, defaults as written: "f(x, h=1e-5)"."""
    if isinstance(node, ast.ClassDef):
        bases = ", ".join(ast.get_source_segment(source, b) or ast.unparse(b) for b in node.bases)
        return f"class {node.name}({bases})" if bases else f"class {node.name}"
    args = node.args

    def one(arg: ast.arg, default: ast.expr | None, prefix: str = "") -> str:
        if default is None:
            return prefix + arg.arg
        return (
            f"{prefix}{arg.arg}={ast.get_source_segment(source, default) or ast.unparse(default)}"
        )

    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += args.defaults
    parts = [one(a, d) for a, d in zip(positional, defaults, strict=True)]
    if args.vararg:
        parts.append(one(args.vararg, None, "*"))
    elif args.kwonlyargs:
        parts.append("*")
    parts += [one(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    if args.kwarg:
        parts.append(one(args.kwarg, None, "**"))
    return f"{node.name}({', '.join(parts)})"


def split_module(
    source: str, filename: str, exercise_names: Collection[str] = ()
) -> tuple[str, list[Chunk]]:
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
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        cursor = body[0].end_lineno or 0
        body = body[1:]
    chunks: list[Chunk] = []
    for index, node in enumerate(body):
        end = (
            _trailing_comments(lines, node.end_lineno or 0) if index + 1 < len(body) else len(lines)
        )
        text = "".join(lines[cursor:end])
        cursor = end
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            doc = (ast.get_docstring(node, clean=True) or "").strip()
            chunks.append(
                Chunk(
                    EXERCISE_TAG if node.name in exercise_names else PROVIDED_TAG,
                    text,
                    node.name,
                    _signature(node, source),
                    doc.splitlines()[0] if doc else "",
                )
            )
        elif chunks and chunks[-1].name is None:
            chunks[-1].source += text
        else:
            chunks.append(Chunk(PROVIDED_TAG, text))
    for chunk in chunks:
        chunk.source = chunk.source.strip("\n")
    return docstring, [c for c in chunks if c.source.strip()]


def _trailing_comments(lines: list[str], end: int) -> int:
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


# ---------------------------------------------------------------------------------------
# Generating notebooks

SETUP_SOURCE = """\
# Setup: run this cell first, and again whenever you restart the kernel.
# It finds the kata (here, in a folder above, or in a folder right inside this one, as on
# Colab after `!git clone`), checks that its requirements are installed, lets this notebook
# import your other stages' code (as saved in their notebooks), and remembers the exercise
# cells you run, for the check at the bottom.
import importlib.util
import sys
from pathlib import Path

_here = Path.cwd()
for _folder in (_here, *_here.parents, *sorted(_here.iterdir())):
    if (_folder / "kata" / "stages.py").is_file():
        if str(_folder) not in sys.path:
            sys.path.insert(0, str(_folder))
        break
_kata = importlib.util.find_spec("kata")
_missing = [
    name for name in ("numpy", "pytest", "pytest_check") if importlib.util.find_spec(name) is None
]
if _kata is None or _kata.origin is None:
    print("The kata is not here: start Jupyter in the kata folder, or on Colab run first")
    print("    !git clone <the kata's URL>")
elif _missing:
    print("Missing", ", ".join(_missing) + ". Run this in a cell, then this cell again:")
    print("    %pip install -r", Path(_kata.origin).parent.parent / "requirements.txt")
else:
    from kata.notebook import kernel

    kata_nb = kernel.setup({stage}, globals())"""

CHECK_SOURCE = """\
# Check your work: save this notebook (Ctrl-S), then run this cell. It grades the saved
# notebook exactly as  python grader.py {stage} --impl notebooks  does, and says so when
# what you ran differs from what is saved.
kata_nb.check()  # NameError: name 'kata_nb'? Run the setup cell at the top first."""

CHECK_SOURCE_GATE = """\
# Check your work: save this notebook (Ctrl-S), then run this cell. It runs the fast checks
# of stage {stage} on the saved notebook exactly as the grader does, and says so when what
# you ran differs from what is saved. The MNIST gate is not run here: it trains your network
# for a few minutes. Once these checks pass, run from a terminal in the kata folder:
#     python grader.py {stage} --impl notebooks
kata_nb.check()  # NameError: name 'kata_nb'? Run the setup cell at the top first."""

LOOK_TEXT = {
    5: (
        "A look at what is happening: activations and gradients, layer by layer",
        "A fresh deep MLP on a batch of MNIST images, with three initialisations. For each "
        "hidden layer: the spread (std) of its activations and the fraction of dead ReLU "
        "units, and the size of the gradient that reaches its weights. With He "
        "initialisation the signal keeps its scale through the layers; with one small scale "
        "for every layer it shrinks layer after layer (a vanishing signal), and so do the "
        "gradients.",
    ),
    6: (
        "A look at what is happening: optimizer trajectories",
        "Your optimizers on a long narrow valley, `f(w) = 0.5 * (0.1 * w0**2 + 10 * w1**2)`, "
        "all from the same start. Plain SGD must keep its learning rate small enough for the "
        "steep direction (it zig-zags across it) and then crawls along the flat one; momentum "
        "builds up speed along the valley; RMSprop and Adam rescale each coordinate so that "
        "both move at comparable speeds.",
    ),
    7: (
        "A look at what is happening: what dropout does",
        "Inverted dropout zeroes a fraction `p` of the units and scales the rest by "
        "`1/(1-p)`, so the mean activation stays the same in train mode; in eval mode it does "
        "nothing. An MLP with dropout gives a different answer every time in train mode and "
        "the same one in eval mode.",
    ),
    8: (
        "A look at what is happening: learning curves",
        "A small MLP trained by your `train` on a subset of MNIST, twice: on 3,000 images and "
        "on 300. Train loss falling while validation loss rises is overfitting: the small "
        "training set shows it within a few epochs. Small batches make the curves noisy.",
    ),
}

LOOK_STAGES = tuple(sorted(LOOK_TEXT))

LOOK_SOURCE = """\
# {title}.
# Uses the code as you last ran it; rerun after changing something.
kata_nb.look()  # NameError: name 'kata_nb'? Run the setup cell at the top first."""


def _intro(stage: Stage, docstring: str, chunks: list[Chunk]) -> str:
    lines = docstring.strip().splitlines()
    if lines and lines[0].lower().startswith(f"stage {stage.number}"):
        lines = lines[1:]
    body = "\n".join(lines).strip("\n")
    written = [c for c in chunks if c.kind == EXERCISE_TAG]
    parts = [f"# Stage {stage.number} — {stage.title}", body]
    if written:
        items = "\n".join(
            f"- `{c.name}`" + (f": {c.summary}" if c.summary else "") for c in written
        )
        parts.append(f"**What you write here** (in the cells tagged `exercise`):\n\n{items}")
    parts.append(
        "**How to work in this notebook**\n\n"
        "- Run the setup cell first (and again after restarting the kernel), then the "
        "provided cells.\n"
        "- In each exercise cell, replace `# YOUR CODE HERE` and the "
        "`raise NotImplementedError(...)` below it with your code, then run the cell. Keep "
        "any helper (and any import) you add inside the same cell: the grader reads only "
        "the exercise and provided cells. Cells of your own are for trying things out.\n"
        "- Save the notebook (Ctrl-S), then run the check cell at the bottom: it grades the "
        "saved notebook exactly as "
        f"`python grader.py {stage.number} --impl notebooks` does from a terminal, and "
        "tells you when what you ran is not what is saved.\n"
        "- Code of earlier stages comes from their notebooks as saved (`from .affine import "
        "affine_forward` reads `2_affine.ipynb`): save a notebook after changing it."
    )
    return "\n\n".join(p for p in parts if p)


SETUP_FIRST = (
    "# Run the setup cell at the top first: it lets this notebook import the kata's code\n"
    '# (without it: "attempted relative import with no known parent package").\n'
)
NUMPY_IMPORT = "import numpy as np"


def _imports_numpy(chunks: list[Chunk]) -> bool:
    for chunk in chunks:
        if chunk.kind != PROVIDED_TAG:
            continue
        for node in ast.walk(ast.parse(chunk.source)):
            if isinstance(node, ast.Import) and any(
                a.name == "numpy" and a.asname == "np" for a in node.names
            ):
                return True
    return False


def provided_imports(chunks: list[Chunk]) -> list[Chunk]:
    """The chunks with what a provided cell needs when it is not the learner's kernel that
    runs it, but the grader's module: `import numpy as np` in the first provided cell of
    every stage (the learner's code is NumPy code, whether or not the reference needs np),
    and above the first relative import, the reminder that the setup cell makes it work."""
    chunks = [dataclasses.replace(c) for c in chunks]
    if not _imports_numpy(chunks):
        first = next((c for c in chunks if c.kind == PROVIDED_TAG and c.name is None), None)
        if first is None:
            first = Chunk(PROVIDED_TAG, "")
            chunks.insert(0, first)
        first.source = NUMPY_IMPORT + ("\n\n" + first.source if first.source else "")
    for chunk in chunks:
        if chunk.kind != PROVIDED_TAG:
            continue
        lines = chunk.source.split("\n")
        for index, line in enumerate(lines):
            if line.startswith("from ."):
                lines.insert(index, SETUP_FIRST.rstrip("\n"))
                chunk.source = "\n".join(lines)
                return chunks
    return chunks


def build_notebook(
    stage: Stage | int | str, source: str, filename: str, *, stub: bool = True
) -> Any:
    """The notebook of one stage from its solution module's source (stubbed unless stub=False)."""
    import nbformat

    stage = as_stage(stage)
    names = exercise_names(source, filename)
    text = generate_stub(source, filename, stage.number) if stub else source
    docstring, chunks = split_module(text, filename, names)
    chunks = provided_imports(chunks)
    cells: list[tuple[str, str, dict[str, Any]]] = [
        ("markdown", _intro(stage, docstring, chunks), {}),
        ("code", SETUP_SOURCE.format(stage=stage.number), {"tags": [SETUP_TAG]}),
    ]
    for chunk in chunks:
        if chunk.kind == EXERCISE_TAG:
            cells.append(("markdown", f"### Exercise: `{chunk.signature}`", {}))
            cells.append(("code", chunk.source, {"tags": [EXERCISE_TAG]}))
        elif chunk.name is not None:
            cells.append(
                (
                    "markdown",
                    f"### Provided: `{chunk.signature}`\n\nGiven code: read "
                    "it and run it; you do not need to change it.",
                    {},
                )
            )
            cells.append(("code", chunk.source, {"tags": [PROVIDED_TAG], "editable": False}))
        else:
            cells.append(("code", chunk.source, {"tags": [PROVIDED_TAG], "editable": False}))
    gate = any(part.slow for part in stage.parts)
    cells.append(("markdown", "## Check your work", {}))
    cells.append(
        (
            "code",
            (CHECK_SOURCE_GATE if gate else CHECK_SOURCE).format(stage=stage.number),
            {"tags": [CHECK_TAG]},
        )
    )
    if stage.number in LOOK_TEXT:
        title, text_ = LOOK_TEXT[stage.number]
        cells.append(("markdown", f"## {title}\n\n{text_}", {}))
        cells.append(
            ("code", LOOK_SOURCE.format(title=title, stage=stage.number), {"tags": [LOOK_TAG]})
        )

    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
        "kata": {"stage": stage.number, "module": stage.module_file},
    }
    for index, (kind, text, metadata) in enumerate(cells):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(text, metadata=metadata)
        cell.id = f"s{stage.number}-c{index:02d}"
        if kind == "code" and metadata.get("tags") != [EXERCISE_TAG]:
            cell.metadata["deletable"] = False
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def notebook_text(nb: Any) -> str:
    """The bytes of a notebook as written: nbformat's JSON, with a final newline."""
    import nbformat

    return nbformat.writes(nb) + "\n"


def generate_all(solutions_dir: Path | str = SOLUTIONS_DIR, *, stub: bool = True) -> dict[str, str]:
    """{notebook file name: text} for every stage whose solution module exists."""
    solutions_dir = Path(solutions_dir)
    result: dict[str, str] = {}
    for stage in STAGES:
        path = solutions_dir / stage.module_file
        if not path.exists():
            continue
        filename = f"solutions/{stage.module_file}"
        nb = build_notebook(stage, path.read_text(encoding="utf-8"), filename, stub=stub)
        result[notebook_file(stage)] = notebook_text(nb)
    return result


def holds_work(path: Path | str) -> bool:
    """True when a notebook looks worked on: outputs, execution counts, or an exercise
    cell whose stubs were replaced. Such a notebook is never overwritten without --force."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            return True
        if EXERCISE_TAG in cell_tags(cell) and not contains_stub(cell_source(cell)):
            return True
    return False


def write_all(
    out: Path | str = NOTEBOOKS_DIR,
    solutions_dir: Path | str = SOLUTIONS_DIR,
    *,
    stub: bool = True,
    force: bool = False,
) -> tuple[list[str], list[str]]:
    """Write every stage notebook into `out`; returns (written, kept) lists of file names."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    kept: list[str] = []
    for name, text in generate_all(solutions_dir, stub=stub).items():
        path = out / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            written.append(name)
            continue
        if path.exists() and not force and holds_work(path):
            kept.append(name)
            continue
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(name)
    return written, kept


def drift(
    notebooks_dir: Path | str = NOTEBOOKS_DIR, solutions_dir: Path | str = SOLUTIONS_DIR
) -> list[str]:
    """Human-readable differences between notebooks/ and what generation would write."""
    notebooks_dir = Path(notebooks_dir)
    expected = generate_all(solutions_dir)
    present = {p.name for p in notebooks_dir.glob("*.ipynb")}
    problems: list[str] = []
    for name in sorted(present - set(expected)):
        problems.append(f"notebooks/{name} has no stage module in solutions/")
    for name, text in expected.items():
        path = notebooks_dir / name
        if not path.exists():
            problems.append(f"notebooks/{name} is missing")
            continue
        actual = path.read_text(encoding="utf-8")
        if actual != text:
            diff = difflib.unified_diff(
                _cells_view(actual),
                _cells_view(text),
                f"notebooks/{name} (committed)",
                f"notebooks/{name} (generated)",
                lineterm="",
                n=1,
            )
            lines = list(diff)[:40] or [f"notebooks/{name}: same cells, different JSON layout"]
            problems.append("\n".join(lines))
    return problems


def _cells_view(text: str) -> list[str]:
    """A notebook as lines of cell headers and sources, for a readable diff."""
    try:
        nb = json.loads(text)
    except ValueError:
        return text.splitlines()
    lines: list[str] = []
    for cell in nb.get("cells", []):
        tags = ",".join(cell.get("metadata", {}).get("tags", []))
        lines.append(f"--- cell {cell.get('id')} {cell.get('cell_type')} [{tags}]")
        lines.extend(cell_source(cell).splitlines())
        if cell.get("outputs"):
            lines.append(f"    ({len(cell['outputs'])} outputs)")
    return lines


# ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kata.authoring.notebooks", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    parser.add_argument("--out", default=str(NOTEBOOKS_DIR), help="where to write the notebooks")
    parser.add_argument(
        "--force", action="store_true", help="overwrite notebooks even when they hold work"
    )
    args = parser.parse_args(argv)
    try:
        if args.check:
            return report_drift(drift(args.out), "notebooks/", "python -m kata.authoring.notebooks")
        written, kept = write_all(args.out, force=args.force)
        print(f"wrote {len(written)} notebooks to {args.out}")
        for name in kept:
            print(
                f"kept {name}: it holds work (outputs or written exercises); --force overwrites it"
            )
        return 0
    except (MarkerError, SyntaxError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
