"""Arrays that lie under comparison: a learner's function returns an ndarray subclass whose
==, -, abs, ufuncs, array functions or .shape agree with anything, or an object whose
__array__ answers differently at every call. The checks compare a plain copy of what came
back, and refuse anything but a numpy.ndarray with a message that says so. That correct
code still passes every fast check is proven in tests/test_solutions.py."""

import json
import shutil
import string

import pytest

from kata.stages import ROOT
from tests.test_grader import assert_no_traceback, grader

# Appended to a copy of a solutions module: `name` then returns `wrap(its real result)`.
# Every way of asking the subclass a question answers "equal", "close", "no difference".
LIARS = string.Template('''

import numpy as _np


class MyArray(_np.ndarray):
    def __eq__(self, other):
        return _np.ones(_np.shape(other), dtype=bool) if _np.ndim(other) else True

    __ne__ = lambda self, other: _np.zeros(_np.shape(other), dtype=bool)  # noqa: E731

    def __sub__(self, other):
        return _np.zeros(_np.shape(other))

    __rsub__ = __sub__

    def __abs__(self):
        return _np.zeros(_np.shape(_np.asarray(self)))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return True

    def __array_function__(self, func, types, args, kwargs):
        return True

    def __array_finalize__(self, obj):
        pass

    def __array_wrap__(self, obj, context=None, return_scalar=False):
        return obj


class Shifty:
    """Not an array at all: every __array__ call gives another answer."""

    calls = 0

    def __init__(self, value):
        self.value = _np.asarray(value)

    def __array__(self, dtype=None, copy=None):
        Shifty.calls += 1
        return self.value * Shifty.calls


class Impostor:
    """Claims to be an ndarray (isinstance believes it) and has its .shape and .dtype."""

    __class__ = property(lambda self: _np.ndarray)

    def __init__(self, value):
        self._value = _np.asarray(value)
        self.shape, self.dtype, self.ndim = self._value.shape, self._value.dtype, self._value.ndim

    def __array__(self, dtype=None, copy=None):
        return self._value


def _lie(value):
    return _np.asarray(value).view(MyArray)


def _wrong_lie(value):
    return (_np.asarray(value) * 3 + 1).astype(_np.asarray(value).dtype).view(MyArray)


WRAPS = {
    "lie": _lie,
    "wrong_lie": _wrong_lie,
    "shifty": Shifty,
    "impostor": Impostor,
}

_real_$name = $name


def $name(*args, **kwargs):
    result = _real_$name(*args, **kwargs)
    wrap = WRAPS["$how"]
    if $tuple_result:
        return (wrap(result[0]), *result[1:])
    return wrap(result)
''')

# (stage, module file, function, returns a tuple whose first item is the array)
TARGETS = [
    (1, "shapes.py", "as_batch", False),
    (1, "shapes.py", "flatten_images", False),  # its MNIST check compares min/max itself
    (3, "activations.py", "sigmoid_forward", True),  # symmetry builds the expected from out
    (4, "softmax.py", "softmax", False),
    (7, "dropout.py", "dropout_forward", True),  # mask checks compare out == 0 themselves
]

SUBCLASS = "(a subclass of numpy.ndarray): return a plain numpy.ndarray"


def lying_copy(tmp_path, file, name, how, tuple_result):
    dest = tmp_path / "impl"
    shutil.copytree(ROOT / "solutions", dest, ignore=shutil.ignore_patterns("__pycache__"))
    module = dest / file
    source = module.read_text(encoding="utf-8")
    assert f"\ndef {name}(" in source, f"solutions/{file} has no {name}"
    code = LIARS.substitute(name=name, how=how, tuple_result=tuple_result)
    module.write_text(source + code, encoding="utf-8")
    return dest


def grade(tmp_path, stage, impl):
    out = tmp_path / "r.json"
    proc = grader(str(stage), "--impl", str(impl), "--json", str(out))
    assert_no_traceback(proc)
    return proc, json.loads(out.read_text(encoding="utf-8"))["stages"][0]


def checks_of(stage_result, name):
    """The checks of function `name`: test_softmax_..., not test_softmax_cross_entropy_..."""
    return [
        c
        for c in stage_result["checks"]
        if c["id"].startswith(f"test_{name}_")
        and not c["id"].startswith("test_softmax_cross_entropy_")
    ]


def texts(checks):
    return [m["text"] for c in checks for m in c["messages"]]


@pytest.mark.parametrize("how", ["lie", "wrong_lie"])
@pytest.mark.parametrize("stage, file, name, tuple_result", TARGETS, ids=[t[2] for t in TARGETS])
def test_a_lying_subclass_is_refused_by_name(tmp_path, stage, file, name, tuple_result, how):
    """Whether it wraps the right value or a wrong one, the subclass never passes a check
    that looks at what the function returned, and the failure says what to return."""
    impl = lying_copy(tmp_path, file, name, how, tuple_result)
    proc, result = grade(tmp_path, stage, impl)
    assert result["status"] == "failing", proc.stdout
    mine = checks_of(result, name)
    looked = [c for c in mine if "rejects" not in c["id"] and "bad_input" not in c["id"]]
    assert looked, [c["id"] for c in mine]
    for check in looked:
        assert check["status"] == "failed", (check["id"], proc.stdout)
        assert any(SUBCLASS in t and "MyArray" in t for t in texts([check])), check
        assert all(m["kind"] == "failed" for m in check["messages"]), check  # not "internal"


@pytest.mark.parametrize("how", ["shifty", "impostor"])
def test_an_object_that_only_acts_like_an_array_is_refused(tmp_path, how):
    impl = lying_copy(tmp_path, "shapes.py", "flatten_images", how, False)
    proc, result = grade(tmp_path, 1, impl)
    assert result["status"] == "failing", proc.stdout
    looked = [c for c in checks_of(result, "flatten_images") if "rejects" not in c["id"]]
    assert looked
    for check in looked:
        assert check["status"] == "failed", (check["id"], proc.stdout)
        assert any("should be a NumPy array, got" in t for t in texts([check])), check
