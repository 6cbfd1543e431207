"""One part of one stage's checks, run in a process of its own.

This is the only place where the grader imports a learner's code. It imports the stage
module (an import-time error becomes the stage's "error" status, with file and line), runs
the stage's check file under pytest, turns every check into a plain record (passed, failed,
not started, needs another stage), and sends them as JSON to the grader on the channel of
kata/channel.py (settings in on stdin, the report back on a private copy of stderr: neither
is named in argv). What the learner's code prints goes to this process's stdout, which the
grader captures and trims. Before the learner's code is imported, the child enters the
sandbox the grader asked for, if any (kata/sandbox.py).

Where a failure points: an exception raised in the learner's code, at its line (a refused
input, at the learner's call that passed it); a wrong value, at the `return` that produced
it, found by tracing the check's calls (ReturnTracer); a check failing because another
function of the learner's fails its own checks says to fix that one first.

    python -m kata.child --stage 3 --part test_3_activations.py --impl DIR
"""

from __future__ import annotations

import argparse
import ast
import inspect
import re
import sys
import textwrap
import traceback
import weakref
from collections.abc import Callable
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

from kata import sandbox
from kata.channel import ChildEnd
from kata.impl import PACKAGE, load_module
from kata.markers import parse_stub_message
from kata.model import CheckStatus, MessageKind
from kata.stages import BY_MODULE, BY_NUMBER, ROOT

PROVIDED_MODULES = {"validate.py"}
ABOUT = "about"  # the pytest marker naming what a check is about (registered in checks/)

Record = dict[str, Any]  # what goes into the JSON, field by field
Location = dict[str, Any]  # {"file": ..., "line": ...}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stage", type=int, required=True)
    parser.add_argument("--part", required=True)
    parser.add_argument("--impl", required=True)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--hang-after", type=float, default=None)
    args = parser.parse_args(argv)
    channel = ChildEnd()  # first: before anything of the learner's can see stdin or stderr
    utf8_output()
    stage = BY_NUMBER[args.stage]
    record: Record = {"stage": stage.number, "part": args.part, "error": None, "checks": []}
    if channel.sandbox is not None:
        try:
            sandbox.enter(channel.sandbox)
        except sandbox.SandboxError as error:
            record["error"] = message(MessageKind.INTERNAL, f"the sandbox failed: {error}")
            channel.send(record)
            return 0
    if args.hang_after:
        # Just before the grader kills us for taking too long, write where every thread is,
        # so that a time-out can point at the learner's line that never finishes.
        import faulthandler

        faulthandler.dump_traceback_later(args.hang_after, exit=False, file=channel.fd)

    sys.dont_write_bytecode = True  # never leave __pycache__ in a student's directory
    sys.path.insert(0, str(ROOT))
    impl_dir = Path(args.impl).resolve()
    try:
        load_module(impl_dir, stage.name)
    except BaseException as error:  # SyntaxError, ImportError, SystemExit at import, ...
        record["error"] = describe_import_error(error, impl_dir, stage.module_file)
        channel.send(record)
        return 0

    import pytest

    pytest.hookimpl(hookwrapper=True)(Collector.pytest_runtest_call)
    collector = Collector(stage.number, impl_dir)
    if any(part.slow and part.check_file == args.part for part in stage.parts):
        collector.trace = False  # the MNIST gate's minutes of training pay for no location
    pytest_args = [
        str(ROOT / "checks" / args.part),
        f"--impl={impl_dir}",  # one token: pytest must not take DIR for a test path
        f"--confcutdir={ROOT}",  # no conftest.py from above the kata
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        "--capture=no",  # the learner's prints stream to our stdout, for the grader to trim
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    settings = ROOT / "pyproject.toml"
    if settings.is_file():  # the kata's own settings, never an ini file found above it
        pytest_args += ["-c", str(settings)]
    if args.seed is not None:
        pytest_args.append(f"--kata-seed={args.seed}")
    code = pytest.main(pytest_args, plugins=[collector])
    if code not in (0, 1) and not collector.checks:
        record["error"] = message(
            MessageKind.INTERNAL, f"the checks could not run (pytest exit code {int(code)})"
        )
    if collector.data_error is not None:  # no verdict on the learner's code without the data
        record["error"] = collector.data_error
    collector.point_upstream()
    record["checks"] = collector.checks
    channel.send(record)
    return 0


def utf8_output() -> None:
    """What this process prints is UTF-8, the encoding the grader reads it in (kata/runner.py),
    whatever the platform's default for a pipe (cp1252 on Windows) or PYTHONIOENCODING say:
    a learner's print("✓") never fails here."""
    for stream, errors in ((sys.stdout, "replace"), (sys.stderr, "backslashreplace")):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors=errors)


