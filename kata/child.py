"""One part of one stage's checks, run in a process of its own.

This is the only place where the grader imports a learner's code. It imports the stage
module (an import-time error becomes the stage's "error" status, with file and line), runs
the stage's check file under pytest, turns every check into a plain record (passed, failed,
not started, needs another stage), and writes them as JSON for the grader to read. What the
learner's code prints goes to this process's stdout, which the grader captures and trims.

    python -m kata.child --stage 3 --part test_3_activations.py --impl DIR --results OUT.json
"""

import argparse
import json
import os
import re
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROVIDED_MODULES = {"validate.py"}
STUB_MESSAGE = re.compile(r"^stage (\d+): (\S+)$")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--stage", type=int, required=True)
    parser.add_argument("--part", required=True)
    parser.add_argument("--impl", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--hang-after", type=float, default=None)
    args = parser.parse_args(argv)
    if args.hang_after:
        # Just before the grader kills us for taking too long, write where every thread is,
        # so that a time-out can point at the learner's line that never finishes.
        import faulthandler

        hang_file = open(f"{args.results}.hang", "w")
        faulthandler.dump_traceback_later(args.hang_after, exit=False, file=hang_file)

    sys.dont_write_bytecode = True  # never leave __pycache__ in a student's directory
    sys.path.insert(0, str(ROOT))
    from kata.impl import load_module
    from kata.stages import BY_NUMBER

    stage = BY_NUMBER[args.stage]
    impl_dir = Path(args.impl).resolve()
    record = {"stage": stage.number, "part": args.part, "error": None, "checks": []}
    try:
        load_module(impl_dir, stage.name)
    except BaseException as error:  # SyntaxError, ImportError, SystemExit at import, ...
        record["error"] = describe_import_error(error, impl_dir)
        write_json(args.results, record)
        return 0

    import pytest

    collector = Collector(stage.number, impl_dir)
    pytest_args = [
        str(ROOT / "checks" / args.part),
        "--impl", str(impl_dir),
        "-p", "no:cacheprovider",
        "-p", "no:terminal",
        "--capture=no",  # the learner's prints stream to our stdout, for the grader to trim
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
    ]
    if args.seed is not None:
        pytest_args += ["--kata-seed", str(args.seed)]
    code = pytest.main(pytest_args, plugins=[collector])
    if code not in (0, 1) and not collector.checks:
        record["error"] = {"text": f"the checks could not run (pytest exit code {int(code)})",
                           "location": None, "hint": None, "kind": "internal"}
    record["checks"] = collector.checks
    write_json(args.results, record)
    return 0


def write_json(path, record):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as handle:
        json.dump(record, handle)
    os.replace(tmp, path)


class Collector:
    """A pytest plugin that keeps one record per check, in the grader's terms."""

    def __init__(self, stage_number, impl_dir):
        self.stage_number = stage_number
        self.impl_dir = impl_dir
        self.checks = []
        self._current = {}

    def pytest_runtest_logstart(self, nodeid, location):
        self._current = {"exceptions": [], "skipped": False, "failed": False}

    def pytest_runtest_makereport(self, item, call):
        if call.excinfo is not None:
            import pytest

            if call.excinfo.errisinstance(pytest.skip.Exception):
                self._current["skipped"] = True
            else:
                self._current["exceptions"].append(call.excinfo.value)

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self._current["failed"] = True

    def pytest_runtest_logfinish(self, nodeid, location):
        item = self._items.get(nodeid)
        state = self._current
        exceptions = list(getattr(item, "kata_failures", [])) + state["exceptions"]
        self.checks.append(self.describe_check(item, nodeid, state, exceptions))

    def pytest_collection_modifyitems(self, items):
        self._items = {item.nodeid: item for item in items}

    # -- turning a check's exceptions into a record -------------------------------------

    def describe_check(self, item, nodeid, state, exceptions):
        title = check_title(item, nodeid)
        properties = dict(getattr(item, "user_properties", []) or [])
        if state["skipped"] and not exceptions:
            status, messages = "skipped", []
        elif not exceptions and not state["failed"]:
            status, messages = "passed", []
        else:
            messages = [self.describe_exception(item, e) for e in exceptions]
            if not messages:
                messages = [{"kind": "failed", "text": "the check failed", "hint": None,
                             "location": None}]
            kinds = {m["kind"] for m in messages}
            if kinds == {"not_started"}:
                status = "not_started"
            elif kinds <= {"not_started", "needs"}:
                status = "needs"
            else:
                status = "failed"
                messages = [m for m in messages if m["kind"] not in ("not_started", "needs")] + [
                    m for m in messages if m["kind"] in ("not_started", "needs")
                ]
        return {"id": nodeid.split("::", 1)[-1], "title": title, "status": status,
                "messages": messages, "properties": properties}

    def describe_exception(self, item, error):
        location = self.learner_location(error) or self.tested_definition(item)
        if isinstance(error, NotImplementedError):
            match = STUB_MESSAGE.match(str(error))
            if match and int(match.group(1)) != self.stage_number:
                return {"kind": "needs", "needs": int(match.group(1)),
                        "text": f"needs stage {match.group(1)}: {match.group(2)} still raises "
                                "NotImplementedError",
                        "hint": None, "location": location}
            what = match.group(2) if match else str(error) or "this function"
            return {"kind": "not_started", "text": f"{what} is not written yet",
                    "hint": None, "location": location}
        hint = getattr(error, "hint", None)
        if isinstance(error, AssertionError) and hasattr(error, "message"):
            return {"kind": "failed", "text": error.message, "hint": hint, "location": location}
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        if isinstance(error, AssertionError):
            text = str(error)
        internal = self.learner_location(error) is None and not isinstance(error, AssertionError)
        if isinstance(error, AttributeError) and "kata_impl" in str(error):
            text = f"{error}".replace("module 'kata_impl.", "module '")
            internal = False
        if isinstance(error, SystemExit):
            text = f"your code called sys.exit({error.code!r}) (or exit()): return a value instead"
        return {"kind": "internal" if internal else "failed", "text": text.replace(
            "kata_impl.", ""), "hint": hint, "location": location,
            **({"traceback": "".join(traceback.format_exception(error))[-3000:]}
               if internal else {})}

    def learner_location(self, error):
        """The deepest frame inside the learner's files, following chained exceptions."""
        seen = set()
        while error is not None and id(error) not in seen:
            seen.add(id(error))
            frames = [f for f in traceback.extract_tb(error.__traceback__) if self.is_learner(f.filename)]
            # the provided validate.py is not where the learner's mistake is: prefer their code
            own = [f for f in frames if Path(f.filename).name not in PROVIDED_MODULES] or frames
            if own:
                return {"file": own[-1].filename, "line": own[-1].lineno}
            error = error.__cause__ or error.__context__
        return None

    def is_learner(self, filename):
        return _inside(filename, self.impl_dir)

    def tested_definition(self, item):
        """The `def` line of the function a check is about, found from the check's name."""
        module = getattr(getattr(item, "module", None), "STAGE_MODULE", None)
        if item is None or module is None:
            return None
        implementation = sys.modules.get(f"kata_impl.{module}")
        if implementation is None:
            return None
        import inspect

        name = item.originalname.removeprefix("test_").lower() + "_"
        candidates = []
        for attr, value in vars(implementation).items():
            if getattr(value, "__module__", None) != implementation.__name__:
                continue
            candidates.append((attr.lower(), value))
            if inspect.isclass(value):
                for meth, func in vars(value).items():
                    if inspect.isfunction(func) and (meth == "__init__" or not meth.startswith("_")):
                        candidates.append((f"{attr}_{meth.strip('_')}".lower(), func))
        matches = [(len(key), value) for key, value in candidates if name.startswith(key + "_")]
        if not matches:
            return None
        target = max(matches, key=lambda m: m[0])[1]
        try:
            lines, start = inspect.getsourcelines(target)
            return {"file": inspect.getsourcefile(target), "line": start}
        except (OSError, TypeError):
            return None


def check_title(item, nodeid):
    doc = getattr(getattr(item, "function", None), "__doc__", None)
    title = doc.strip().splitlines()[0] if doc else nodeid.split("::")[-1]
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.id:
        title += f"  [{callspec.id}]"
    return title


def describe_import_error(error, impl_dir):
    """The stage's module could not be imported: say where, without a traceback wall."""
    if isinstance(error, SyntaxError):
        where = {"file": error.filename, "line": error.lineno}
        text = f"SyntaxError: {error.msg}"
        if error.text:
            line = error.text.rstrip("\n")
            stripped = line.lstrip()
            text += f"\n    {stripped}"
            if error.offset:
                text += "\n    " + " " * max(0, error.offset - 1 - (len(line) - len(stripped))) + "^"
        return {"kind": "error", "text": text, "hint": None, "location": where}
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if _inside(f.filename, impl_dir)]
    where = {"file": frames[-1].filename, "line": frames[-1].lineno} if frames else None
    if isinstance(error, SystemExit):
        text = "your module called sys.exit() (or exit()) while being imported"
    elif isinstance(error, ModuleNotFoundError) and error.name and error.name.startswith("kata_impl."):
        text = f"missing module file: {error.name.removeprefix('kata_impl.')}.py"
    else:
        text = f"{type(error).__name__}: {error}".replace("kata_impl.", "")
    return {"kind": "error", "text": text, "hint": "fix this first: the module must import cleanly",
            "location": where}


def _inside(filename, directory):
    try:
        return Path(filename).resolve().is_relative_to(directory)
    except (OSError, ValueError):
        return False


if __name__ == "__main__":
    sys.exit(main())
