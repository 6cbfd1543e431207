"""Audit an implementation's stages on their own, for the audit's developers:

    python -m kata.audit --impl DIR [--stage N ...] [--seed S]

Every function counts as credited, so every finding is printed. The grader runs the audit
itself when grading for credit (grader.py --audit).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from kata.audit.run import Auditor
from kata.model import StageResult, Status
from kata.runner import Place
from kata.stages import ROOT, STAGES, find_stage


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kata.audit")
    parser.add_argument("--impl", required=True)
    parser.add_argument("--stage", action="append", default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--inputs", action="store_true", help="print the cases' inputs too")
    args = parser.parse_args(argv)
    stages = [find_stage(s) for s in args.stage] if args.stage else list(STAGES)
    auditor = Auditor(stages, ROOT, seed=args.seed)
    print(f"audit seed {auditor.seed}")
    impl = Path(args.impl).resolve()
    worst = 0
    with tempfile.TemporaryDirectory():
        for stage in stages:
            result = StageResult(stage.number, stage.name, stage.title, "", Status.PASSED, 0.0)
            audit = auditor.audit(stage, result, Place(ROOT, impl), lambda _: True)
            print(
                f"stage {stage.number}: {audit.status} ({audit.cases} cases, "
                f"{audit.seconds:.2f} s) {audit.reason}"
            )
            for finding in audit.findings:
                print(f"    {finding.function}: {finding.property} [{finding.case}]")
                if args.inputs:
                    print("      " + json.dumps(asdict(finding)["inputs"])[:400])
            worst = max(worst, len(audit.findings))
    return 1 if worst else 0


if __name__ == "__main__":
    sys.exit(main())