def message(
    kind: MessageKind,
    text: str,
    hint: str | None = None,
    location: Location | None = None,
    **extra: Any,
) -> Record:
    return {"kind": kind, "text": text, "hint": hint, "location": location, **extra}


class Collector:
    """A pytest plugin that keeps one record per check, in the grader's terms."""

    def __init__(self, stage_number: int, impl_dir: Path) -> None:
        self.stage_number = stage_number
        self.impl_dir = impl_dir
        # Tracing changes reference counts in C calls on Python 3.10 and 3.11 (a bound
        # method is made for each): code whose result depends on them is run untraced.
        self.trace = not counts_references(impl_dir)
        self.checks: list[Record] = []
        self.data_error: Record | None = None  # the first damaged data file a check met
        self._items: dict[str, Any] = {}
        self._current: dict[str, Any] = {}
        self._theirs: dict[str, bool] = {}  # for the tracers: which files are the learner's
        self._assignments = Assignments()
        self._tracer = ReturnTracer(impl_dir, lambda: None, self._theirs)
        # per check, in order: (what it is about, the learner's code objects it ran)
        self._runs: list[tuple[str | None, CodeType | None, set[CodeType]]] = []

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        self._items = {item.nodeid: item for item in items}

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self._current = {"exceptions": [], "skipped": False, "failed": False}
        item = self._items.get(nodeid)
        self._tracer = ReturnTracer(self.impl_dir, lambda: self.tested_code(item), self._theirs)

    def pytest_runtest_call(self, item: Any) -> Any:
        """Traced: the check's own body, where it calls the learner's code (a hook wrapper,
        made one in main(): pytest's setup, teardown and reports are not traced)."""
        if not self.trace:
            yield
            return
        self._tracer.start()
        try:
            yield
        finally:
            self._tracer.stop()

    def pytest_runtest_makereport(self, item: Any, call: Any) -> None:
        if call.excinfo is not None:
            import pytest

            if call.excinfo.errisinstance(pytest.skip.Exception):
                self._current["skipped"] = True
            else:
                self._current["exceptions"].append(call.excinfo.value)

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.failed:
            self._current["failed"] = True

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        item = self._items.get(nodeid)
        self._runs.append((about_name(item), self._tracer.target, self._tracer.called))
        state = self._current
        exceptions = list(getattr(item, "kata_failures", [])) + state["exceptions"]
        if self.data_error is None:
            self.data_error = next(filter(None, map(data_file_error, exceptions)), None)
        self.checks.append(self.describe_check(item, nodeid, state, exceptions))

    def point_upstream(self) -> None:
        """A failing check of F whose run called the learner's G, where G fails checks of
        its own, is most likely failing because of G (MLP.loss of a wrong affine_backward,
        train of a wrong iterate_minibatches): its hints, written for mistakes in F, would
        mislead. They become "fix G first". G is chosen among those whose own failures call
        no other failing function (the root), when there is one."""
        failing: dict[str, CodeType] = {}
        for record, (name, code, _) in zip(self.checks, self._runs, strict=True):
            if record["status"] == CheckStatus.FAILED and name and code is not None:
                failing[name] = code

        def upstream(name: str | None, called: set[CodeType]) -> list[str]:
            return [g for g, code in failing.items() if g != name and code in called]

        roots = {
            g
            for g in failing
            if not any(
                upstream(g, called)
                for record, (name, _, called) in zip(self.checks, self._runs, strict=True)
                if name == g and record["status"] == CheckStatus.FAILED
            )
        }
        for record, (name, _, called) in zip(self.checks, self._runs, strict=True):
            if record["status"] != CheckStatus.FAILED or not name:
                continue
            causes = upstream(name, called)
            if not causes:
                continue
            cause = next((g for g in causes if g in roots), causes[0])
            for m in record["messages"]:
                if m["kind"] == MessageKind.FAILED:
                    m["hint"] = upstream_hint(name, cause)

    # -- turning a check's exceptions into a record -------------------------------------

    def describe_check(
        self, item: Any, nodeid: str, state: dict[str, Any], exceptions: list[BaseException]
    ) -> Record:
        properties = dict(getattr(item, "user_properties", []) or [])
        messages: list[Record] = []
        if state["skipped"] and not exceptions:
            status = CheckStatus.SKIPPED
        elif not exceptions and not state["failed"]:
            status = CheckStatus.PASSED
        else:
            messages = [self.describe_exception(item, e) for e in exceptions]
            messages = messages or [message(MessageKind.FAILED, "the check failed")]
            waiting = {MessageKind.NOT_STARTED, MessageKind.NEEDS}
            kinds = {m["kind"] for m in messages}
            if kinds == {MessageKind.NOT_STARTED}:
                status = CheckStatus.NOT_STARTED
            elif kinds <= waiting:
                status = CheckStatus.NEEDS
            else:
                status = CheckStatus.FAILED
                # what is wrong first, what merely waits after it
                messages.sort(key=lambda m: m["kind"] in waiting)
        return {
            "id": nodeid.split("::", 1)[-1],
            "title": check_title(item, nodeid),
            "status": status,
            "messages": messages,
            "properties": properties,
        }

    def describe_exception(self, item: Any, error: BaseException) -> Record:
        own_line = self.learner_location(error)
        location = (
            own_line
            or self._tracer.returned
            or self.last_return(item)
            or self.tested_definition(item)
        )
        if isinstance(error, NotImplementedError):
            stub = parse_stub_message(str(error))
            if stub and stub.stage != self.stage_number:
                return message(
                    MessageKind.NEEDS,
                    f"needs stage {stub.stage}: {stub.name} still raises NotImplementedError",
                    location=location,
                    needs=stub.stage,
                )
            what = stub.name if stub else str(error) or "this function"
            return message(MessageKind.NOT_STARTED, f"{what} is not written yet", location=location)
        hint = getattr(error, "hint", None)
        if isinstance(error, AssertionError):
            text = getattr(error, "message", None) or str(error)
            if own_line is None and location is not None:
                location = self._assignments.last_assignment(location, str(text))
            return message(MessageKind.FAILED, text, hint, location)
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        internal = own_line is None
        if isinstance(error, AttributeError) and PACKAGE in str(error):
            text = str(error).replace(f"module '{PACKAGE}.", "module '")
            internal = False
        if isinstance(error, SystemExit):
            text = f"your code called sys.exit({error.code!r}) (or exit()): return a value instead"
        if not internal:
            return message(MessageKind.FAILED, text.replace(f"{PACKAGE}.", ""), hint, location)
        trace = "".join(traceback.format_exception(error))[-3000:]
        return message(
            MessageKind.INTERNAL, text.replace(f"{PACKAGE}.", ""), hint, location, traceback=trace
        )

    def learner_location(self, error: BaseException | None) -> Location | None:
        """The deepest frame inside the learner's files, following chained exceptions."""
        seen = set()
        while error is not None and id(error) not in seen:
            seen.add(id(error))
            frames = [
                f
                for f in traceback.extract_tb(error.__traceback__)
                if _inside(f.filename, self.impl_dir)
            ]
            # the provided validate.py is not where the learner's mistake is: prefer their code
            own = [f for f in frames if Path(f.filename).name not in PROVIDED_MODULES] or frames
            if own:
                frame = own[-1]
                if len(own) > 1 and refused_its_input(error, frame):
                    frame = own[-2]  # their own function called it with what it refuses
                return {"file": frame.filename, "line": frame.lineno}
            error = error.__cause__ or error.__context__
        return None

    def tested_function(self, item: Any) -> Any:
        """What the check declares it is about (`@pytest.mark.about`), or None."""
        marker = item.get_closest_marker(ABOUT) if item is not None else None
        if marker is None or not marker.args:
            return None
        module_name = marker.kwargs.get("module") or getattr(item.module, "STAGE_MODULE", None)
        target: Any = sys.modules.get(f"{PACKAGE}.{module_name}")
        for part in str(marker.args[0]).split("."):
            target = getattr(target, part, None)
        return target

    def tested_code(self, item: Any) -> CodeType | None:
        """The code object of the tested function, when it is the learner's own."""
        target = inspect.unwrap(self.tested_function(item) or (lambda: None))
        code = getattr(target, "__code__", None)
        if isinstance(code, CodeType) and _inside(code.co_filename, self.impl_dir):
            return code
        return None

    def last_return(self, item: Any) -> Location | None:
        """The line of the last `return` in the source of what the check is about: where
        the value came from when the call could not be traced (a value is wrong, so the
        function returned)."""
        if self.trace and self._tracer.target is not None:
            return None  # traced, and no call of it returned: it raised, the def says where
        target = self.tested_function(item)
        try:
            lines, start = inspect.getsourcelines(target)
            tree = ast.parse(textwrap.dedent("".join(lines)))
            filename = inspect.getsourcefile(target)
        except (OSError, TypeError, SyntaxError):
            return None
        returns = [
            node.lineno
            for node in _own_nodes(tree.body[0] if tree.body else tree)
            if isinstance(node, ast.Return)
        ]
        return {"file": filename, "line": start + max(returns) - 1} if returns else None

    def tested_definition(self, item: Any) -> Location | None:
        """The `def` line of what the check is about: where to look when no call of it
        returned (it raised, or was never called)."""
        target = self.tested_function(item)
        if target is None:
            return None
        try:
            _, start = inspect.getsourcelines(target)
            return {"file": inspect.getsourcefile(target), "line": start}
        except (OSError, TypeError):
            return None


