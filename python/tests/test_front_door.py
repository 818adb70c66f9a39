"""The Python package as a shell over the library's front door (`arsim::api`): the same inputs,
files, limits and reports as the command line, bounded calls, read-only weights, picklable
errors, ids checked at the border, and Ctrl-C answered inside long calls."""

import glob
import json
import os
import pickle
import signal
import struct
import time

import numpy as np
import pytest

import arsim
from conftest import REPO, run_cli

BINARY_ADD = "tests/data/conformance/turingmachine.io/binaryAdd.yaml"
# Keys of an emulation report that measure this run rather than describe it.
TIMING = {"tokens_per_second", "seconds", "peak_rss_bytes"}


def small_corpus_runs(limit=2_000_000):
    """Corpus machines (machines/*.ron) whose own input halts within `limit` trace tokens."""
    out = []
    for path in sorted(glob.glob(os.path.join(REPO, "machines", "*.ron"))):
        m = arsim.load(path)
        r = m.run(max_steps=1_000_000)
        cells = r["cells"][1] - r["cells"][0] + 1 + len(r["input"])
        if r["stop"] == "halted" and (r["steps"] + 1) * (cells + 1) <= limit:
            out.append(os.path.relpath(path, REPO))
    return out


SMALL = small_corpus_runs()


def test_a_trace_too_long_to_collect_is_bad_input_not_a_crash():
    # bb2x4 halts after 3,932,964 steps on 2,050 cells: about 8·10^9 tokens. Collected whole it
    # would take 32 GB; the front door stops at its bound and says why.
    with pytest.raises(arsim.BadInput, match=r"machine bb2x4: the trace has more than \d+ tokens") as e:
        arsim.load("machines/bb2x4.ron").trace()
    assert "bound the steps, or take a smaller window" in str(e.value)
    # Bounded, the same run is fine.
    t = arsim.load("machines/bb2x4.ron").trace(max_steps=100)
    assert t.info["steps"] == 100 and t.info["end"] == "step-limit"


def test_a_window_beyond_the_limits_is_bad_input_not_an_allocation():
    m = arsim.load("machines/bb2.ron")
    with pytest.raises(arsim.BadInput, match="a tape window of 1000000000 cells"):
        m.trace(tape=10**9)
    with pytest.raises(arsim.BadInput, match="a tape window of 1000000000 cells"):
        arsim.compile(m, tape=10**9)
    with pytest.raises(arsim.BadInput, match="origin= needs tape="):
        m.trace(origin=3)
    with pytest.raises(arsim.BadInput, match="tape is -1"):
        m.trace(tape=-1)


def test_the_machine_files_own_input_is_run_as_the_command_line_runs_it(arsim_bin):
    m = arsim.load(BINARY_ADD)
    assert m.input == "1011+11001"
    r = m.run()
    assert (r["input"], r["steps"], r["stop"], r["state"], r["tape"]) == ("1011+11001", 92, "halted", "done", "100100 11001")
    cli = json.loads(run_cli(arsim_bin, "--json", "run", BINARY_ADD).stdout)
    assert cli.pop("schema_version") == 2
    assert r == cli
    # Every method without an input takes the same one.
    assert m.trace().info["steps"] == 92
    report = arsim.compile(m).emulate(check=True)
    assert (report["input"], report["steps"], report["agree"]) == ("1011+11001", 92, True)
    # An input given replaces it, as --input does.
    assert m.run("1+1")["tape"] == "10 1"


def test_isa_picks_the_row_scorer_as_emulate_isa_does(arsim_bin):
    p = arsim.compile(arsim.load("machines/bb4.ron"))
    kinds = {"avx512": "packed-avx512-vbmi", "avx2": "packed-avx2", "portable": "packed-portable"}
    ran = 0
    for isa, kind in kinds.items():
        cli = run_cli(arsim_bin, "--json", "emulate", "machines/bb4.ron", "--isa", isa, check=False)
        if cli.returncode != 0:
            # The CPU lacks the path: both shells refuse it, naming the feature.
            assert cli.returncode == 2 and "lacks" in cli.stderr
            with pytest.raises(arsim.BadInput, match="lacks"):
                p.emulate(isa=isa)
            continue
        r = p.emulate(isa=isa)
        assert (r["row_scorer"], r["agree"]) == (kind, True)
        assert json.loads(cli.stdout)["row_scorer"] == kind
        ran += 1
    assert ran >= 1, "the portable path runs everywhere"
    assert p.emulate()["row_scorer"] in kinds.values()
    with pytest.raises(arsim.BadInput, match="possible values: auto, avx512, avx2, portable"):
        p.emulate(isa="sse")


