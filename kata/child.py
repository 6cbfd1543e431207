"""One part of one stage's checks, run in a process of its own.

This is the only place where the grader imports a learner's code. It imports the stage
module (an import-time error becomes the stage's "error" status, with file and line), runs
the stage's check file under pytest, turns every check into a plain record (passed, failed,
not started, needs another stage), and sends them as JSON to the grader on the channel of
kata/channel.py (settings in on stdin, the report back on a private copy of stderr: neither
is named in argv). What the learner's code prints goes to this process's stdout, which the
grader captures and trims. Before the learner's code is imported, the child enters the
sandbox the grader asked for, if any (kata/sandbox.py).

    python -m kata.child --stage 3 --part test_3_activations.py --impl DIR
"""

from __future__ import annotations

import argparse
import inspect
import sys
import traceback
from pathlib import Path
from typing import Any

from kata import sandbox
from kata.channel import ChildEnd
from kata.impl import PACKAGE, load_module
from kata.markers import parse_stub_message
from kata.model import CheckStatus, MessageKind
from kata.stages import BY_NUMBER, ROOT

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
        record["error"] = describe_import_error(error, impl_dir)
        channel.send(record)
        return 0

    import pytest

    collector = Collector(stage.number, impl_dir)
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
        self.checks: list[Record] = []
        self.data_error: Record | None = None  # the first damaged data file a check met
        self._items: dict[str, Any] = {}
        self._current: dict[str, Any] = {}

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        self._items = {item.nodeid: item for item in items}

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self._current = {"exceptions": [], "skipped": False, "failed": False}

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
        state = self._current
        exceptions = list(getattr(item, "kata_failures", [])) + state["exceptions"]
        if self.data_error is None:
            self.data_error = next(filter(None, map(data_file_error, exceptions)), None)
        self.checks.append(self.describe_check(item, nodeid, state, exceptions))

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
        location = own_line or self.tested_definition(item)
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
                return {"file": own[-1].filename, "line": own[-1].lineno}
            error = error.__cause__ or error.__context__
        return None

    def tested_definition(self, item: Any) -> Location | None:
        """The `def` line of what the check declares it is about (`@pytest.mark.about`)."""
        marker = item.get_closest_marker(ABOUT) if item is not None else None
        if marker is None or not marker.args:
            return None
        module_name = marker.kwargs.get("module") or getattr(item.module, "STAGE_MODULE", None)
        target: Any = sys.modules.get(f"{PACKAGE}.{module_name}")
        for part in str(marker.args[0]).split("."):
            target = getattr(target, part, None)
        try:
            _, start = inspect.getsourcelines(target)
            return {"file": inspect.getsourcefile(target), "line": start}
        except (OSError, TypeError):
            return None


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


def describe_import_error(error: BaseException, impl_dir: Path) -> Record:
    """The stage's module could not be imported: say where, without a traceback wall."""
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