class ReturnTracer:
    """Where the tested function produced what it returned: the line of the `return` of its
    last call that returned, or, when that returns (or holds first in a tuple) the very
    object one of the learner's own functions returned to it, that function's `return`,
    followed down the calls (`return self._forward(x)[0]` points into `_forward`).

    It traces with sys.settrace (Python 3.10 to 3.13 alike): a call into any other file
    costs one check of its file name, and only the learner's frames are followed, their
    `return` events alone (no line events). Only functions of the tested function's own
    file are followed down: another stage's function returned what it was asked for.
    """

    KEPT = 32  # the latest returns kept per learner frame, to follow an object down

    def __init__(
        self,
        impl_dir: Path,
        find_target: Callable[[], CodeType | None],
        theirs: dict[str, bool] | None = None,
    ) -> None:
        self.impl_dir = impl_dir
        self.target: CodeType | None = None
        self._find_target = find_target  # asked again at each call until found: the module
        # a check is about may be imported only by the check itself
        self.returned: Location | None = None  # of the target's latest call that returned
        # file name -> a learner's file (not validate.py); shared by a run's tracers
        self._theirs: dict[str, bool] = {} if theirs is None else theirs
        self._frames: list[_Frame] = []  # the learner's frames being run, innermost last
        self.called: set[CodeType] = set()  # every function of the learner's that ran
        self._previous: Any = None

    def start(self) -> None:
        self._previous = sys.gettrace()
        sys.settrace(self._tracer())

    def stop(self) -> None:
        sys.settrace(self._previous)
        self._frames.clear()

    def _learner(self, filename: str) -> bool:
        known = self._theirs.get(filename)
        if known is None:
            known = _inside(filename, self.impl_dir) and Path(filename).name not in (
                PROVIDED_MODULES
            )
            self._theirs[filename] = known
        return known

    def _tracer(self) -> Callable[[FrameType, str, Any], Any]:
        """The global trace function: called at every call of any Python function while
        tracing, so it does as little as it can for a frame that is not the learner's."""
        theirs, learner, called, frames, local = (
            self._theirs,
            self._learner,
            self.called,
            self._frames,
            self._local,
        )

        def call(frame: FrameType, event: str, arg: Any) -> Any:
            code = frame.f_code
            known = theirs.get(code.co_filename)
            if known is False or (known is None and not learner(code.co_filename)):
                return None
            if self.target is None:
                self.target = self._find_target()
            called.add(code)
            frame.f_trace_lines = False
            frames.append(_Frame())
            return local

        return call

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "exception":
            if self._frames:
                self._frames[-1].raised = True
            return self._local
        if event != "return" or not self._frames:
            return self._local
        own = self._frames.pop()
        if arg is None and own.raised:
            return None  # an exception leaves the frame: its own traceback says where
        here = frame.f_code.co_filename
        origin = own.origin_of(arg, here) or {"file": here, "line": frame.f_lineno}
        if frame.f_code is self.target:
            self.returned = origin
        if self._frames:
            self._frames[-1].keep(arg, origin, self.KEPT)
        return None


