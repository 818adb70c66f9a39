"""Machines, traces, compiled predictors and weight files from Python, checked against the
library's own verdicts and, where built, the command line's output."""

import json
import os
import threading
import time

import numpy as np
import pytest

import arsim
from conftest import corpus_runs, halting_run, run_cli

RUNS = corpus_runs()


def test_errors_form_a_hierarchy_with_the_command_lines_messages(tmp_path):
    assert issubclass(arsim.BadInput, arsim.Error)
    assert issubclass(arsim.VerificationFailed, arsim.Error)
    bad = tmp_path / "bad.ron"
    bad.write_text('(name: "bad", symbols: "01", blank: \'0\', start: "A", halt: ["Z"],\n rules: [("A", \'2\', "Z", \'1\', R)])\n')
    with pytest.raises(arsim.BadInput) as e:
        arsim.load(bad)
    assert str(bad) in str(e.value), str(e.value)
    with pytest.raises(arsim.BadInput, match="bad input for machine binary-increment"):
        arsim.load("machines/binary-increment.ron").run("1x1")
    with pytest.raises(arsim.BadInput, match="possible values"):
        arsim.compile(arsim.load("machines/bb2.ron"), encoding="nope")


@pytest.mark.parametrize("path,word", RUNS)
def test_compiled_predictor_emulates_and_generates_the_trace(path, word):
    m, run = halting_run(path, word)
    t = m.trace(word)
    assert t.ids.dtype == np.int32
    assert len(t) == (run["steps"] + 1) * (t.info["tape_cells"] + 1)
    p = arsim.compile(m, input=word)
    report = p.emulate(word, check=True)
    assert report["agree"] and report["first_divergence"] is None
    assert report["generated_tokens"] == len(t) - len(t.prompt)
    out = p.generate(t.prompt, len(t) - len(t.prompt))
    np.testing.assert_array_equal(out, t.ids[len(t.prompt):])
    assert p.certify(check=True)["certified"]


def test_trace_matches_the_command_line(arsim_bin):
    out = run_cli(arsim_bin, "trace", "machines/binary-increment.ron", "--input", "1011", "--tokens", "--json").stdout
    cli = json.loads(out)
    t = arsim.load("machines/binary-increment.ron").trace("1011")
    rows = [" ".join(t.tokens()[i : i + t.info["tape_cells"] + 1]) for i in range(0, len(t), t.info["tape_cells"] + 1)]
    assert rows == [r["row"] for r in cli["rows"]]


def test_run_matches_the_command_line(arsim_bin):
    # One report type in the library serves both: the same keys and values, the command line
    # adding only its schema_version.
    out = run_cli(arsim_bin, "--json", "run", "machines/binary-increment.ron", "--input", "1011").stdout
    cli = json.loads(out)
    assert cli.pop("schema_version") == 2
    assert arsim.load("machines/binary-increment.ron").run("1011") == cli


def test_a_divergence_is_reported_as_data_and_raised_on_request(tmp_path):
    m = arsim.load("machines/bb3.ron")
    p = arsim.compile(m)
    f = tmp_path / "w.safetensors"
    p.save(f)
    q = arsim.load_weights(f)
    assert q.meta["machine"] == "bb3" and q.window == p.window
    # Zero one offset's weights: the predictor can no longer follow the head.
    w = {o: q.weights[o].copy() for o in q.offsets}
    assert w[q.offsets[1]].any()
    edited = tmp_path / "edited.safetensors"
    q.with_weights({q.offsets[1]: np.zeros_like(w[q.offsets[1]])}).save(edited)
    r = arsim.load_weights(edited).emulate(machine=m)
    assert not r["agree"]
    d = r["first_divergence"]
    assert d["expected"] != d["got"] and len(d["top"]) == 2
    with pytest.raises(arsim.VerificationFailed):
        arsim.load_weights(edited).emulate(machine=m, check=True)
    with pytest.raises(arsim.BadInput, match="pass machine"):
        arsim.load_weights(edited).emulate()


def test_a_run_that_leaves_the_window_is_bad_input():
    m = arsim.load("machines/bb4.ron")
    p = arsim.compile(m, tape=4, origin=0)
    r = p.emulate()
    assert r["left_window"]
    with pytest.raises(arsim.BadInput, match="larger tape window"):
        p.emulate(check=True)


