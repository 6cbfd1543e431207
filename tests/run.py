"""Run a command of the kata as a learner or an instructor would, and read what it said."""

import subprocess

from kata.stages import ROOT


def run(command, *, timeout=60, env=None, cwd=ROOT):
    """The finished process; its output as text (UTF-8, undecodable bytes replaced)."""
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        env=env,
    )