class _Frame:
    """What one running learner frame has been given back by the learner's functions it
    called: weak references to the objects (arrays and the like: a weak reference keeps
    nothing alive, so the learner's objects live and die as without the grader, and
    `ndarray.resize` sees no extra reference) and where each came from."""

    __slots__ = ("raised", "returns")

    def __init__(self) -> None:
        self.raised = False
        self.returns: dict[int, tuple[weakref.ref[Any], Location]] = {}

    def keep(self, value: Any, origin: Location, limit: int) -> None:
        values = [value]
        if type(value) is tuple:
            values += list(value[:4])
        for one in values:
            try:
                ref = weakref.ref(one)
            except TypeError:
                continue  # tuples, numbers, dicts, None: no weak reference, not followed
            self.returns.pop(id(one), None)
            self.returns[id(one)] = (ref, origin)
        while len(self.returns) > limit:
            del self.returns[next(iter(self.returns))]

    def origin_of(self, value: Any, filename: str) -> Location | None:
        """Where `value` (or the first item of a tuple `value`) came from, when a function
        of the same file returned it to this frame: a helper of the same module, whose
        `return` made it. A function of another module (another stage's) only did what it
        was asked with what this frame gave it, so the mistake is here."""
        for one in (value, value[0] if type(value) is tuple and value else None):
            if one is None:
                continue
            found = self.returns.get(id(one))
            if found is not None and found[0]() is one and found[1]["file"] == filename:
                return found[1]
        return None


