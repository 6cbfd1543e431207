"""What every check file gets: the implementation switch, the stage's module, a seeded rng,
and a `check` that records what went wrong for the grader.

    pytest checks                      # the learner's exercises/
    pytest checks --impl solutions     # the reference
    pytest checks --impl path/to/dir   # a student's submission
"""

import zlib

import numpy as np
import pytest
from pytest_check import check as _pytest_check

from kata import impl as impl_switch

DEFAULT_SEED = 20261122


def pytest_addoption(parser):
    group = parser.getgroup("kata")
    group.addoption(
        "--impl",
        default=None,
        help="exercises (default), solutions, notebooks, or a directory of stage modules",
    )
    group.addoption(
        "--kata-seed",
        type=int,
        default=DEFAULT_SEED,
        help="base seed for every check's rng (vary it to test stability)",
    )


def pytest_configure(config):
    try:
        config.kata_impl_dir = impl_switch.resolve(config.getoption("--impl"))
    except impl_switch.ImplError as error:
        raise pytest.UsageError(str(error)) from None


@pytest.fixture
def load(request):
    """load("affine") -> that stage module of the implementation under test."""
    directory = request.config.kata_impl_dir
    return lambda name: impl_switch.load_module(directory, name)


@pytest.fixture
def impl(request, load):
    """The stage module named by the check file's STAGE_MODULE."""
    return load(request.module.STAGE_MODULE)


@pytest.fixture
def rng(request):
    """A Generator seeded from --kata-seed and the check's name: reproducible, independent."""
    seed = request.config.getoption("--kata-seed")
    return np.random.default_rng([seed, zlib.crc32(request.node.nodeid.encode())])


class RecordingCheck:
    """pytest-check's `check`, which also keeps the exceptions it caught on the test item,
    so that the grader can tell a stub (NotImplementedError) from a wrong answer."""

    def __init__(self, item):
        self._item = item
        item.kata_failures = []

    def __enter__(self):
        _pytest_check.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        __tracebackhide__ = True
        if exc is not None:
            self._item.kata_failures.append(exc)
        return _pytest_check.__exit__(exc_type, exc, tb)

    def __call__(self, msg=None):
        _pytest_check(msg)
        return self


@pytest.fixture
def check(request):
    return RecordingCheck(request.node)
