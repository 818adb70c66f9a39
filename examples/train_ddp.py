#!/usr/bin/env python3
"""Train the paper's MLP on 4-digit multiplication with PyTorch DistributedDataParallel.

The data and the evaluation are arsim's, so a run here lands in the same RESULTS.md table as
`arsim task multiply`: training batches stream from `arsim.tasks.multiply.batches` (batch k is
a pure function of the seed and k, drawn from the paper's training split; each of the N ranks
takes rows rank::N of every global batch), and the model is scored by greedy decoding of the
fixed held-out sample with `arsim.tasks.multiply.score` (the library's scoring: the same pairs
and rules as `arsim task multiply --eval-split validation|test`).

Smoke test on CPU (gloo; under torchrun the width is --width, since torchrun reads --d as its own):
    torchrun --nproc_per_node 2 examples/train_ddp.py --steps 5
The paper's run (--paper: its recipe, see below) on N GPUs of one machine (nccl):
    torchrun --nproc_per_node N examples/train_ddp.py --paper --out paper-d128.st --json-out paper-d128.json
The memory and compute estimate alone, for 8 GPUs (no torchrun needed):
    python3 examples/train_ddp.py --paper --estimate --nproc 8
Score a kept model once on the test half (no torchrun needed):
    python3 examples/train_ddp.py --score paper-d128.st --eval-split test --json-out paper-d128-test.json
Several machines: add --nnodes M --node_rank R --rdzv_endpoint HOST:PORT to torchrun.

--paper is the run of the paper's code (emalach/LinearLM: configs/config_linear_prod.json,
training/linear_decoder.py, models/linear_model.py): the 307-token `paper` chain, d = 128, the
MLP (ReLU, linear2), batch 2,048, AdamW with lr 1e-3 and weight decay 0.1 on every parameter
whose name lacks "bias", a linear schedule with 1 warm-up step (the first update at lr 0, as
transformers' get_scheduler("linear") gives) decaying to 0 over 48,829 steps (100M sequences
at 2,048 a step), gradient clipping at norm 1.0, fp32, PyTorch's default initialisation of
nn.Embedding and nn.Linear, and linear1's bias left out of the forward pass (the paper's
_masked_linear calls F.linear without it; here it is zero and frozen). Two differences, both
without effect on the loss: the paper's model has T = 307 positions and discards the logits of
the last; this one has T = 306 (its fan-in for the default initialisation is 0.3% smaller); and
every step here has 2,048 sequences, where the paper's last batch has 256 (100,001,792
sequences in all, against 100,000,000).

The model is written (by rank 0) to --out only when given, as an arsim training checkpoint
(safetensors, with AdamW's moments: `arsim.torch.save_checkpoint`), so arsim itself scores it:
the report's `arsim_score` is the `arsim task multiply … --resume OUT --eval-split test`
command that decodes and scores it with 0 further steps (on a CPU, at d = 128, hours; `--score`
does the same decoding on the GPU with the library's scoring), and
`arsim.torch.load_checkpoint(OUT)` reads it back.
"""

import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

import arsim.torch as at
from arsim.tasks import multiply

#: The paper's run (configs/config_linear_prod.json of emalach/LinearLM).
PAPER = dict(cot="paper", d=128, batch=2048, lr=1e-3, weight_decay=0.1, train=100_000_000, clip=1.0)

#: An H100's rough throughput for the cost estimate, FLOP/s: fp32 on its CUDA cores (67 T peak)
#: and TF32 on its tensor cores (495 T dense peak), each at about 60% of peak. An estimate, not
#: a measurement.
H100_FLOPS = {"fp32": 0.6 * 67e12, "tf32": 0.6 * 495e12}


#: arsim's recipe, the default without --paper.
ARSIM = dict(cot="carry", d=32, batch=64, lr=3e-3, weight_decay=0.01)


