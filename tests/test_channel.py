"""The report channel's framing (kata/channel.py) and the sandbox's read rules
(kata/sandbox.py), as units: what the grader believes, and what a child may read."""

import os

from kata import channel, sandbox

NONCE = "ab" * 16


def frame(body, nonce=NONCE):
    return channel.FRAME_START + nonce.encode() + b"\n" + body + channel.FRAME_END


def test_one_frame_with_the_nonce_is_the_report_and_the_rest_is_text():
    got = channel.parse(b"startup words\n" + frame(b'{"checks": []}') + b"after", NONCE)
    assert got.report == {"checks": []} and got.problem is None
    assert got.text == "startup words\nafter"


def test_no_frame_is_no_report_and_no_problem():
    got = channel.parse(b"Fatal Python error: ...", NONCE)
    assert got.report is None and got.problem is None and "Fatal" in got.text


def test_what_cannot_be_believed_says_why():
    cases = {
        "another nonce": frame(b"{}", "cd" * 16),
        "cut short": frame(b'{"checks": []}')[:-3],
        "twice": frame(b"{}") + frame(b"{}"),
        "not JSON": frame(b"{nope"),
    }
    said = {name: channel.parse(raw, NONCE) for name, raw in cases.items()}
    assert all(got.report is None and got.problem for got in said.values()), said
    assert "does not come from the checks" in said["another nonce"].problem
    assert "cut short" in said["cut short"].problem
    assert "more than once" in said["twice"].problem
    assert "JSON" in said["not JSON"].problem


def test_the_settings_line_is_one_line_of_json():
    line = channel.settings_line(NONCE, {"read": ["/usr"], "write": []})
    assert line.endswith(b"\n") and line.count(b"\n") == 1


def test_a_hidden_folder_is_cut_out_of_what_may_be_read(tmp_path):
    checkout = tmp_path / "kata"
    for folder in ("solutions", ".venv/lib", "checks"):
        (checkout / folder).mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    kept = sandbox._without(str(tmp_path), [str(checkout)])
    assert kept == [str(tmp_path / "elsewhere")]
    venv = str(checkout / ".venv" / "lib")
    assert sandbox._without(venv, [str(checkout)]) == [venv]  # Python's own, inside it
    assert sandbox._without(str(checkout), [str(checkout)]) == []


def test_the_policy_never_grants_the_checkout_or_the_submissions(tmp_path):
    hidden = [str(tmp_path / "kata"), str(tmp_path / "submissions")]
    for folder in hidden:
        os.makedirs(folder)
    rules = sandbox.policy([str(tmp_path / "copy")], [str(tmp_path / "tmp")], hidden)
    for path in rules["read"] + rules["write"]:
        for folder in hidden:
            assert not (folder + os.sep).startswith(path.rstrip(os.sep) + os.sep), path
