#!/usr/bin/env python3
"""Train the paper's MLP on 4-digit multiplication with PyTorch DistributedDataParallel.

The data and the evaluation are arsim's, so a run here lands in the same RESULTS.md table as
`arsim task multiply`: training batches stream from `arsim.tasks.multiply.batches` (batch k is
a pure function of the seed and k, drawn from the fixed training split; each of the N ranks
takes rows rank::N of every global batch), and the model is scored by greedy decoding of the
fixed validation sample with `arsim.tasks.multiply.score` (the same pairs and rules).

Smoke test on CPU (gloo):
    torchrun --nproc_per_node 2 examples/train_ddp.py --steps 5
N GPUs on one machine (nccl):
    torchrun --nproc_per_node N examples/train_ddp.py --cot paper --d 256 --steps 100000
Several machines: add --nnodes M --node_rank R --rdzv_endpoint HOST:PORT to torchrun.

The final state dict is written (by rank 0) to --out; `arsim.torch.load_checkpoint(--out)`
reads it back as the paper's LinearModel.
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


def parse():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cot", default="carry", choices=multiply.COTS)
    ap.add_argument("--d", type=int, default=32, help="embedding width")
    ap.add_argument("--batch", type=int, default=64, help="global batch (all ranks together)")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (warm-up, cosine to 10%%)")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval", "--eval-pairs", dest="eval_pairs", type=int, default=multiply.EVAL_PAIRS,
                    help="validation pairs scored (arsim task multiply --eval)")
    ap.add_argument("--out", default="train_ddp.pt")
    return ap.parse_args()


def lr_at(step, steps, peak):
    """arsim's schedule: linear warm-up over 5% of the steps (1..500), cosine decay to 10%."""
    warm = min(max(steps // 20, 1), 500)
    if step < warm:
        return peak * (step + 1) / warm
    t = (step - warm) / max(steps - warm, 1)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


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


def main():
    args = parse()
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch % world:
        raise SystemExit(f"--batch {args.batch} must be a multiple of the {world} processes")
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(args.seed)

    L = multiply.length(args.cot)
    vocab = len(multiply.vocabulary())
    model = at.LinearModel(vocab, T=L - 1, d=args.d, activation="relu").to(device)
    ddp = DDP(model, device_ids=[device.index] if cuda else None)
    opt = torch.optim.AdamW(ddp.parameters(), lr=args.lr, weight_decay=args.weight_decay)

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
        opt.step()
        if rank == 0 and (step % 100 == 0 or step == args.steps - 1):
            print(f"step {step + 1}/{args.steps}  loss {loss.item():.4f}  {time.time() - t0:.1f}s", flush=True)

    if rank == 0:
        _, chains = multiply.validation(args.eval_pairs, args.cot)
        decoded = greedy_decode(model, chains, multiply.prompt_length(args.cot), device)
        report = multiply.score(decoded, cot=args.cot)
        report.update(cot=args.cot, d=args.d, steps=args.steps, batch=args.batch,
                      train_seqs=args.steps * args.batch, processes=world, seconds=time.time() - t0)
        config = {"architecture": "mlp", "vocab": vocab, "context": L - 1, "d": args.d}
        task = {"task": "multiply", "cot": args.cot, "batch": args.batch, "seed": args.seed,
                "train_seqs": args.steps * args.batch}
        tmp = f"{args.out}.tmp{os.getpid()}"
        torch.save({"format": "arsim-linear-model/1", "config": config, "task": task,
                    "step": args.steps, "state_dict": model.state_dict()}, tmp)
        os.replace(tmp, args.out)
        print(json.dumps({"validation": report, "out": args.out}, indent=2))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