def test_a_morphett_initial_tape_is_the_input(tmp_path):
    tm = tmp_path / "left.tm"
    tm.write_text("; $INITIAL_TAPE: 10*1\n0 _ # * halt\n0 * * l 0\n")
    m = arsim.load(tm)
    r = m.run()
    assert (m.input, r["input"], r["head_start"], r["steps"], r["stop"]) == ("10*1", "101", 2, 4, "halted")
    assert arsim.compile(m).emulate(check=True)["head_start"] == 2


@pytest.mark.parametrize("path,encoding,input", [
    ("machines/bb2.ron", "cells", None),
    ("machines/bb3.ron", "sweep", None),
    ("machines/bb2.ron", "gates", None),
    ("machines/binary-increment.ron", "cells", "1011"),
    (BINARY_ADD, "cells", None),
])
def test_save_writes_the_bytes_compile_out_writes(arsim_bin, tmp_path, path, encoding, input):
    ours, theirs = tmp_path / "python.safetensors", tmp_path / "cli.safetensors"
    arsim.compile(arsim.load(path), encoding=encoding, input=input).save(ours)
    args = ["compile", path, "--encoding", encoding, "--out", str(theirs)]
    if input is not None:
        args += ["--input", input]
    run_cli(arsim_bin, *args)
    assert ours.read_bytes() == theirs.read_bytes()
    # The file records the machine as the command line does.
    meta = arsim.load_weights(ours).meta
    assert meta["machine"] and meta["blank"] and meta["start_state"] and "halting" in meta
    own = "1011+11001" if path == BINARY_ADD else None
    assert meta.get("input") == (input if input is not None else own)


@pytest.mark.parametrize("path", SMALL)
def test_emulate_reports_what_the_command_line_reports(arsim_bin, path):
    cli = json.loads(run_cli(arsim_bin, "--json", "emulate", path).stdout)
    assert cli.pop("schema_version") == 2
    ours = arsim.compile(arsim.load(path)).emulate()
    assert set(ours) == set(cli)
    for key in set(cli) - TIMING:
        assert ours[key] == cli[key], key


def test_errors_pickle_with_their_type_and_message():
    for cls in (arsim.Error, arsim.BadInput, arsim.VerificationFailed):
        e = pickle.loads(pickle.dumps(cls("x")))
        assert type(e) is cls and e.args == ("x",)
    with pytest.raises(arsim.BadInput) as raised:
        arsim.load("machines/no-such-file.ron")
    e = pickle.loads(pickle.dumps(raised.value))
    assert isinstance(e, arsim.BadInput) and str(e) == str(raised.value)


def test_weights_are_read_only_and_edits_make_a_new_predictor():
    p = arsim.compile(arsim.load("machines/bb3.ron"))
    w = p.weights[p.offsets[0]]
    with pytest.raises(ValueError):
        w[0, 0] = 7
    before = {o: p.weights[o].copy() for o in p.offsets}
    edited = w.copy()
    edited[0, 0] += 1
    q = p.with_weights({p.offsets[0]: edited})
    assert q.weights[p.offsets[0]][0, 0] == w[0, 0] + 1 and q.dtype == np.int32
    assert q.meta["edited"] == "weights replaced from Python"
    for o in p.offsets:
        np.testing.assert_array_equal(p.weights[o], before[o])
    assert p.emulate()["agree"]
    # Checked as a file is: int64 values must fit int32 and every score the accumulator.
    big = w.astype(np.int64)
    big[0, 0] = 2**40
    with pytest.raises(arsim.BadInput, match="does not fit int32"):
        p.with_weights({p.offsets[0]: big})
    big[0, 0] = 2**31 - 1
    with pytest.raises(arsim.BadInput, match="accumulator"):
        p.with_weights({o: np.where(p.weights[o] != 0, 2**31 - 1, 0) for o in p.offsets})
    with pytest.raises(arsim.BadInput, match="must be"):
        p.with_weights({p.offsets[0]: w[:2]})
    with pytest.raises(arsim.BadInput, match="not one of the predictor's offsets"):
        p.with_weights({12345: w})
    f = p.with_weights({p.offsets[0]: w.astype(np.float64) / 2})
    assert f.dtype == np.float64 and isinstance(f.emulate()["agree"], bool)