def test_learned_weights_of_every_dtype_load(tmp_path):
    m = arsim.load("machines/binary-increment.ron")
    report, p = arsim.learn(m, train=20, test=20, seed=3)
    assert report["test"]["trace_errors"] == 0 and p.dtype == np.int32
    report, q = arsim.learn(m, train=20, test=20, algo="softmax", epochs=30)
    assert q.dtype == np.float32 and report["algo"] == "softmax"
    f = tmp_path / "soft.safetensors"
    q.save(f)
    r = arsim.load_weights(f)
    assert r.dtype == np.float32 and r.meta["learned"].startswith("Softmax")
    for o in q.offsets:
        np.testing.assert_array_equal(r.weights[o], q.weights[o])
    t = m.trace("1011", tape=r.window[0], origin=r.window[1])
    # Float weights run in the executor, and emulate and certify take them as the command line
    # does: scored in float32 in one fixed order, every token checked.
    assert len(r.generate(t.prompt, 5)) == 5
    rep = r.emulate("1011", machine=m)
    assert rep["encoding"] == "cells" and rep["generated_tokens"] > 0
    assert isinstance(rep["agree"], bool)
    cert = r.certify(machine=m)
    assert cert["encoding"] == "cells" and isinstance(cert["certified"], bool)


def test_long_calls_release_the_gil():
    m = arsim.load("machines/bb5.ron")
    done = threading.Event()
    result = {}

    def work():
        result["run"] = m.run(max_steps=47_176_870)
        done.set()

    ticks = 0
    th = threading.Thread(target=work)
    th.start()
    start = time.perf_counter()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    th.join()
    elapsed = time.perf_counter() - start
    assert result["run"]["steps"] == 47_176_870
    # With the GIL held for the whole run the loop could not tick until it ended.
    assert elapsed < 0.05 or ticks > 10, (elapsed, ticks)


@pytest.mark.parametrize("path,word", RUNS)
def test_sweep_encoding_generates_its_trace(path, word):
    m, _ = halting_run(path, word)
    try:
        p = arsim.compile(m, encoding="sweep", input=word)
    except arsim.BadInput as e:
        pytest.skip(f"{path}: the sweep encoding cannot take it: {e}")
    assert p.emulate(word)["agree"]
    t = m.trace(word, encoding="sweep")
    n = len(t) - len(t.prompt)
    np.testing.assert_array_equal(p.generate(t.prompt, n), t.ids[len(t.prompt):])


def test_gates_trace_is_rows_of_bits():
    m = arsim.load("machines/bb2.ron")
    t = m.trace(encoding="gates")
    row = t.info["prompt_tokens"]
    assert row == t.info["tape_cells"] * len(m.symbols) * (len(m.states) + 1)
    assert len(t) == (m.run()["steps"] + 1) * row and set(t.ids.tolist()) <= {0, 1}


def test_a_morphett_star_marks_the_head_start(tmp_path):
    # Morphett's Reset(): the head starts at the `*` of the initial tape, every `*` removed. On
    # `10*1` it starts on cell 2, walks left over 1, 0, 1 (three steps) and writes # on the
    # blank at cell -1 (step 4).
    tm = tmp_path / "left.tm"
    tm.write_text("; $INITIAL_TAPE: 10*1\n0 _ # * halt\n0 * * l 0\n")
    m = arsim.load(tm)
    r = m.run("10*1")
    assert (r["input"], r["head_start"], r["steps"], r["stop"]) == ("101", 2, 4, "halted")
    assert (r["tape"], r["tape_start"], r["head"], r["cells"]) == ("#101", -1, -1, [-1, 2])
    # The window holds cells -1..2: the input from window cell 1, the head from window cell 3.
    t = m.trace("10*1")
    assert (t.info["tape_cells"], t.info["origin"]) == (4, 1)
    assert t.tokens()[1:5] == ["⟨_⟩", "⟨1⟩", "⟨0⟩", "⟨0,1⟩"], t.tokens()[:5]
    report = arsim.compile(m, input="10*1").emulate("10*1", check=True)
    assert (report["agree"], report["head_start"], report["steps"]) == (True, 2, 4)
