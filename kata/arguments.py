"""Command-line values the grader and the batch accept: a bad one is a usage error (exit 2)
that names it, never a crash or a silent misbehaviour later (nan seconds, a negative seed)."""

from __future__ import annotations

import argparse
import math


def natural(text: str) -> int:
    """A whole number, 0 or more (numpy seeds cannot be negative)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative; give 0 or more")
    return value


def positive(text: str) -> int:
    value = natural(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 is not allowed; give 1 or more")
    return value


def seconds(text: str) -> float:
    """A finite, positive number of seconds (nan and inf are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a finite, positive number of seconds")
    return value
