"""Feedback that points at the mistake: a wrong value is located at the `return` that
produced it (never the `def` line), a refused input at the learner's call that passed it,
and an import error in an earlier stage's module names that module and its stage."""

from kata.grading import grade
from kata.model import CheckStatus, Message, StageResult, Status
from kata.render import erring_file
from kata.stages import BY_NUMBER, ROOT
from tests.zoo import all_mutants

ZOO = {m.name: m for m in all_mutants()}


def failing_locations(mutant, tmp_path):
    impl = mutant.materialize(tmp_path / mutant.name)
    result = grade(str(impl), [BY_NUMBER[mutant.stage]], audit=False).stages[0]
    assert result.status == Status.FAILING, result.error
    lines = (impl / mutant.file).read_text(encoding="utf-8").splitlines()
    located = [
        (m.location, lines[int(m.location.rpartition(":")[2]) - 1].strip())
        for c in result.checks
        if c.status == CheckStatus.FAILED
        for m in c.messages
        if m.location and m.location.rpartition(":")[0].endswith(mutant.file)
    ]
    assert located, "no failure points into the mutated file"
    return located


def test_a_wrong_value_is_located_where_it_was_computed(tmp_path):
    # the 1/N missing: what is shown is the last line that wrote dlogits before the return
    # (the returned name the failure is about), else the return itself; never the def
    for _, line in failing_locations(ZOO["ce_grad_missing_n"], tmp_path):
        assert line.startswith(("return ", "dlogits", "loss")), line
        assert not line.startswith("def "), line
    # dw transposed: "dw has shape ..." points at the line that computed dw
    shown = failing_locations(ZOO["backward_dw_transposed"], tmp_path)
    assert "dw = dout.T @ x_rows" in {line for _, line in shown}, shown
    for _, line in shown:
        assert not line.startswith("def "), line


def test_a_value_returned_from_a_helper_of_the_same_module_points_into_the_helper(tmp_path):
    # forward() returns what _forward returned: the line shown is _forward's return; the
    # predict checks fail too, at predict's own return (argmax of what _forward gave it)
    mutant = ZOO["mlp_dropout_in_eval_mode"]
    first, last = mutant.region()[1:]
    located = failing_locations(mutant, tmp_path)
    in_forward = [w for w, _ in located if first <= int(w.rpartition(":")[2]) <= last]
    assert in_forward, located
    for where, line in located:
        if where not in in_forward:
            assert line == "return logits.argmax(axis=1)", (where, line)


def test_a_refused_input_points_at_the_learners_call_that_passed_it(tmp_path):
    # every layer computed from x: affine_forward (stage 2, correct) refuses the shapes,
    # and the line shown is the call in MLP._forward, not affine.py's validation
    mutant = ZOO["mlp_forward_not_chained"]
    first, last = mutant.region()[1:]
    impl = mutant.materialize(tmp_path / "impl")
    result = grade(str(impl), [BY_NUMBER[5]], audit=False).stages[0]
    raised = [
        m for c in result.checks for m in c.messages if "raised ValueError" in m.text and m.location
    ]
    assert raised
    for message in raised:
        path, _, line = message.location.rpartition(":")
        assert path.endswith("backward.py") and first <= int(line) <= last, message.location


def test_a_syntax_error_in_an_earlier_stage_names_that_module_and_stage(tmp_path):
    from kata.render import Painter, stage_detail

    impl = tmp_path / "impl"
    ZOO["ce_grad_missing_n"].materialize(impl)  # any copy of solutions/
    affine = impl / "affine.py"
    affine.write_text(
        affine.read_text(encoding="utf-8").replace("def affine_forward(", "def affine_forward(:"),
        encoding="utf-8",
    )
    run = grade(str(impl), [BY_NUMBER[5]], audit=False)
    stage = run.stages[0]
    assert stage.status == Status.ERROR
    assert "affine.py (stage 2" in stage.error.text, stage.error.text
    assert "backward.py" not in stage.error.text
    text = "\n".join(stage_detail(stage, Painter(False, True), run, "python grader.py"))
    next_line = next(line for line in text.splitlines() if "next:" in line)
    assert "affine.py (stage 2)" in next_line and "grader.py 2" in next_line, next_line
    assert "backward.py" not in next_line


def test_the_next_step_of_a_notebook_error_names_the_notebook_it_lies_in():
    stage = StageResult(
        5, "backward", "backward pass", "notebooks/5_backward.ipynb", Status.ERROR, 20.0
    )
    stage.error = Message("SyntaxError: ...", location="notebooks/2_affine.ipynb, cell 4, line 2")
    assert erring_file(stage) == ("notebooks/2_affine.ipynb", 2)
    stage.error = Message("SyntaxError: ...", location="notebooks/5_backward.ipynb, cell 3, line 1")
    assert erring_file(stage) == ("notebooks/5_backward.ipynb", 5)
    stage.error = Message("SyntaxError: ...", location="exercises/backward.py:12")
    assert erring_file(stage) == ("exercises/backward.py", 5)


