"""Text is UTF-8, explicitly: no file the project reads or writes, and no child output it
reads, falls back on the platform's default encoding (cp1252 on many Windows machines).

The main entry points run with PYTHONWARNDEFAULTENCODING=1 (inherited by the grader's child
processes) and -W always::EncodingWarning, so that every text I/O without an encoding warns
with its file and line: in the process's own output, or, for the grader's children, in the
`output` of the stages in the JSON. Any such warning from a file of the project fails the test;
third-party modules (jupyter_client, ipykernel, ...) warn too and are left out by their path.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from kata import shipped
from kata.stages import ROOT

WARNING = re.compile(r"(?P<file>[^\s\"']+?):(?P<line>\d+): EncodingWarning\b")
THIRD_PARTY = {"site-packages", "dist-packages"}


def project_warnings(text, root=ROOT):
    """{"path:line"} of the EncodingWarnings in `text` raised by the project's own files."""
    found = set()
    for match in WARNING.finditer(text):
        path = Path(match["file"])
        path = (path if path.is_absolute() else root / path).resolve()
        if path.is_file() and path.is_relative_to(root) and not THIRD_PARTY & set(path.parts):
            found.add(f"{path.relative_to(root).as_posix()}:{match['line']}")
    return found


def outputs_in(document):
    """Every stage's captured child output in a result document (kata/export.py)."""
    return [stage.get("output") or "" for stage in document.get("stages", [])]


def test_no_text_io_without_an_encoding(tmp_path):
    env = {
        **os.environ,
        "PYTHONWARNDEFAULTENCODING": "1",
        "NO_COLOR": "1",
        "KATA_HINT_STATE": str(tmp_path / "hints.json"),
    }
    python = [sys.executable, "-X", "warn_default_encoding", "-W", "always::EncodingWarning"]
    submissions = tmp_path / "submissions"
    shutil.copytree(
        ROOT / "solutions", submissions / "alice", ignore=shutil.ignore_patterns("__pycache__")
    )
    json_files = [tmp_path / f"stage_{n}.json" for n in range(1, 5)]
    commands = {
        **{
            f"grader.py {n} --impl solutions": [
                "grader.py", str(n), "--impl", "solutions", "--json", str(json_files[n - 1])
            ]
            for n in range(1, 5)
        },
        "grader.py --all (stubs)": ["grader.py", "--all", "--json", str(tmp_path / "stubs.json")],
        "grader.py 1 --impl notebooks": [
            "grader.py", "1", "--impl", "notebooks", "--json", str(tmp_path / "notebooks.json")
        ],
        "grader.py hint 1": ["grader.py", "hint", "1"],
        "kata.authoring sync --check": ["-m", "kata.authoring", "sync", "--check"],
        "kata.handout": ["-m", "kata.handout", str(tmp_path / "handout")],
        "kata.batch": [
            "-m", "kata.batch", str(submissions), "--stages", "1",
            "--csv", str(tmp_path / "scores.csv"), "--json-dir", str(tmp_path / "batch"),
        ],
        "pytest tests": [
            "-m", "pytest", "tests/test_sources.py", "tests/test_architecture.py",
            "-q", "-p", "no:cacheprovider",
        ],
        # The grader's children run pytest without its terminal, which keeps the warnings
        # raised inside the checks to itself: the checks themselves run here, as pytest would.
        "pytest checks": [
            "-m", "pytest", "checks", "--ignore=checks/test_8_gate.py", "--impl", "solutions",
            "-q", "-p", "no:cacheprovider",
        ],
    }  # fmt: skip
    started = time.monotonic()
    running = {
        name: subprocess.Popen(
            [*python, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        for name, args in commands.items()
    }
    texts, problems = {}, []
    for name, proc in running.items():
        try:
            texts[name], _ = proc.communicate(timeout=max(1, 150 - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            proc.kill()
            texts[name], _ = proc.communicate()
            problems.append(f"{name}: did not finish")
        if "Traceback" in texts[name]:
            problems.append(f"{name}: crashed\n{texts[name][-2000:]}")
    documents = [tmp_path / "stubs.json", tmp_path / "notebooks.json", *json_files]
    documents += sorted((tmp_path / "batch").glob("*.json"))
    for path in documents:
        if not path.exists():
            problems.append(f"{path.name} was not written")
            continue
        texts[path.name] = "\n".join(outputs_in(json.loads(path.read_text(encoding="utf-8"))))
    for name in ("pytest tests", "pytest checks"):
        if " passed" not in texts[name] or " failed" in texts[name]:
            problems.append(f"{name}: did not pass\n{texts[name][-2000:]}")
    for name, text in texts.items():
        problems += [f"{name}: {where}" for where in sorted(project_warnings(text))]
    assert not problems, "text I/O without encoding= (or a run gone wrong):\n" + "\n".join(problems)


def test_the_warning_filter_keeps_the_project_and_drops_third_parties(tmp_path):
    ours = ["kata/hints.py", "tests/zoo/__init__.py"]
    theirs = [".venv/lib/python3.11/site-packages/ipykernel/connect.py"]
    for name in ours + theirs:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    text = (
        f"{tmp_path}/kata/hints.py:14: EncodingWarning: 'encoding' argument not specified\n"
        "  tests/zoo/__init__.py:43: EncodingWarning: 'encoding' argument not specified\n"
        f"{tmp_path}/{theirs[0]}:78: EncodingWarning: 'encoding' argument not specified\n"
        "/usr/lib/python3/site-packages/jupyter_client/connect.py:572: EncodingWarning: ...\n"
        "<string>:2: EncodingWarning: 'encoding' argument not specified\n"
    )
    assert project_warnings(text, tmp_path) == {"kata/hints.py:14", "tests/zoo/__init__.py:43"}


def test_a_windows_checkout_with_crlf_endings_is_not_taken_for_edited_checks(tmp_path):
    for folder in ("checks", "data"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__py*"))
    for path in (tmp_path / "checks").glob("*.py"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert shipped.hashes(tmp_path) == shipped.hashes(ROOT) == shipped.load()["files"]
    edited = tmp_path / "checks" / "test_1_shapes.py"
    edited.write_bytes(edited.read_bytes() + b"# made easier\r\n")
    assert (
        shipped.hashes(tmp_path)["checks/test_1_shapes.py"]
        != shipped.load()["files"]["checks/test_1_shapes.py"]
    )
