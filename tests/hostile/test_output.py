"""What a submission prints cannot take over the learner's terminal."""

from tests.test_grader import stage_one


def test_control_characters_are_shown_escaped(tmp_path):
    body = "    print('\\x1b[2J\\x1b[31mgotcha\\x07')\n    return x\n"  # and a wrong answer
    proc, stage = stage_one(tmp_path, body)
    assert "gotcha" in stage["output"]  # kept as printed, in the JSON
    shown = [line for line in proc.stdout.splitlines() if "gotcha" in line]
    assert shown and all("\x1b" not in line and "\x07" not in line for line in shown), shown
    assert any("\\x1b[31mgotcha\\x07" in line for line in shown), shown
