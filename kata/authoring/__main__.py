"""`python -m kata.authoring sync [--check]`: bring everything generated from solutions/ and
checks/ up to date (exercises/, notebooks/, kata/manifest.json), or report what drifted."""

from __future__ import annotations

import argparse
import sys

from kata.authoring import manifest, notebooks, stubgen

# In order: the manifest records the stubs just written.
TOOLS = (stubgen.main, notebooks.main, manifest.main)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kata.authoring", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("command", choices=["sync"])
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    args = parser.parse_args(argv)
    worst = 0
    for tool in TOOLS:
        worst = max(worst, tool(["--check"] if args.check else []))
    return worst


if __name__ == "__main__":
    sys.exit(main())
