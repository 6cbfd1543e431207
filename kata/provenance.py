"""What a regrade needs to reproduce a result, and what explains a disputed one: the audit's
seed, the hashes of the checks and the data the run used, the kata's version, and the
versions of Python, NumPy and the BLAS library NumPy was built with."""

from __future__ import annotations

import hashlib
import platform
import re
from typing import Any, cast

from kata import shipped
from kata.stages import ROOT


def record(audit_seed: int | None) -> dict[str, Any]:
    files = shipped.hashes()
    return {
        "audit_seed": audit_seed,
        "kata_version": kata_version(),
        "checks_sha256": digest({k: v for k, v in files.items() if k.startswith("checks/")}),
        "data_sha256": digest({k: v for k, v in files.items() if k.startswith("data/")}),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        **numpy_versions(),
    }


def digest(hashes: dict[str, str]) -> str:
    """One hash of many files' hashes, in a fixed order."""
    text = "\n".join(f"{name} {value}" for name, value in sorted(hashes.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def kata_version() -> str:
    try:
        text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    found = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return found.group(1) if found else "unknown"


def numpy_versions() -> dict[str, Any]:
    try:
        import numpy as np
    except ImportError:
        return {"numpy": None, "blas": None}
    blas = None
    try:
        # NumPy 1.25 and later (older type stubs do not know the argument)
        config: Any = cast(Any, np).show_config(mode="dicts")
        found = config["Build Dependencies"]["blas"]
        blas = f"{found.get('name')} {found.get('version')}".strip()
    except Exception:  # an older NumPy or another layout: the version alone still helps
        pass
    return {"numpy": np.__version__, "blas": blas}
