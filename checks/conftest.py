"""What every check file gets: the implementation switch, the stage's module, a seeded rng,
and a `check` that records what went wrong for the grader; and what every check gives: the
learner's function it is about and the clause of that function's docstring it enforces,
`@pytest.mark.about("MLP.loss", says="grads has exactly the keys")`: the grader points at the
function, and a check may enforce only what the learner can read (tests/test_check_markers.py
finds every `says` in the stub's docstring and in its notebook). A check that a trivial body
can pass ("does not modify its input") says `value=False`: a function earns its points only
once one of its value checks passes (kata/scoring.py).

    pytest checks                      # the learner's exercises/
    pytest checks --impl solutions     # the reference
    pytest checks --impl path/to/dir   # a student's submission
"""

import numpy as np
import pytest
from pytest_check import check as _pytest_check

from kata import impl as impl_switch
from kata.seeds import DEFAULT_SEED, check_seed


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
    config.addinivalue_line(
        "markers",
        "about(name, says, module=None, value=True): the learner's function that a check is "
        "about, "
        'shown when it fails: "log_softmax" or "MLP.loss" in the check file\'s STAGE_MODULE, '
        "or in `module` (another stage's module name) when given; `says` is the phrase of "
        "that function's docstring that the check enforces, word for word; value=False for "
        "a check that a trivial body (return None, zeros) can pass: it alone earns no points.",
    )
    try:
        config.kata_impl_dir = impl_switch.resolve(config.getoption("--impl"))
    except impl_switch.ImplError as error:
        raise pytest.UsageError(str(error)) from None


def pytest_collection_modifyitems(config, items):
    """Every check declares what it is about, exactly once, with a well-formed marker:
    anything else stops the run with a UsageError that names the checks concerned."""
    problems = {}  # one line per check function, however many parameter sets it has
    for item in items:
        problem = about_problem(item)
        if problem is not None:
            where = item.nodeid.split("::")[0] or str(item.path)
            problems[f"{where}::{item.originalname}: {problem}"] = None
    if problems:
        raise pytest.UsageError(
            "every check needs exactly one "
            "@pytest.mark.about(name, says=..., module=None, value=True):"
            "\n  " + "\n  ".join(problems)
        )


def about_problem(item):
    """What is wrong with the `about` marker of a collected check, or None.

    A check is a test of a module that names its STAGE_MODULE; other tests are left alone.
    """
    if getattr(getattr(item, "module", None), "STAGE_MODULE", None) is None:
        return None
    markers = list(item.iter_markers(name="about"))
    if len(markers) != 1:
        return f"{len(markers)} about markers" if markers else "no about marker"
    args, kwargs = markers[0].args, markers[0].kwargs
    if len(args) != 1 or not isinstance(args[0], str) or not args[0]:
        return f'about{args!r} should name one function, e.g. about("MLP.loss")'
    if (
        set(kwargs) - {"module", "says", "value"}
        or not isinstance(kwargs.get("module", ""), str)
        or not isinstance(kwargs.get("value", True), bool)
    ):
        return (
            f'about(..., **{kwargs!r}) accepts only says="<docstring clause>", '
            'module="<stage module name>" and value=False (a check a trivial body passes)'
        )
    says = kwargs.get("says")
    if not isinstance(says, str) or not says.strip():
        return (
            'about(...) needs says="<the docstring clause it enforces>", a phrase of the '
            "function's docstring"
        )
    return None


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
    """A Generator of the check's own, from --kata-seed and its id (kata/seeds.py)."""
    seed = request.config.getoption("--kata-seed")
    return np.random.default_rng(check_seed(seed, request.node.nodeid))


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