def parse():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paper", action="store_true",
                    help="the paper's run and recipe (see above); flags given beside it override its values")
    ap.add_argument("--cot", choices=multiply.COTS, help="chain of thought (default: carry; --paper: paper)")
    # Under torchrun, --d is taken for an abbreviation of torchrun's own --duplicate-* options:
    # say --width there.
    ap.add_argument("--d", "--width", dest="d", type=int, help="embedding width (default: 32; --paper: 128)")
    ap.add_argument("--batch", type=int, help="global batch, all ranks together (default: 64; --paper: 2048)")
    ap.add_argument("--steps", type=int, help="optimizer steps (default: 1000; --paper: 48,829)")
    ap.add_argument("--lr", type=float, help="peak learning rate (default: 3e-3 with warm-up and cosine to 10%%; --paper: 1e-3, linear decay)")
    ap.add_argument("--weight-decay", type=float, help="AdamW weight decay (default: 0.01; --paper: 0.1, biases excepted)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tf32", action="store_true", help="TF32 matrix products (faster on GPUs; the paper's run was fp32)")
    ap.add_argument("--eval", "--eval-pairs", dest="eval_pairs", type=int, default=multiply.EVAL_PAIRS,
                    help="held-out pairs scored (arsim task multiply --eval)")
    ap.add_argument("--eval-split", default="validation", choices=["validation", "test"],
                    help="the held-out half scored: validation while tuning, test once for a reported row")
    ap.add_argument("--out", default=None, help="write the trained model here as an arsim checkpoint (default: not kept)")
    ap.add_argument("--json-out", default=None, help="write the report here too (it is printed either way)")
    ap.add_argument("--estimate", action="store_true", help="print the memory and compute estimate for --nproc and stop")
    ap.add_argument("--nproc", type=int, default=1, help="with --estimate: the processes (GPUs) to estimate for")
    ap.add_argument("--score", metavar="MODEL", default=None,
                    help="score a checkpoint written by --out on --eval-split, without training")
    args = ap.parse_args()
    preset = PAPER if args.paper else ARSIM
    for k in ARSIM:
        if getattr(args, k) is None:
            setattr(args, k, preset[k])
    if args.steps is None:
        args.steps = math.ceil(PAPER["train"] / PAPER["batch"]) if args.paper else 1000
    return args


