#!/usr/bin/env python3
"""Training speed of arsim against the paper's own PyTorch code, one thread each.

The paper's code is emalach/LinearLM (github.com/emalach/LinearLM, Malach, ICML 2024). The
model below is its `models/linear_model.py` `LinearModel` (`__init__`, `_masked_linear`,
`forward`) copied with only the device handling left out; the loss is `ce_loss` and the
optimizer is the one `training/linear_decoder.py` builds (`get_grouped_params` with weight
decay on every name without "bias", `torch.optim.AdamW`, `clip_grad_norm_(…, 1.0)` before
each `optimizer.step()`, then `zero_grad()`). A training step here is that script's loop body
for one batch: forward, loss, backward, clip, AdamW step.

arsim's side is the same model shape, batch and recipe (`Recipe::Paper`: the same
initialisation, decay groups and clipping, AdamW with the same betas and epsilon) trained by
`cargo bench --bench masked` in its `MASKED_BENCH_TRAIN` mode (`benches/masked.rs`,
`training_step`: `nn::train_step`, the call `nn::train` makes per step: the hand-written
forward and backward passes of `nn::step`, then `AdamW::update`), with `RAYON_NUM_THREADS=1`
(candle's and `gemm`'s thread count).

Two shapes, as issue 26 states them:
  multiplication: V 117, T 306, d 16, ReLU MLP (`use_relu`), batch 64;
  TinyStories:    V 1024, T 64, d 64, linear, batch 32.

Tokens per step are B·T (the positions one forward pass computes) on both sides. Each rate
is given per CPU second (user + system) of the process that trains (`getrusage` here,
`CLOCK_PROCESS_CPUTIME_ID` in the bench), since the machine may be shared, and per wall
second. The two sides alternate `--repeats` times so that a change of load hits both.

PyTorch as installed spends about a third of its CPU time in the kernel: glibc's allocator
returns the large blocks it frees (the 4·(T·d)² bytes of the masked weight `W ⊙ M` that
`_masked_linear` builds on every forward pass, the gradients) to the system, and every step
faults fresh pages in again. arsim's training keeps freed memory in the process
(`nn::keep_freed_memory`), so PyTorch is measured twice, each in a child process of its own:
as installed, and with glibc told to do the same (`GLIBC_TUNABLES`, `KEEP_FREED` below). The
second is the fairer comparison, and the figure to read.

    /work/venv-torch/bin/python benches/baseline/torch_linearlm.py [--steps 10] [--repeats 3]

Exits 0 with a message, measuring nothing, where torch is not installed.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# name, arsim bench case, vocabulary, context T, width d, ReLU MLP, batch
SHAPES = [
    ("multiplication", "multiply-paper", 117, 306, 16, True, 64),
    ("TinyStories", "tinystories", 1024, 64, 64, False, 32),
]


def torch_model_classes(torch):
    nn = torch.nn
    F = torch.nn.functional

    # emalach/LinearLM, models/linear_model.py, class LinearModel (verbatim but for `cuda`).
    class LinearModel(nn.Module):
        def __init__(self, num_tokens, T=128, d=256, activation="none"):
            super().__init__()
            self.d = d
            self.T = T
            self.in_embedding = nn.Embedding(num_tokens, d)
            self.linear1 = nn.Linear(T * d, T * d)
            self.activation = None
            if activation == "relu":
                self.activation = nn.ReLU()
                self.linear2 = nn.Linear(d, d)
            self.out_embedding = nn.Linear(d, num_tokens)
            self.mask = nn.Parameter(self._generate_square_subsequent_mask(T), requires_grad=False)

        def _generate_square_subsequent_mask(self, sz):
            mask = (torch.triu(torch.ones(sz, sz)) == 1).transpose(0, 1)
            return mask

        def _masked_linear(self, linear, x, d_in, d_out):
            T = self.T
            W = linear.weight
            W = W.view(T, d_out, T, d_in)
            mask = self.mask.view((T, 1, T, 1))
            masked_W = W * mask
            masked_W = masked_W.view((T * d_out, T * d_in))
            return F.linear(x, masked_W)

        def forward(self, x):
            if x.shape[-1] < self.T:
                x = F.pad(x, (0, self.T - x.shape[-1]))
            if x.shape[-1] > self.T:
                x = x[:, -self.T :]
            x = self.in_embedding(x)
            x = x.view((-1, self.d * self.T))
            x = self._masked_linear(self.linear1, x, self.d, self.d)
            x = x.view((-1, self.T, self.d))
            if self.activation is not None:
                x = self.activation(x)
                x = self.linear2(x)
                x = self.activation(x)
            x = self.out_embedding(x)
            return x

    # emalach/LinearLM, training/linear_decoder.py, ce_loss.
    def ce_loss(inputs, logits):
        shift_labels = inputs[..., 1:].contiguous()
        shift_logits = logits[..., :-1, :].contiguous()
        loss_fct = torch.nn.CrossEntropyLoss()
        return loss_fct(shift_logits.view(-1, shift_logits.size(-1)), shift_labels.view(-1))

    # emalach/LinearLM, training/linear_decoder.py, get_grouped_params.
    def get_grouped_params(model, weight_decay, no_decay=("bias", "LayerNorm.weight")):
        params_with_wd, params_without_wd = [], []
        for n, p in model.named_parameters():
            if not p.requires_grad:
                continue
            if any(nd in n for nd in no_decay):
                params_without_wd.append(p)
            else:
                params_with_wd.append(p)
        return [
            {"params": params_with_wd, "weight_decay": weight_decay},
            {"params": params_without_wd, "weight_decay": 0.0},
        ]

    return LinearModel, ce_loss, get_grouped_params


def tokens(vocab, batch, positions):
    """The batch arsim's bench trains on: token i of the (B, T+1) grid is (i·7919) mod V."""
    return [[((r * (positions + 1) + c) * 7919) % vocab for c in range(positions)] for r in range(batch)]