def test_a_mutants_region_is_the_function_it_edits():
    name, first, last = ZOO["ce_grad_missing_n"].region()
    assert name == "softmax_cross_entropy" and first < last
    assert ZOO["mlp_forward_not_chained"].region()[0] == "MLP._forward"


def test_the_tracer_finds_the_return_and_what_ran(tmp_path):
    """ReturnTracer alone, on every Python the kata supports: the target's last return that
    returned (a call that raised does not count), followed into a helper of the same file
    whose object it returns, and every learner function that ran, generators included."""
    import sys

    from kata.child import ReturnTracer

    (tmp_path / "tracee.py").write_text(
        "def helper(x):\n"
        "    y = Box()\n"
        "    return y\n"  # line 3
        "\n"
        "\n"
        "def target(x):\n"
        "    if x < 0:\n"
        "        raise ValueError('negative')\n"
        "    out = helper(x)\n"
        "    return out\n"
        "\n"
        "\n"
        "def own(x):\n"
        "    return [x]\n"  # line 14
        "\n"
        "\n"
        "def numbers(n):\n"
        "    yield from range(n)\n"
        "\n"
        "\n"
        "class Box:\n"
        "    pass\n",
        encoding="utf-8",
    )
    sys.path.insert(0, str(tmp_path))
    try:
        import tracee
    finally:
        sys.path.remove(str(tmp_path))
    tracer = ReturnTracer(tmp_path.resolve(), lambda: tracee.target.__code__)
    tracer.start()
    try:
        tracee.target(3)
        try:
            tracee.target(-1)
        except ValueError:
            pass
        list(tracee.numbers(3))
    finally:
        tracer.stop()
    assert tracer.returned == {"file": tracee.__file__, "line": 3}
    assert {c.co_name for c in tracer.called} == {"target", "helper", "numbers"}
    tracer = ReturnTracer(tmp_path.resolve(), lambda: tracee.own.__code__)
    tracer.start()
    try:
        tracee.own(1)
    finally:
        tracer.stop()
    assert tracer.returned == {"file": tracee.__file__, "line": 14}
    assert sys.gettrace() is None


def test_a_notebook_error_in_an_earlier_stage_names_that_notebook(tmp_path):
    """Graded as notebooks, a SyntaxError in 2_affine's exercise cell makes stage 5 say to fix
    notebooks/2_affine.ipynb (stage 2), not the stage's own notebook."""
    import json
    import sys

    from kata.authoring import notebooks
    from tests.run import copy_kata, run

    home = copy_kata(tmp_path / "kata")
    notebooks.write_all(home / "notebooks", stub=False, force=True)
    path = home / "notebooks" / "2_affine.ipynb"
    book = json.loads(path.read_text(encoding="utf-8"))
    for cell in book["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and "def affine_forward(" in source:
            cell["source"] = source.replace("def affine_forward(", "def affine_forward(:")
            break
    path.write_text(json.dumps(book), encoding="utf-8")
    proc = run(
        [sys.executable, "grader.py", "--impl", "notebooks", "--all", "--no-color", "5"],
        cwd=home,
        timeout=120,
    )
    next_line = next(line for line in proc.stdout.splitlines() if "next:" in line)
    assert "notebooks/2_affine.ipynb (stage 2)" in next_line, proc.stdout
    assert "grader.py 2" in next_line and "5_backward" not in next_line, next_line


def test_code_that_depends_on_reference_counts_runs_untraced_and_passes(tmp_path):
    """Tracing adds a reference in C calls on Python 3.10/3.11, so ndarray.resize (refcheck)
    would refuse a correct learner's own array: such code runs untraced, still passes, and a
    wrong value is still located at a `return` (read from the source), not at the `def`."""
    impl = ZOO["as_batch_column"].materialize(tmp_path / "impl")  # a copy of solutions/
    shapes = impl / "shapes.py"
    source = shapes.read_text(encoding="utf-8")
    resized = (
        "        out = np.array(x, copy=True)\n"
        "        out.resize((1, x.size))\n"
        "        return out\n"
    )
    # restore the solution's line first: the mutant's copy is a wrong as_batch
    original = (ROOT / "solutions" / "shapes.py").read_text(encoding="utf-8")
    source = original.replace("        return x.reshape(1, -1)\n", resized)
    shapes.write_text(source, encoding="utf-8")
    result = grade(str(impl), [BY_NUMBER[1]], audit=False).stages[0]
    assert result.status == Status.PASSED, [m.text for c in result.checks for m in c.messages]
    shapes.write_text(source.replace("out.resize((1, x.size))", "out.resize((x.size, 1))"), "utf-8")
    result = grade(str(impl), [BY_NUMBER[1]], audit=False).stages[0]
    assert result.status == Status.FAILING
    lines = source.splitlines()
    shown = [
        m.location
        for c in result.checks
        if c.status == CheckStatus.FAILED
        for m in c.messages
        if m.location and "shapes.py" in m.location
    ]
    assert shown
    for where in shown:
        assert lines[int(where.rpartition(":")[2]) - 1].strip().startswith("return "), where
