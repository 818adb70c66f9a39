"""PyTorch views (skipped, with the reason printed, where torch is not importable: CI does not
install it)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

try:
    import torch
except ImportError as e:  # pragma: no cover - depends on the environment
    print(f"skipping the PyTorch tests: torch is not importable ({e})")
    pytest.skip(f"torch is not importable ({e})", allow_module_level=True)

import arsim
import arsim.torch as at
from arsim.tasks import multiply
from conftest import REPO, corpus_runs, halting_run, run_cli

# Free-running generation is a Python loop (one step per token); teacher-forced scoring of the
# whole trace is batched and covers every run up to the corpus limit.
GENERATE_LIMIT = 30_000


@pytest.mark.parametrize("path,word", corpus_runs())
def test_module_reproduces_the_executor_on_every_halting_corpus_machine(path, word):
    m, _ = halting_run(path, word)
    p = arsim.compile(m, input=word)
    mod = at.to_module(p)
    t = m.trace(word)
    ids = torch.from_numpy(t.ids.astype(np.int64))
    start = len(t.prompt)
    with torch.no_grad():
        for lo in range(0, len(ids), 100_000):
            hi = min(lo + 100_000, len(ids))
            ctx_from = max(lo - max(p.offsets), 0)
            scores = mod(ids[ctx_from:hi])[lo - ctx_from :]
            pred = scores.argmax(-1).numpy()
            keep = np.arange(lo, hi) >= start
            np.testing.assert_array_equal(pred[keep], t.ids[lo:hi][keep])
    if len(t) <= GENERATE_LIMIT:
        n = len(t) - start
        np.testing.assert_array_equal(mod.generate(t.prompt, n).numpy(), p.generate(t.prompt, n))


EVAL = 40


@pytest.fixture(scope="module")
def trained(tmp_path_factory, arsim_bin):
    """The acceptance run of issue 13 (scored on EVAL validation pairs): (checkpoint, report)."""
    path = tmp_path_factory.mktemp("ck") / "c.safetensors"
    out = run_cli(arsim_bin, "task", "multiply", "--cot", "carry", "--d", "32", "--train", "2000",
                  "--eval", str(EVAL), "--checkpoint", str(path), "--json").stdout
    return path, json.loads(out)


@pytest.fixture(scope="module")
def checkpoint(trained):
    return trained[0]


def test_decoding_the_papers_model_scores_as_the_command_line(trained):
    path, report = trained
    model = at.load_checkpoint(path)
    _, chains = multiply.validation(EVAL, "carry")
    ids = torch.from_numpy(chains.copy())
    with torch.no_grad():
        for t in range(multiply.prompt_length("carry") - 1, ids.shape[1] - 1):
            ids[:, t + 1] = model(ids[:, : t + 1])[:, t].argmax(-1)
    ours = multiply.score(ids.numpy(), cot="carry")
    cli = report["validation"]
    for key in ("pairs", "exact", "digits_correct", "chains_exact", "per_digit_accuracy"):
        assert ours[key] == cli[key], key


def test_checkpoint_loads_as_the_papers_model_with_arsims_logits(checkpoint):
    model = at.load_checkpoint(checkpoint)
    assert model.config["d"] == 32 and model.task["cot"] == "carry"
    _, chains = multiply.validation(16, "carry")
    x = chains[:, :-1]
    ours = arsim.checkpoint_logits(checkpoint, x)
    with torch.no_grad():
        theirs = model(torch.from_numpy(x)).numpy()
    assert ours.shape == theirs.shape == (16, 74, 117)
    np.testing.assert_allclose(theirs, ours, atol=1e-4, rtol=0)
    # Shorter prefixes too (the paper's model pads on the right; the mask keeps it causal).
    with torch.no_grad():
        short = model(torch.from_numpy(x[:, :20])).numpy()
    np.testing.assert_allclose(short, ours[:, :20], atol=1e-4, rtol=0)


def test_ddp_example_runs_on_cpu_and_its_state_dict_loads(tmp_path):
    out = tmp_path / "ddp.pt"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           os.path.join(REPO, "examples", "train_ddp.py"), "--steps", "5", "--eval", "20", "--out", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert '"pairs": 20' in r.stdout
    model = at.load_checkpoint(out)
    assert model.task["cot"] == "carry" and model.step == 5


@pytest.mark.parametrize("activation,arch", [("relu", "mlp"), ("none", "linear")])
def test_a_pytorch_model_saved_as_an_arsim_checkpoint_is_scored_by_arsim(tmp_path, arsim_bin, activation, arch):
    """Issue 25.17: a model trained in PyTorch (train_ddp.py --out) lands in arsim's own scoring:
    `task multiply --resume F --eval-split test` decodes it with 0 further steps and gets the
    score Python's decoding gets; its logits are the PyTorch model's."""
    torch.manual_seed(0)
    cot, V = "carry", len(multiply.vocabulary())
    model = at.LinearModel(V, T=multiply.length(cot) - 1, d=8, activation=activation)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3)
    data = multiply.batches(64, 0, cot)
    for _ in range(10):
        x = torch.as_tensor(next(data))
        loss = torch.nn.functional.cross_entropy(model(x[:, :-1]).reshape(-1, V), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    f = tmp_path / "m.st"
    at.save_checkpoint(model, f, cot=cot, batch=64, seed=0, train_seqs=640, step=10, lr=5e-3, weight_decay=0.01, optimizer=opt)
    toks = multiply.validation(3, cot)[1][:, :-1]
    with torch.no_grad():
        assert np.abs(arsim.checkpoint_logits(f, toks) - model(torch.as_tensor(toks)).numpy()).max() < 1e-4
    out = run_cli(arsim_bin, "--json", "task", "multiply", "--cot", cot, "--model", arch, "--d", "8", "--train", "640",
                  "--batch", "64", "--seed", "0", "--lr", "5e-3", "--eval", "50", "--resume", str(f), "--eval-split", "test",
                  "--threads", "1")
    report = json.loads(out.stdout)
    assert report["training"]["started_at_step"] == report["training"]["steps"] == 10
    _, chains = multiply.validation(50, cot, split="test")
    ids = torch.as_tensor(chains).clone()
    model.eval()
    with torch.no_grad():
        for t in range(multiply.prompt_length(cot) - 1, ids.shape[1] - 1):
            ids[:, t + 1] = model(ids[:, : t + 1])[:, t].argmax(-1)
    ours = multiply.score(ids.numpy(), cot=cot, split="test")
    assert report["validation"]["digits_correct"] == ours["digits_correct"]
    assert report["validation"]["exact"] == ours["exact"]
