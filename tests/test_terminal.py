"""The grader at any terminal: one that cannot show the kata's characters, a pipe whose reader
stops early, NO_COLOR and --no-color, and a Windows console that needs asking for colour."""

import ctypes
import json
import os
import shutil
import subprocess
import sys

import pytest

from kata import render
from kata.stages import ROOT, STAGES


def grader(*args, env=None, timeout=120):
    return subprocess.run(
        [sys.executable, str(ROOT / "grader.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def printing_copy(tmp_path):
    """solutions/ whose shapes.py prints non-ASCII text, then fails to import with some."""
    dest = tmp_path / "impl"
    shutil.copytree(ROOT / "solutions", dest, ignore=shutil.ignore_patterns("__pycache__"))
    source = (dest / "shapes.py").read_text(encoding="utf-8")
    prefix = 'print("learner says ✓ ≈ → —")\nraise ImportError("x → y")\n'
    (dest / "shapes.py").write_text(prefix + source, encoding="utf-8")
    return dest


def test_an_ascii_terminal_gets_ascii_symbols_and_no_traceback():
    proc = grader("--impl", "solutions", "1", env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.isascii()
    assert "  + stage 1  shapes" in proc.stdout and "[###" in proc.stdout


def test_an_ascii_terminal_shows_what_it_cannot_encode_as_question_marks(tmp_path):
    impl = printing_copy(tmp_path)
    proc = grader("--impl", str(impl), "1", env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "ImportError: x ? y" in proc.stdout
    assert "| learner says ? ? ? ?" in proc.stdout


def test_a_learners_print_survives_a_non_utf8_pipe_intact(tmp_path):
    # What Windows gives a child's pipe by default: the child still prints UTF-8.
    impl = printing_copy(tmp_path)
    out = tmp_path / "result.json"
    proc = grader("--impl", str(impl), "1", "--json", str(out), env={"PYTHONIOENCODING": "cp1252"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    stage = json.loads(out.read_text(encoding="utf-8"))["stages"][0]
    assert stage["status"] == "error"
    assert stage["output"] == "learner says ✓ ≈ → —\n"
    assert "x → y" in stage["error"]["text"]


def test_every_tip_survives_an_ascii_terminal(tmp_path):
    state = tmp_path / "hints.json"
    state.write_text(json.dumps({str(s.number): 99 for s in STAGES}), encoding="utf-8")
    env = {"PYTHONIOENCODING": "ascii", "KATA_HINT_STATE": str(state)}
    for stage in STAGES:  # with that state, every tip of the stage is shown
        proc = grader("hint", str(stage.number), env=env)
        assert proc.returncode == 0 and not proc.stderr, proc.stderr
        assert "(run it again" not in proc.stdout


def test_a_reader_that_stops_early_ends_the_grader_quietly():
    # python grader.py --impl solutions 1 | head -1
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "grader.py"), "--impl", "solutions", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away; the grader's next write hits a broken pipe
    try:
        _, errors = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert first.startswith(b"NumPy neural-network kata")
    assert errors.decode("utf-8", "replace") == ""  # no traceback, no "Exception ignored"
    assert proc.returncode == 1  # the run did not finish: not a pass


@pytest.mark.skipif(shutil.which("sh") is None or shutil.which("head") is None, reason="no sh")
def test_piped_into_head_there_is_no_traceback():
    command = f'"{sys.executable}" grader.py --impl solutions 1 | head -1'
    proc = subprocess.run(
        ["sh", "-c", command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=60,
    )
    assert proc.stdout.startswith("NumPy neural-network kata") and proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and not proc.stderr, proc.stderr


class Terminal:
    """A stream that says it is a terminal."""

    encoding = "utf-8"

    def isatty(self):
        return True


class NotATerminal(Terminal):
    def isatty(self):
        return False


def test_colour_on_a_terminal_unless_no_color_or_a_dumb_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert render.use_colour(Terminal())
    assert not render.use_colour(NotATerminal())
    monkeypatch.setenv("NO_COLOR", "")  # https://no-color.org: set *and* not empty
    assert render.use_colour(Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not render.use_colour(Terminal())
    assert render.use_colour(Terminal(), choice=True)  # --color overrides NO_COLOR
    monkeypatch.delenv("NO_COLOR")
    assert not render.use_colour(Terminal(), choice=False)  # --no-color
    monkeypatch.setenv("TERM", "dumb")
    assert not render.use_colour(Terminal())


def test_color_and_no_color_flags_decide_the_output():
    env = {"NO_COLOR": ""}
    coloured = grader("--impl", "solutions", "1", "--color", env=env)
    plain = grader("--impl", "solutions", "1", "--no-color", env=env)
    assert coloured.returncode == plain.returncode == 0, coloured.stderr + plain.stderr
    assert "\033[32m" in coloured.stdout
    assert "\033[" not in plain.stdout


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize(
    ("extra", "env", "coloured"),
    [([], {}, True), ([], {"NO_COLOR": "1"}, False), (["--no-color"], {}, False)],
)
def test_at_a_real_terminal(extra, env, coloured):
    leader, follower = os.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    environment.update(env, TERM="xterm")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "grader.py"), "--impl", "solutions", "1", *extra],
        cwd=ROOT,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=environment,
    )
    os.close(follower)
    output = b""
    try:
        while chunk := os.read(leader, 65536):
            output += chunk
    except OSError:  # Linux: the terminal is gone once the grader exits
        pass
    finally:
        os.close(leader)
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
    proc.stderr.close()
    assert b"stage 1  shapes" in output
    assert (b"\033[" in output) == coloured


class FakeKernel32:
    """Windows' console calls, as ansi_codes_work makes them: mode None = not a console."""

    def __init__(self, mode=3, accepts=True):
        self.mode, self.accepts, self.set_to = mode, accepts, None

    def GetStdHandle(self, which):
        assert which == -11  # STD_OUTPUT_HANDLE
        return 1234

    def GetConsoleMode(self, handle, mode):
        if self.mode is None:
            return 0
        mode.contents.value = self.mode
        return 1

    def SetConsoleMode(self, handle, mode):
        assert handle == 1234
        self.set_to = mode
        return int(self.accepts)


class Broken:
    def __getattr__(self, name):
        raise OSError(f"no {name} here")


def test_virtual_terminal_processing_is_turned_on_on_windows():
    kernel32 = FakeKernel32(mode=3)
    assert render.ansi_codes_work("win32", kernel32)
    assert kernel32.set_to == 3 | 0x0004


def test_no_colour_on_windows_when_the_console_refuses():
    assert not render.ansi_codes_work("win32", FakeKernel32(accepts=False))
    redirected = FakeKernel32(mode=None)
    assert not render.ansi_codes_work("win32", redirected)
    assert redirected.set_to is None
    assert not render.ansi_codes_work("win32", Broken())


def test_elsewhere_ansi_codes_just_work():
    assert render.ansi_codes_work("linux", Broken())
    assert render.ansi_codes_work("darwin", Broken())


def test_use_colour_on_windows_asks_the_console(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(render, "_windows_kernel32", lambda: FakeKernel32())
    assert render.use_colour(Terminal())
    monkeypatch.setattr(render, "_windows_kernel32", lambda: FakeKernel32(accepts=False))
    assert not render.use_colour(Terminal())
    monkeypatch.setattr(render, "_windows_kernel32", Broken)
    assert not render.use_colour(Terminal())


def test_the_fake_takes_what_ctypes_passes():
    # ansi_codes_work hands GetConsoleMode a ctypes pointer to a DWORD, as Windows wants.
    mode = ctypes.c_uint32()
    assert FakeKernel32(mode=7).GetConsoleMode(1234, ctypes.pointer(mode)) == 1
    assert mode.value == 7