def write_safetensors(path, tensors, meta):
    """A safetensors file, by hand: the header (sorted keys, padded to 8 bytes), then the data."""
    header, data, offset = {"__metadata__": meta}, b"", 0
    dtypes = {np.dtype("<i8"): "I64", np.dtype("<i4"): "I32", np.dtype("<f8"): "F64", np.dtype("<f4"): "F32"}
    for name, a in tensors.items():
        raw = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dtypes[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)


def test_weight_files_of_any_dtype_load_and_none_wraps(tmp_path):
    m = arsim.load("machines/bb2.ron")
    p = arsim.compile(m)
    f = tmp_path / "bb2.safetensors"
    p.save(f)
    meta = dict(arsim.load_weights(f).meta)
    names = dict(zip(p.offsets, p.offset_names))
    wide = {f"W.{names[o]}": p.weights[o].astype("<i8") for o in p.offsets}
    g = tmp_path / "int64.safetensors"
    write_safetensors(g, wide, {**meta, "dtype": "I64"})
    q = arsim.load_weights(g)
    assert q.dtype == np.int32 and q.emulate(machine=m)["agree"]
    for o in p.offsets:
        np.testing.assert_array_equal(q.weights[o], p.weights[o])
    # A value int32 cannot hold is refused, naming the bound, not wrapped to a small one.
    first = f"W.{names[p.offsets[0]]}"
    wide[first] = wide[first].copy()
    wide[first][0, 0] = 2**32 + 1
    write_safetensors(g, wide, {**meta, "dtype": "I64"})
    with pytest.raises(arsim.BadInput, match=r"largest possible score of these weights is \d+"):
        arsim.load_weights(g)
    floats = {k: v.astype("<f8") for k, v in wide.items()}
    floats[first][0, 0] = 0.5
    h = tmp_path / "f64.safetensors"
    write_safetensors(h, floats, {**meta, "dtype": "F64"})
    assert arsim.load_weights(h).dtype == np.float64


def test_a_torch_file_is_named_as_one(tmp_path):
    pt = tmp_path / "model.pt"
    pt.write_bytes(b"PK\x03\x04\x00\x00\x08\x08" + b"\x00" * 64)  # torch.save's zip archive
    with pytest.raises(arsim.BadInput, match="is a zip archive .*not a safetensors weight file"):
        arsim.load_weights(pt)
    pt.write_bytes(b"\x80\x02}q\x00.")
    with pytest.raises(arsim.BadInput, match="a Python pickle"):
        arsim.load_weights(pt)


def test_a_torch_file_given_as_a_training_checkpoint_is_named_as_one(tmp_path):
    """Issue 25.21: the library's checkpoint reader (`--resume`, checkpoint_logits) named a .pt
    "not a safetensors file: header too large"."""
    pt = tmp_path / "train_ddp.pt"
    pt.write_bytes(b"PK\x03\x04\x00\x00\x08\x08" + b"\x00" * 64)
    with pytest.raises(arsim.BadInput, match="zip archive .*not an arsim training checkpoint") as e:
        arsim.checkpoint_logits(pt, np.zeros((1, 4), dtype=np.int64))
    assert "header too large" not in str(e.value)


def test_compile_given_a_path_says_to_load_it():
    """Issue 25.21: compile("path.ron") was an AttributeError."""
    with pytest.raises(arsim.BadInput, match=r"compile takes a Machine.*arsim.load\('machines/bb2.ron'\)"):
        arsim.compile("machines/bb2.ron")
    with pytest.raises(arsim.BadInput, match="got int"):
        arsim.compile(3)


