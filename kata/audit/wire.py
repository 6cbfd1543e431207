"""Plain values on the wire between the audit's trusted process and its evaluator child.

JSON, and nothing that can carry code: numbers, strings, booleans, None, lists, tuples,
dicts with string keys, and NumPy arrays and scalars of numeric or boolean dtype (their
bytes in base64, with dtype and shape). Anything else the learner's code returns crosses as
the name of its type only (`Opaque`). Decoding checks every array's dtype, shape and size,
and how deep and how large the whole is, so a report built by hostile code is either plain
data or refused with a reason (`WireError`); it is never executed.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

# Numeric and boolean kinds only: object arrays (pickles) and strings never cross.
ALLOWED_KINDS = frozenset("biuf")
MAX_DEPTH = 16
MAX_ARRAY_BYTES = 256 * 1024 * 1024


class WireError(ValueError):
    """What came over the wire is not plain data of the agreed form (says why)."""


@dataclass(frozen=True)
class Opaque:
    """A value that cannot cross the wire (a cache, a function): only its type's name."""

    type_name: str


def encode(value: Any, depth: int = 0) -> Any:
    """`value` as JSON-ready plain data."""
    if depth > MAX_DEPTH:
        return {"__opaque__": "nested too deeply"}
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, np.ndarray):
        # np.array(..., subok=False) copies the data into a plain ndarray: a subclass's own
        # methods (a lying __eq__, a custom view) play no part in what is sent
        array = np.array(value, copy=True, subok=False)
        if array.dtype.kind not in ALLOWED_KINDS:
            return {"__opaque__": f"ndarray of dtype {array.dtype}"}
        return {"__array__": _array_fields(array)}
    if isinstance(value, np.generic) and np.dtype(type(value)).kind in ALLOWED_KINDS:
        return {"__scalar__": _array_fields(np.array(value))}
    if isinstance(value, bool | int | float):  # subclasses of Python numbers: their value
        return {"__number__": [type(value).__name__, _plain_number(value)]}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, dict) and all(type(k) is str for k in value):
        return {"__dict__": [[k, encode(v, depth + 1)] for k, v in value.items()]}
    return {"__opaque__": type(value).__qualname__}


def _plain_number(value: bool | int | float) -> bool | int | float:
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    return float(value)


def _array_fields(array: np.ndarray) -> dict[str, Any]:
    contiguous = np.ascontiguousarray(array).reshape(array.shape)  # 0-d stays 0-d
    return {
        "dtype": contiguous.dtype.str,
        "shape": list(contiguous.shape),
        "data": base64.b64encode(contiguous.tobytes()).decode("ascii"),
    }


def decode(data: Any, depth: int = 0) -> Any:
    """Plain data from `encode` back as values; WireError for anything else."""
    if depth > MAX_DEPTH + 1:
        raise WireError("nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(v, depth + 1) for v in data]
    if type(data) is not dict or len(data) != 1:
        raise WireError(f"not a value of the agreed form: {type(data).__name__}")
    ((tag, body),) = data.items()
    if tag == "__array__":
        return _array(body)
    if tag == "__scalar__":
        array = _array(body)
        if array.shape != ():
            raise WireError("a scalar with a shape")
        return array[()]
    if tag == "__number__" and type(body) is list and len(body) == 2:
        return _number(body[1])
    if tag == "__tuple__" and type(body) is list:
        return tuple(decode(v, depth + 1) for v in body)
    if tag == "__dict__" and type(body) is list:
        pairs = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise WireError("a dict entry that is not a [key, value] pair")
            pairs[pair[0]] = decode(pair[1], depth + 1)
        return pairs
    if tag == "__opaque__" and type(body) is str:
        return Opaque(body[:200])
    raise WireError(f"unknown tag {str(tag)[:40]!r}")


def _number(value: Any) -> bool | int | float:
    if type(value) not in (bool, int, float):
        raise WireError("a number that is not a number")
    return value


def _array(body: Any) -> np.ndarray:
    if type(body) is not dict or set(body) != {"dtype", "shape", "data"}:
        raise WireError("an array without exactly dtype, shape and data")
    try:
        dtype = np.dtype(str(body["dtype"]))
    except TypeError as error:
        raise WireError(f"an array of unknown dtype: {error}") from None
    if dtype.kind not in ALLOWED_KINDS or dtype.hasobject or dtype.fields is not None:
        raise WireError(f"an array of dtype {dtype}, not numeric")
    shape = body["shape"]
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        raise WireError("an array whose shape is not a list of sizes")
    count = 1
    for n in shape:
        count *= n
    if count * dtype.itemsize > MAX_ARRAY_BYTES:
        raise WireError("an array larger than the wire allows")
    if type(body["data"]) is not str:
        raise WireError("an array whose data is not text")
    try:
        raw = base64.b64decode(body["data"].encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise WireError("an array whose data is not base64") from None
    if len(raw) != count * dtype.itemsize:
        raise WireError(f"an array of shape {tuple(shape)} with {len(raw)} bytes of data")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def dumps(value: Any) -> str:
    return json.dumps(encode(value))


def loads(text: str) -> Any:
    try:
        return decode(json.loads(text))
    except (ValueError, RecursionError) as error:
        if isinstance(error, WireError):
            raise
        raise WireError(f"not JSON: {error}") from None