def lr_arsim(step, steps, peak):
    """arsim's schedule: linear warm-up over 5% of the steps (1..500), cosine decay to 10%."""
    warm = min(max(steps // 20, 1), 500)
    if step < warm:
        return peak * (step + 1) / warm
    t = (step - warm) / max(steps - warm, 1)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def lr_paper(step, steps, peak, warmup=1):
    """transformers' get_scheduler("linear", num_warmup_steps=1): step / warmup during the
    warm-up (so the first update is at lr 0), then linear decay to 0 at `steps`."""
    if step < warmup:
        return peak * step / max(1, warmup)
    return peak * max(0.0, (steps - step) / max(1, steps - warmup))


def parameter_groups(model, weight_decay, paper):
    """arsim's recipe decays every parameter; the paper's (get_grouped_params) every parameter
    whose name lacks "bias" (and "LayerNorm.weight", which this model has none of)."""
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not paper:
        return [{"params": [p for _, p in params], "weight_decay": weight_decay}]
    return [
        {"params": [p for n, p in params if "bias" not in n], "weight_decay": weight_decay},
        {"params": [p for n, p in params if "bias" in n], "weight_decay": 0.0},
    ]


def estimate(vocab, T, d, batch, world, steps):
    """Memory per process and compute of the run, before it starts (fp32 throughout)."""
    masked = (T * d) ** 2  # linear1 is dense: T·d × T·d, masked at every forward pass
    params = vocab * d + masked + T * d + d * d + d + d * vocab + vocab
    gib = 2.0**30
    per_rank = batch // world
    memory = {
        "parameters": 4 * params / gib,
        "gradients": 4 * params / gib,
        "AdamW moments": 8 * params / gib,
        "DDP gradient buckets": 4 * params / gib,
        "the mask (bool)": masked / gib,
        "masked weight W*mask and its gradient (autograd)": 8 * masked / gib,
        "activations and logits": 4 * per_rank * T * (6 * d + 3 * vocab) / gib,
    }
    flops_per_seq = 6 * (masked + T * d * d + T * d * vocab)  # 3 × the forward multiply-adds × 2
    flops = flops_per_seq * batch * steps
    return params, memory, flops


def print_estimate(args, vocab, T, world):
    params, memory, flops = estimate(vocab, T, args.d, args.batch, world, args.steps)
    lines = [f"model: {params:,} parameters ({(T * args.d) ** 2:,} in the dense masked layer; "
             f"{T * (T + 1) // 2 * args.d ** 2:,} of them kept by the causal mask)"]
    lines.append("memory per process, estimated (fp32):")
    lines += [f"  {k:52s} {v:7.1f} GiB" for k, v in memory.items()]
    lines.append(f"  {'total':52s} {sum(memory.values()):7.1f} GiB")
    hours = {k: flops / v / 3600 for k, v in H100_FLOPS.items()}
    lines.append(f"compute: {flops:.3g} FLOPs ({args.steps:,} steps of {args.batch:,}); one H100, estimated "
                 f"at 60% of peak: {hours['tf32']:.1f} h with --tf32, {hours['fp32']:.1f} h in fp32 "
                 f"(divide by the GPUs)")
    print("\n".join(lines), flush=True)


@torch.no_grad()
def greedy_decode(model, chains, prompt_len, device, batch=500):
    """Decodes every chain from its prompt, one token at a time, like `arsim task multiply`."""
    out = []
    for i in range(0, len(chains), batch):
        ids = torch.as_tensor(chains[i : i + batch], device=device).clone()
        for t in range(prompt_len - 1, ids.shape[1] - 1):
            ids[:, t + 1] = model(ids[:, : t + 1])[:, t].argmax(-1)
        out.append(ids.cpu().numpy())
    return np.concatenate(out)


def score(model, cot, pairs, split, device):
    """arsim's scoring of the model's greedy chains on the fixed sample of `split`."""
    _, chains = multiply.validation(pairs, cot, split=split)
    model.eval()
    decoded = greedy_decode(model, chains, multiply.prompt_length(cot), device)
    return multiply.score(decoded, cot=cot, split=split)


def write_report(report, path):
    text = json.dumps(report, indent=2)
    print(text)
    if path:
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, path)


def score_only(args):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = at.load_checkpoint(args.score).to(device)
    task = model.task or {}
    cot = task.get("cot", args.cot)
    t0 = time.time()
    result = score(model, cot, args.eval_pairs, args.eval_split, device)
    write_report({"model": args.score, "cot": cot, "task": task, "step": model.step,
                  "eval_split": args.eval_split, args.eval_split: result,
                  "seconds": time.time() - t0}, args.json_out)


def main():
    args = parse()
    if args.score:
        return score_only(args)
    if args.estimate:
        return print_estimate(args, len(multiply.vocabulary()), multiply.length(args.cot) - 1, args.nproc)
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch % world:
        raise SystemExit(f"--batch {args.batch} must be a multiple of the {world} processes")
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.manual_seed(args.seed)

    L = multiply.length(args.cot)
    vocab = len(multiply.vocabulary())
    if rank == 0:
        print_estimate(args, vocab, L - 1, world)
        if not args.out:
            print("note: no --out, so the trained model is scored and then not kept", flush=True)
    model = at.LinearModel(vocab, T=L - 1, d=args.d, activation="relu").to(device)
    if args.paper:
        # The paper's forward pass leaves linear1's bias out: zero and frozen here.
        with torch.no_grad():
            model.linear1.bias.zero_()
        model.linear1.bias.requires_grad_(False)
    ddp = DDP(model, device_ids=[device.index] if cuda else None)
    opt = torch.optim.AdamW(parameter_groups(model, args.weight_decay, args.paper), lr=args.lr)
    lr_at = lr_paper if args.paper else lr_arsim

    t0 = time.time()
    data = multiply.batches(args.batch, args.seed, args.cot, rank=rank, world_size=world)
    for step in range(args.steps):
        chains = torch.as_tensor(next(data), device=device)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr)
        logits = ddp(chains[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), chains[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.paper:
            torch.nn.utils.clip_grad_norm_(model.parameters(), PAPER["clip"])
        opt.step()
        if rank == 0 and (step % 100 == 0 or step == args.steps - 1):
            print(f"step {step + 1}/{args.steps}  loss {loss.item():.4f}  {time.time() - t0:.1f}s", flush=True)

    if rank == 0:
        seconds = time.time() - t0
        config = {"architecture": "mlp", "vocab": vocab, "context": L - 1, "d": args.d}
        task = {"task": "multiply", "cot": args.cot, "batch": args.batch, "seed": args.seed,
                "train_seqs": args.steps * args.batch, "recipe": "paper" if args.paper else "arsim"}
        arsim_score = None
        if args.out:
            at.save_checkpoint(model, args.out, cot=args.cot, batch=args.batch, seed=args.seed,
                               train_seqs=task["train_seqs"], step=args.steps, lr=args.lr,
                               weight_decay=args.weight_decay, recipe=task["recipe"], optimizer=opt)
            # arsim's --paper-config sets the batch (2,048), lr and weight decay itself; a --paper
            # run with another batch is not a run arsim can resume, so it has no command.
            flags = ("--paper-config" if args.paper else
                     f"--batch {args.batch} --lr {args.lr} --weight-decay {args.weight_decay}")
            if not args.paper or args.batch == PAPER["batch"]:
                arsim_score = (f"arsim task multiply --cot {args.cot} --model mlp --d {args.d} {flags} --seed {args.seed} "
                               f"--train {task['train_seqs']} --resume {args.out} --eval-split test --json")
        result = score(model, args.cot, args.eval_pairs, args.eval_split, device)
        write_report({"cot": args.cot, "model": config, "parameters": sum(p.numel() for p in model.parameters()),
                      "recipe": task["recipe"], "train_seqs": task["train_seqs"], "batch": args.batch,
                      "lr": args.lr, "weight_decay": args.weight_decay, "seed": args.seed, "steps": args.steps,
                      "processes": world, "tf32": args.tf32, "training_seconds": seconds,
                      "eval_split": args.eval_split, args.eval_split: result, "out": args.out,
                      "arsim_score": arsim_score}, args.json_out)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
