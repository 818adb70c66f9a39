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
`training_step`: `ArModel::loss` then `AdamW::backward_step`, the calls `nn::train` makes per
step), with `RAYON_NUM_THREADS=1` (candle's products and element-wise operations read it).

Two shapes, as issue 26 states them:
  multiplication: V 117, T 306, d 16, ReLU MLP (`use_relu`), batch 64;
  TinyStories:    V 1024, T 64, d 64, linear, batch 32.

Tokens per step are B·T (the positions one forward pass computes) on both sides. Each rate
is given per CPU second of the process that trains (`time.process_time` here,
`CLOCK_PROCESS_CPUTIME_ID` in the bench), since the machine may be shared, and per wall
second. The two sides alternate `--repeats` times so that a change of load hits both.

    /work/venv-torch/bin/python benches/baseline/torch_linearlm.py [--steps 10] [--repeats 3]

Exits 0 with a message, measuring nothing, where torch is not installed.
"""

import argparse
import json
import os
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


def torch_steps(torch, shape, steps):
    """Per-step (CPU, wall) seconds of `steps` training steps after two untimed ones."""
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
        c0, w0 = time.process_time(), time.perf_counter()
        step()
        out.append((time.process_time() - c0, time.perf_counter() - w0))
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="timed steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="alternating measurements per side")
    parser.add_argument("--arsim-bench", help="the built `masked` bench executable (default: build it)")
    args = parser.parse_args()
    try:
        import torch
    except ImportError as e:
        print(f"skipped: torch is not installed ({e}); run with a Python that has it, "
              "e.g. a venv with `pip install torch`")
        return 0
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    binary = args.arsim_bench or arsim_bench_binary()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()}), one thread each; CPU {cpu}; "
          f"load average {os.getloadavg()[0]:.2f} at start; {args.steps} steps × {args.repeats} repeats, medians")
    rows = []
    for shape in SHAPES:
        name, _, vocab, positions, d, relu, batch = shape
        n = batch * positions
        torch_runs, arsim_runs, ratios = [], [], []
        for _ in range(args.repeats):
            t = torch_steps(torch, shape, args.steps)
            a = arsim_steps(binary, shape, args.steps)
            tc, ac = statistics.median(c for c, _ in t), statistics.median(c for c, _ in a)
            torch_runs.append((tc, statistics.median(w for _, w in t)))
            arsim_runs.append((ac, statistics.median(w for _, w in a)))
            ratios.append(tc / ac)
        med = lambda runs, i: statistics.median(r[i] for r in runs)  # noqa: E731
        rows.append((name, vocab, positions, d, "ReLU MLP" if relu else "linear", batch,
                     n / med(torch_runs, 0), n / med(torch_runs, 1),
                     n / med(arsim_runs, 0), n / med(arsim_runs, 1), ratios))
    print()
    print("| shape | V | T | d | model | batch | PyTorch tokens/CPU s (wall) | arsim tokens/CPU s (wall) "
          "| arsim / PyTorch, CPU (each repeat) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, v, t, d, model, b, tc, tw, ac, aw, ratios in rows:
        each = ", ".join(f"{r:.2f}" for r in ratios)
        print(f"| {name} | {v} | {t} | {d} | {model} | {b} | {tc:,.0f} ({tw:,.0f}) | {ac:,.0f} ({aw:,.0f}) "
              f"| **{statistics.median(ratios):.2f}×** ({each}) |")
    print(f"\nload average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
