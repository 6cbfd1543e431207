"""The bug zoo: realistic learner mistakes, written as small edits of the reference solutions.

Each stage has a module `tests/zoo/stage_N.py` holding `MUTANTS`, a list of `Mutant`s.
A mutant replaces one snippet of a solution file (`old`, which must occur exactly once)
with what a learner wrote instead (`new`). The zoo's tests prove that every mutant makes
its stage fail, that the grader shows the hint `HINTS[hint]` of the stage's check file (and
no hint but those the mutant declares: `hint`, and the keys in `also`), and that the first
line the grader points at lies in the mutated function (`region`).
"""

import ast
import importlib
from dataclasses import dataclass

from kata.stages import ROOT, STAGES
from tests.run import solutions_with


@dataclass(frozen=True)
class Mutant:
    name: str  # short id, unique in the zoo, e.g. "relu_mask_from_output"
    stage: int
    file: str  # module file in solutions/, e.g. "activations.py"
    old: str  # a snippet of that file, occurring exactly once
    new: str  # what the learner wrote instead
    hint: str  # key of HINTS in the stage's check file: the hint the grader must show
    why: str  # the mistake, in a learner's words
    # other keys of HINTS this mistake legitimately triggers (any other hint shown misleads)
    also: tuple[str, ...] = ()

    @property
    def hints(self):
        """Every key of HINTS the grader may show for this mutant."""
        return (self.hint, *self.also)

    def apply(self, source):
        count = source.count(self.old)
        if count != 1:
            raise ValueError(
                f"mutant {self.name}: its `old` snippet occurs {count} times in "
                f"solutions/{self.file} (must be exactly once)"
            )
        return source.replace(self.old, self.new)

    def region(self):
        """(qualified name, first line, last line) of the function of solutions/<file> whose
        body holds the `new` snippet once applied: the innermost one, its body's lines (the
        `def` line excluded). None when the snippet lies outside every function."""
        original = (ROOT / "solutions" / self.file).read_text(encoding="utf-8")
        source = self.apply(original)
        offset = original.index(self.old)
        first = source.count("\n", 0, offset) + 1
        last = first + max(self.new.rstrip("\n").count("\n"), 0)
        best = None
        for qualname, node in _functions(ast.parse(source)):
            start, end = node.body[0].lineno, node.end_lineno
            inside = node.lineno <= first and last <= end
            if inside and (best is None or start >= best[1]):
                best = (qualname, start, end)
        return best

    def materialize(self, dest):
        """Write a copy of solutions/ with this mistake into `dest`; return `dest`."""
        return solutions_with(dest, self.file, self.apply)


def _functions(tree, prefix=""):
    """(qualified name, node) of every function in `tree`, methods and nested ones too."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")


def all_mutants():
    """Every mutant of every stage, in stage order."""
    mutants = []
    for stage in STAGES:
        try:
            module = importlib.import_module(f"tests.zoo.stage_{stage.number}")
        except ModuleNotFoundError:
            continue
        mutants.extend(module.MUTANTS)
    return mutants