class Assignments:
    """From a `return` to the line that computed the value a failure names: for a failure
    about `dw` at `return dx, dw, db`, the last assignment to dw above that return (`dw =`,
    `dw +=`, `dw[...] = ...`), read from the learner's source with ast, never run."""

    def __init__(self) -> None:
        self._trees: dict[str, ast.Module | None] = {}

    def last_assignment(self, location: Location, text: str) -> Location:
        named = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text)
        tree = self._tree(str(location.get("file")))
        line = location.get("line")
        if named is None or tree is None or not isinstance(line, int):
            return location
        function = _innermost_function(tree, line)
        if function is None:
            return location
        returned = [
            n for n in _own_nodes(function) if isinstance(n, ast.Return) and n.lineno == line
        ]
        value = returned[0].value if returned else None
        names = value.elts if isinstance(value, ast.Tuple) else [value]
        if named[0] not in {n.id for n in names if isinstance(n, ast.Name)}:
            return location  # the failure is not about a name this return hands back
        lines = [
            n.lineno
            for n in _own_nodes(function)
            if isinstance(n, ast.stmt) and n.lineno < line and named[0] in _assigned_names(n)
        ]
        return {**location, "line": max(lines)} if lines else location

    def _tree(self, filename: str) -> ast.Module | None:
        if filename not in self._trees:
            try:
                self._trees[filename] = ast.parse(Path(filename).read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                self._trees[filename] = None
        return self._trees[filename]


def _innermost_function(tree: ast.AST, line: int) -> ast.AST | None:
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            end = node.end_lineno or node.lineno
            if node.lineno <= line <= end and (best is None or node.lineno > best.lineno):
                best = node
    return best


def _assigned_names(node: ast.AST) -> set[str]:
    """The names a statement assigns to, or writes into (`x[i] = ...`, `x.a += ...`)."""
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
        targets = [node.target]
    else:
        return set()
    names: set[str] = set()
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
        elif isinstance(target, (ast.Starred, ast.Subscript, ast.Attribute)):
            targets.append(target.value)
    return names


def counts_references(impl_dir: Path) -> bool:
    """Whether the learner's modules call something whose result depends on reference
    counts, which tracing changes: ndarray.resize (unless refcheck=False), getrefcount. Read
    from their source (ast), never imported."""
    for path in sorted(impl_dir.glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "getrefcount":
                return True
            if isinstance(node, ast.Name) and node.id == "getrefcount":
                return True
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "resize"
                and not any(k.arg == "refcheck" for k in node.keywords)
            ):
                return True
    return False


def _own_nodes(function: ast.AST) -> list[ast.AST]:
    """The nodes of a function's body, without those of functions or classes inside it."""
    found: list[ast.AST] = []
    todo = list(ast.iter_child_nodes(function))
    while todo:
        node = todo.pop()
        found.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))
    return found


def about_name(item: Any) -> str | None:
    """The name a check's `about` marker gives ("MLP.loss"), or None."""
    marker = item.get_closest_marker(ABOUT) if item is not None else None
    return str(marker.args[0]) if marker is not None and marker.args else None