def cpu_seconds():
    """User and system CPU seconds of this process so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime


def torch_steps(torch, shape, steps):
    """Per-step (CPU, wall, user CPU) seconds of `steps` training steps after two untimed ones."""
    _, _, vocab, positions, d, relu, batch = shape
    LinearModel, ce_loss, get_grouped_params = torch_model_classes(torch)
    torch.manual_seed(0)
    model = LinearModel(vocab, T=positions, d=d, activation="relu" if relu else "none")
    model.train()
    optimizer = torch.optim.AdamW(get_grouped_params(model, 0.1), lr=1e-3)
    x = torch.tensor(tokens(vocab, batch, positions), dtype=torch.long)

    def step():
        logits = model(x)
        loss = ce_loss(x, logits)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()

    step()
    step()
    out = []
    for _ in range(steps):
        (u0, s0), w0 = cpu_seconds(), time.perf_counter()
        step()
        (u1, s1), w1 = cpu_seconds(), time.perf_counter()
        out.append((u1 - u0 + s1 - s0, w1 - w0, u1 - u0))
    return out


def arsim_bench_binary():
    """Builds `benches/masked.rs` (bench profile) and returns its executable."""
    cmd = ["cargo", "bench", "--bench", "masked", "--no-run", "--message-format=json"]
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, check=True, text=True)
    for line in done.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and msg["target"]["name"] == "masked":
            return msg["executable"]
    sys.exit("cargo built no `masked` bench executable")


def arsim_steps(binary, shape, steps):
    env = dict(os.environ, RAYON_NUM_THREADS="1", MASKED_BENCH_TRAIN=str(steps), MASKED_BENCH_CASE=shape[1])
    done = subprocess.run([binary, "--bench"], cwd=ROOT, env=env, stdout=subprocess.PIPE, check=True, text=True)
    row = json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])
    assert row["threads"] == 1 and row["batch"] == shape[6] and row["positions"] == shape[3], row
    return list(zip(row["cpu_s"], row["wall_s"]))


# glibc's allocator told to keep freed memory for reuse instead of unmapping it (arsim's
# `nn::keep_freed_memory` does the same from inside its process), for PyTorch's second run.
KEEP_FREED = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967295:glibc.malloc.top_pad=268435456"


def torch_worker(name, steps):
    """The `--worker` mode: one shape's PyTorch steps in this process, as JSON on stdout."""
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    shape = next(s for s in SHAPES if s[0] == name)
    print(json.dumps({"steps": torch_steps(torch, shape, steps), "version": torch.__version__,
                      "isa": torch.backends.cpu.get_cpu_capability()}))
    return 0