def test_the_console_script_is_the_binarys_command_line(arsim_bin):
    """Issue 25.18: `arsim` from pip runs the binary's own main: same output, same exit codes."""
    import subprocess
    import sys

    py = [sys.executable, "-m", "arsim"]
    for args in (["--json", "run", "1RB1LB_1LA1RZ"], ["--json", "emulate", "machines/bb3.ron"], ["run", "no-such.ron"],
                 ["certify", "1RB0LB_1LA1RZ", "--weights", "no-such.safetensors"], ["--help"]):
        ours = subprocess.run(py + args, capture_output=True, text=True)
        theirs = subprocess.run([arsim_bin, *args], capture_output=True, text=True)
        assert ours.returncode == theirs.returncode, (args, ours.stderr)
        if "emulate" not in args:  # emulate's report has its speed in it
            assert ours.stdout == theirs.stdout, args
        assert ours.stderr.replace("python -m arsim", "arsim") == theirs.stderr, args


def test_version_is_the_command_lines():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "arsim", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["arsim", arsim.__version__]


def test_ids_are_checked_at_the_border():
    from arsim.tasks import multiply

    m = arsim.load("machines/bb2.ron")
    p = arsim.compile(m)
    t = m.trace()
    with pytest.raises(arsim.BadInput, match="prompt: token 1 is -1, a negative id"):
        p.generate([0, -1, 2], 3)
    with pytest.raises(arsim.BadInput, match=f"token 0 is {len(p.dictionary)}; the vocabulary is"):
        p.generate([len(p.dictionary)], 3)
    with pytest.raises(arsim.BadInput, match="prompt must be"):
        p.generate(np.zeros((2, 2, 2), dtype=int), 3)
    with pytest.raises(arsim.BadInput, match="integer token ids"):
        p.generate([0.5, 1.0], 3)
    # A batch of prompts is a batch of outputs.
    n = len(t) - len(t.prompt)
    out = p.generate(np.stack([t.prompt, t.prompt]), n)
    assert out.shape == (2, n) and (out == t.ids[len(t.prompt):]).all()
    _, truth = multiply.validation(4, cot="none")
    with pytest.raises(arsim.BadInput, match=r"predicted_chains must be \[n, 19\]"):
        multiply.score(truth[0], cot="none")
    bad = truth.copy()
    bad[1, 12] = -5
    with pytest.raises(arsim.BadInput, match="chain 1: token 12 is -5, a negative id"):
        multiply.score(bad, cot="none")
    assert multiply.score(truth, cot="none")["exact"] == 4


class Alarm:
    """Raises KeyboardInterrupt from a SIGALRM after `seconds`, as Ctrl-C's handler does, and
    restores everything on exit."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        def interrupt(signum, frame):
            raise KeyboardInterrupt

        self.old = signal.signal(signal.SIGALRM, interrupt)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.old)
        self.elapsed = time.perf_counter() - self.start
        return False


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timers here")
def test_long_calls_answer_an_interrupt():
    # bb5 on the 12,300 cells its run visits: about 10^4 tokens a step, seconds a 10^6 steps.
    p = arsim.compile(arsim.load("machines/bb5.ron"), tape=12_300, origin=12_260)
    with pytest.raises(KeyboardInterrupt):
        with Alarm(0.3) as a:
            p.emulate(max_steps=3_000_000)
    assert a.elapsed < 5, a.elapsed
    # 20,000 held-out traces: seconds.
    with pytest.raises(KeyboardInterrupt):
        with Alarm(0.3) as a:
            arsim.learn(arsim.load("machines/binary-increment.ron"), train=50, test=20_000)
    assert a.elapsed < 5, a.elapsed
    with pytest.raises(KeyboardInterrupt):
        with Alarm(0.3) as a:
            p.generate(p.prompt(), 60_000_000)
    assert a.elapsed < 5, a.elapsed
    # 5,000 steps of 12,301 tokens: about 6·10^7 tokens collected, under the bound.
    with pytest.raises(KeyboardInterrupt):
        with Alarm(0.3) as a:
            arsim.load("machines/bb5.ron").trace(tape=12_300, origin=12_260, max_steps=5_000)
    assert a.elapsed < 5, a.elapsed
    # The machine and predictor are untouched.
    assert arsim.compile(arsim.load("machines/bb2.ron")).emulate()["agree"]
