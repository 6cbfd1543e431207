"""MNIST, shipped with the kata so that everything works offline (provided code, not an exercise).

The four files are the original distribution of the MNIST database of handwritten digits
(Yann LeCun, Corinna Cortes and Christopher J. C. Burges), in its IDX format, gzipped:
60,000 training and 10,000 test images of 28x28 pixels, each pixel a uint8 in 0..255.

    from data import load_mnist
    images, labels = load_mnist("train")   # uint8 (60000, 28, 28), uint8 (60000,)
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

import numpy as np
import numpy.typing as npt

DATA_DIR = Path(__file__).resolve().parent

# split -> (images file, labels file, number of examples)
SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60_000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10_000),
}

# fmt: off
SHA256 = {
    "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    "t10k-labels-idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
}
# fmt: on

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
RESTORE = "restore it with:  git checkout -- data/{name}"


class MnistFileError(RuntimeError):
    """A data file is missing, corrupt or not in the IDX format.

    name: the file's name in data/; problem: what is wrong with it ("is missing", ...). The
    grader's child reads both to name the file instead of blaming the learner's code.
    """

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"data file {DATA_DIR / name} {problem}; " + RESTORE.format(name=name))


def load_mnist(split: str) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Load one split of MNIST.

    Inputs:
        split: "train" (60,000 examples) or "test" (10,000 examples).
    Returns a tuple of:
        images: uint8 array (N, 28, 28), pixel values 0..255.
        labels: uint8 array (N,), digits 0..9.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    images_name, labels_name, n = SPLITS[split]
    images = _parse_idx(_read_verified(images_name), IMAGES_MAGIC, images_name)
    labels = _parse_idx(_read_verified(labels_name), LABELS_MAGIC, labels_name)
    if images.shape != (n, 28, 28) or labels.shape != (n,):
        damaged = images_name if images.shape != (n, 28, 28) else labels_name
        raise MnistFileError(
            damaged,
            f"does not hold the {split} split: images {images.shape} and labels "
            f"{labels.shape}, expected ({n}, 28, 28) and ({n},)",
        )
    return images, labels


def _read_verified(name: str) -> bytes:
    path = DATA_DIR / name
    if not path.is_file():
        raise MnistFileError(name, "is missing")
    try:
        raw = path.read_bytes()
    except OSError as error:  # unreadable: permissions, a broken link, ...
        raise MnistFileError(name, f"cannot be read ({error.strerror or error})") from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256[name]:
        raise MnistFileError(
            name,
            f"is corrupt (sha256 {digest[:12]}..., expected {SHA256[name][:12]}...)",
        )
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:  # only with a SHA256 table edited too
        raise MnistFileError(name, f"is not a valid gzip file ({error})") from None


def _parse_idx(raw: bytes, magic: int, name: str) -> npt.NDArray[np.uint8]:
    """IDX: a big-endian int32 magic number, one int32 per dimension, then uint8 data."""
    ndim = {IMAGES_MAGIC: 3, LABELS_MAGIC: 1}[magic]
    try:
        header = np.frombuffer(raw, dtype=">i4", count=1 + ndim)
        if header[0] != magic:
            raise MnistFileError(name, f"has magic number {header[0]}, expected {magic}")
        shape = tuple(int(d) for d in header[1:])
        return np.frombuffer(raw, dtype=np.uint8, offset=4 * (1 + ndim)).reshape(shape).copy()
    except ValueError as error:  # too short for its header, or for the shape it declares
        raise MnistFileError(name, f"is not in the IDX format ({error})") from None