def torch_run(name, steps, keep_freed):
    """`torch_worker` in a child process (glibc reads its tunables at start)."""
    env = dict(os.environ)
    if keep_freed:
        env["GLIBC_TUNABLES"] = KEEP_FREED
    cmd = [sys.executable, __file__, "--worker", name, "--steps", str(steps)]
    done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, check=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="timed steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="alternating measurements per side")
    parser.add_argument("--arsim-bench", help="the built `masked` bench executable (default: build it)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError as e:
        print(f"skipped: torch is not installed ({e}); run with a Python that has it, "
              "e.g. a venv with `pip install torch`")
        return 0
    if args.worker:
        return torch_worker(args.worker, args.steps)
    binary = args.arsim_bench or arsim_bench_binary()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    probe = torch_run(SHAPES[1][0], 1, False)
    print(f"torch {probe['version']} ({probe['isa']}), one thread each; CPU {cpu}; "
          f"load average {os.getloadavg()[0]:.2f} at start; {args.steps} steps × {args.repeats} repeats, medians")
    rows = []
    for shape in SHAPES:
        name, _, vocab, positions, d, relu, batch = shape
        n = batch * positions
        runs = {"torch": [], "kept": [], "arsim": []}
        ratios, kept_ratios = [], []
        for _ in range(args.repeats):
            measured = {
                "torch": [(c, w) for c, w, _ in torch_run(name, args.steps, False)["steps"]],
                "kept": [(c, w) for c, w, _ in torch_run(name, args.steps, True)["steps"]],
                "arsim": arsim_steps(binary, shape, args.steps),
            }
            for side, steps in measured.items():
                runs[side].append((statistics.median(c for c, _ in steps), statistics.median(w for _, w in steps)))
            ratios.append(runs["torch"][-1][0] / runs["arsim"][-1][0])
            kept_ratios.append(runs["kept"][-1][0] / runs["arsim"][-1][0])
        rate = {side: tuple(n / statistics.median(r[i] for r in rs) for i in (0, 1)) for side, rs in runs.items()}
        rows.append((name, vocab, positions, d, "ReLU MLP" if relu else "linear", batch, rate, ratios, kept_ratios))
    print()
    print("| shape | V | T | d | model | batch | PyTorch tokens/CPU s (wall) | PyTorch, freed memory kept "
          "| arsim tokens/CPU s (wall) | arsim / PyTorch, CPU (each repeat) | arsim / PyTorch, freed memory kept |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, v, t, d, model, b, rate, ratios, kept_ratios in rows:
        each = lambda rs: ", ".join(f"{r:.2f}" for r in rs)  # noqa: E731
        cell = lambda side: f"{rate[side][0]:,.0f} ({rate[side][1]:,.0f})"  # noqa: E731
        print(f"| {name} | {v} | {t} | {d} | {model} | {b} | {cell('torch')} | {cell('kept')} | {cell('arsim')} "
              f"| **{statistics.median(ratios):.2f}×** ({each(ratios)}) "
              f"| **{statistics.median(kept_ratios):.2f}×** ({each(kept_ratios)}) |")
    print(f"\nload average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
