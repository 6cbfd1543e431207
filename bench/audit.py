"""What the audit (kata/audit/) adds to a submission's grading, on the reference solutions.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/audit.py [--runs 3]

Runs `grader.py --impl solutions` without and with the audit, alternately (machine noise
hits both), and prints the medians: the whole run's wall time either way; the audit of the
stages' cases (all 8 stages, the gate excluded) as the extra wall time less the gate's audit;
and the gate's audit against one run of the gate's own training. (The gate's checks train
for a few seconds more or less from run to run: that difference is taken out too.) The
issue's bars: at most 5 s for the stages' cases, and one more training run plus at most
2 s for the gate.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def grade(audit: bool, out: Path) -> dict:
    flag = "--audit" if audit else "--no-audit"
    command = [sys.executable, "grader.py", "--impl", "solutions", flag, "--json", str(out)]
    subprocess.run(command, cwd=ROOT, capture_output=True, check=False, timeout=1200)
    return json.loads(out.read_text(encoding="utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {}

    def note(name: str, value: float) -> None:
        rows.setdefault(name, []).append(value)

    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            plain = grade(False, Path(tmp) / f"plain{run}.json")
            audited = grade(True, Path(tmp) / f"audited{run}.json")
            gate = audited["stages"][-1]["gate"]
            assert audited["points"] == 100, audited["points"]
            assert all(s["audit"]["status"] == "agreed" for s in audited["stages"])
            extra = audited["seconds"] - plain["seconds"]
            note("grading without the audit, s", plain["seconds"])
            note("grading with the audit, s", audited["seconds"])
            note("the audit in all, s", extra)
            # less the gate's audit, and less what the checks' own gate took more or less
            # this time (its training varies by seconds from run to run)
            noise = gate["part_seconds"] - plain["stages"][-1]["gate"]["part_seconds"]
            note(
                "the stages' cases (8 stages, gate excluded), s",
                extra - gate["audit_seconds"] - noise,
            )
            note("the gate's own training (checks), s", gate["seconds"])
            note("the gate's audit, s", gate["audit_seconds"])
            note("  of which its training run, s", gate["audit_training_seconds"])
            note(
                "  the rest (start, data, measuring), s",
                gate["audit_seconds"] - gate["audit_training_seconds"],
            )
            print(f"run {run + 1}: {extra:.2f} s more with the audit", file=sys.stderr)
    width = max(map(len, rows))
    print(f"{'median of ' + str(args.runs) + ' paired runs':<{width}}   min     median  max")
    for name, values in rows.items():
        print(
            f"{name:<{width}}  {min(values):6.2f}  {statistics.median(values):6.2f}  "
            f"{max(values):6.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
