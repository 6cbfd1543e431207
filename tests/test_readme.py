"""The README's setup commands are the ones CI runs, and name the files that exist."""

import re

from kata.stages import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command_exactly():
    block = re.search(r"```sh\n(.*?)```", README, re.DOTALL)
    assert block, "README.md's quick start has a ```sh block"
    setup, tests = block.group(1).strip().splitlines()
    assert setup.startswith("python3 -m venv .venv && ")
    assert tests == ".venv/bin/pip install -r requirements-dev.txt && .venv/bin/python -m pytest"
    assert f"'{tests}'" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_github_workflow_runs_the_same_tests():
    workflow = (ROOT / ".github" / "workflows" / "tests.yml").read_text(encoding="utf-8")
    assert "python -m pip install -r requirements-dev.txt" in workflow
    assert re.search(r"^\s+run: python -m pytest$", workflow, re.MULTILINE)
    for os_name in ("ubuntu-latest", "macos-latest", "windows-latest"):
        assert os_name in workflow


def test_the_windows_lines_have_no_double_ampersand():
    """Windows PowerShell 5.1 has no `&&`: one command per line."""
    block = re.search(r"```powershell\n(.*?)```", README, re.DOTALL)
    assert block
    lines = block.group(1).strip().splitlines()
    assert lines[0] == "py -m venv .venv"
    assert all("&&" not in line for line in lines)


def test_the_conda_commands_name_the_environment_file():
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    name = re.search(r"^name: (\S+)$", text, re.MULTILINE)
    assert name
    assert "conda env create -f environment.yml" in README
    assert f"conda activate {name.group(1)}" in README
