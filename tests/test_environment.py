"""environment.yml (conda) and requirements.txt (pip) cannot drift apart: conda installs
requirements.txt itself, and any package it also lists takes the same version range."""

import re

from kata.stages import ROOT
from kata.version import MINIMUM


def requirement_lines(name: str) -> list[str]:
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def requirements() -> dict[str, str]:
    """requirements.txt as {name: version range}, e.g. {"numpy": ">=1.26,<3"}."""
    found = {}
    for line in requirement_lines("requirements.txt"):
        name, spec = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", line).groups()
        found[name.lower().replace("_", "-")] = spec.replace(" ", "")
    return found


def conda_dependencies() -> tuple[list[str], list[str]]:
    """environment.yml's conda dependencies and its pip section (a plain reading of the
    simple layout it has: `  - item` under `dependencies:`, `      - item` under `- pip:`)."""
    conda, pip = [], []
    section = None
    for raw in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        line = raw.split(" #")[0].rstrip()
        if not line or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            section = line.rstrip(":") if line.endswith(":") else None
        elif section == "dependencies":
            item = line.strip()[2:].strip()
            indent = len(line) - len(line.lstrip())
            if item == "pip:":
                section = "pip"
            elif indent <= 2:
                conda.append(item)
        elif section == "pip":
            pip.append(line.strip()[2:].strip())
    return conda, pip


def test_the_environment_is_named_and_installs_requirements_txt():
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert re.search(r"^name: numpy-nn-kata$", text, re.MULTILINE)
    conda, pip = conda_dependencies()
    assert pip == ["-r requirements.txt"], pip
    assert "pip" in conda


def test_conda_packages_take_requirements_txt_versions():
    conda, _ = conda_dependencies()
    wanted = requirements()
    for item in conda:
        name, spec = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", item).groups()
        if name == "python":
            assert spec == ">=" + ".".join(str(n) for n in MINIMUM), item
        elif name != "pip":
            assert name in wanted, f"environment.yml has {name}, requirements.txt does not"
            assert spec in ("", wanted[name]), f"{item}: requirements.txt says {wanted[name]}"


def test_the_reading_of_requirements():
    assert requirements()["numpy"] == ">=1.26,<3"
    assert "pytest-check" in requirements()
