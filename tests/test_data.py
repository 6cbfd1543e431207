"""The provided MNIST loader: shapes, dtypes, any working directory, and clear errors."""

import shutil
import subprocess
import sys

import numpy as np
import pytest

import data
from data import MnistFileError, load_mnist
from kata.stages import ROOT


def test_test_split_shapes_and_values():
    images, labels = load_mnist("test")
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10_000,) and labels.dtype == np.uint8
    assert set(np.unique(labels)) == set(range(10))
    assert images.max() == 255 and images.min() == 0


def test_works_from_any_working_directory(tmp_path):
    code = "from data import load_mnist; print(load_mnist('test')[1][:5].tolist())"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env={"PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[7, 2, 1, 0, 4]"  # the well-known first test labels


def test_unknown_split_is_named():
    with pytest.raises(ValueError, match="'validation'"):
        load_mnist("validation")


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_missing_or_corrupt_file_says_which_and_how_to_restore(tmp_path, monkeypatch, damage):
    for name in data.SHA256:
        shutil.copy(ROOT / "data" / name, tmp_path / name)
    victim = tmp_path / "t10k-labels-idx1-ubyte.gz"
    if damage == "missing":
        victim.unlink()
    else:
        victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    with pytest.raises(
        MnistFileError,
        match=rf"{damage}.*t10k-labels-idx1-ubyte.gz.*git checkout"
        if damage == "missing"
        else r"t10k-labels-idx1-ubyte.gz is corrupt.*git checkout",
    ):
        load_mnist("test")
