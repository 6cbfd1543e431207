"""The notebooks' setup cell where Colab puts the kata: cloned into a folder inside the
working directory (`!git clone ...` makes /content/<repo>; the kernel's cwd is /content).

The cell runs here with the plain interpreter (no IPython): it finds the clone, sets up the
stage, and, when a requirement is missing, prints the one command that installs them.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kata.notebook.cells import SETUP_TAG, cell_source, cell_tags, stage_notebook
from kata.stages import ROOT

IGNORED = (".git", ".venv", ".ci-venvs", "__pycache__", ".kata", "*_cache")


def kata_files() -> list[str]:
    """The kata's files as a clone has them (tracked or new, not ignored), else everything."""
    try:
        proc = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            timeout=60,
        )
    except OSError:
        return []
    if proc.returncode != 0:
        return []
    return [name for name in proc.stdout.decode().split("\0") if name]


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> Path:
    """tmp/content/kata-clone/: a copy of the kata, as `!git clone` leaves it on Colab."""
    content = tmp_path_factory.mktemp("colab") / "content"
    clone = content / "kata-clone"
    files = kata_files()
    if files:
        for name in files:
            source = ROOT / name
            if source.is_file():
                (clone / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, clone / name)
    else:
        shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(*IGNORED))
    (content / "sample_data").mkdir()  # Colab's own folder, beside the clone
    return content


def setup_cell(stage: int) -> str:
    notebook = json.loads(stage_notebook(stage).read_text(encoding="utf-8"))
    (source,) = [cell_source(c) for c in notebook["cells"] if SETUP_TAG in cell_tags(c)]
    return source


# Appended to the cell in the first test: where `kata` came from, and the session's stage.
PROBE = """
import kata
print("kata from", Path(kata.__file__).parent.parent)
print("session stage", kata_nb.stage.number)
"""


def run_cell(source: str, cwd: Path, pythonpath: Path | None = None):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-c", source],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_setup_cell_finds_a_clone_inside_the_working_directory(content):
    proc = run_cell(setup_cell(1) + PROBE, content)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Stage 1 (" in proc.stdout and "is set up" in proc.stdout
    (found,) = [
        line[len("kata from ") :]
        for line in proc.stdout.splitlines()
        if line.startswith("kata from ")
    ]
    assert Path(found).samefile(content / "kata-clone")
    assert "session stage 1" in proc.stdout


def test_a_missing_requirement_prints_the_install_command(content, tmp_path):
    # pytest_check cannot be imported in this interpreter: as on Colab before `%pip install`.
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\nsys.modules['pytest_check'] = None\n", encoding="utf-8"
    )
    proc = run_cell(setup_cell(1), content, pythonpath=tmp_path)
    requirements = content / "kata-clone" / "requirements.txt"
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    assert "Missing pytest_check." in proc.stdout
    (command,) = [line.strip() for line in proc.stdout.splitlines() if "%pip" in line]
    assert command.startswith("%pip install -r ")
    assert Path(command[len("%pip install -r ") :]).samefile(requirements)
    assert "is set up" not in proc.stdout


def test_no_kata_anywhere_says_how_to_get_it(tmp_path):
    proc = run_cell(setup_cell(1), tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    assert "!git clone" in proc.stdout