def upstream_hint(name: str, cause: str) -> str:
    """The hint of a check of `name` that fails because the learner's `cause` does."""
    return (
        f"{name} relies on your {cause}, which fails checks of its own: fix {cause} first "
        "(its checks say how), then run this again."
    )


def refused_its_input(error: BaseException, frame: traceback.FrameSummary) -> bool:
    """Whether `error` is a ValueError or TypeError by which the learner's function at
    `frame` refused its input: raised on that line by a `raise` of its own, or by the
    provided validate.py it called there (not by NumPy deep inside). When the learner's own
    code made that call, the mistake is at the call."""
    if not isinstance(error, (ValueError, TypeError)):
        return False
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    innermost = tb.tb_frame.f_code.co_filename
    if Path(innermost).name in PROVIDED_MODULES:
        return True
    return innermost == frame.filename and (frame.line or "").lstrip().startswith("raise ")


def data_file_error(error: BaseException) -> Record | None:
    """The stage's "error" for a damaged MNIST file under data/ (data.MnistFileError): the
    file named, how to restore it, and no learner file or traceback, since the learner's
    code is not at fault; None for any other exception."""
    # Only a check that loads MNIST imports data/, so a run without one never pays for it.
    module = sys.modules.get("data")
    kind = getattr(module, "MnistFileError", None)
    if not isinstance(kind, type) or not isinstance(error, kind):
        return None
    if Path(getattr(module, "__file__", "") or "").resolve() != ROOT / "data" / "__init__.py":
        return None  # some other package called data, not the kata's loader
    name, problem = str(getattr(error, "name", "?")), str(getattr(error, "problem", error))
    restore = str(getattr(module, "RESTORE", "restore data/{name}")).format(name=name)
    return message(
        MessageKind.DATA,
        f"the kata's MNIST file data/{name} {problem}: the checks cannot run without it "
        "(this is not a problem of your code)",
        restore,
    )


def check_title(item: Any, nodeid: str) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None)
    title = doc.strip().splitlines()[0] if doc else nodeid.split("::")[-1]
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.id:
        title += f"  [{callspec.id}]"
    return title


def describe_import_error(
    error: BaseException, impl_dir: Path, stage_file: str | None = None
) -> Record:
    """The stage's module could not be imported: say where, without a traceback wall. When
    the error lies in another stage's module (affine.py, imported by backward.py), the text
    starts by naming that module and its stage, so that the learner fixes that one."""
    record = _describe_import_error(error, impl_dir)
    where = (record.get("location") or {}).get("file")
    other = BY_MODULE.get(Path(where).name) if where else None
    if other is not None and other.module_file != stage_file:
        record["text"] = (
            f"{other.module_file} (stage {other.number}, {other.name}) does not import: "
            f"{record['text']}"
        )
        record["hint"] = (
            f"fix {other.module_file} first (stage {other.number}): this stage imports it"
        )
    return record


def _describe_import_error(error: BaseException, impl_dir: Path) -> Record:
    if isinstance(error, SyntaxError):
        text = f"SyntaxError: {error.msg}"
        if error.text:
            line = error.text.rstrip("\n")
            stripped = line.lstrip()
            text += f"\n    {stripped}"
            if error.offset:
                indent = max(0, error.offset - 1 - (len(line) - len(stripped)))
                text += "\n    " + " " * indent + "^"
        where = {"file": error.filename, "line": error.lineno}
        return message(MessageKind.ERROR, text, location=where)
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _inside(f.filename, impl_dir)]
    place = {"file": frames[-1].filename, "line": frames[-1].lineno} if frames else None
    if isinstance(error, SystemExit):
        text = "your module called sys.exit() (or exit()) while being imported"
    elif (
        isinstance(error, ModuleNotFoundError)
        and error.name
        and error.name.startswith(f"{PACKAGE}.")
    ):
        text = f"missing module file: {error.name.removeprefix(f'{PACKAGE}.')}.py"
    else:
        text = f"{type(error).__name__}: {error}".replace(f"{PACKAGE}.", "")
    return message(MessageKind.ERROR, text, "fix this first: the module must import cleanly", place)


def _inside(filename: str, directory: Path) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(directory)
    except (OSError, ValueError):
        return False


if __name__ == "__main__":
    sys.exit(main())
