"""Run an arsim `cells` weight file with numpy alone: the linear AR predictor needs nothing else.

    cargo run --release -- compile machines/bb3.ron --out bb3.safetensors
    python3 examples/emulate_numpy.py bb3.safetensors

prints the chain of thought one row per line, as `arsim trace --tokens` does (step, then the
row's token names), until a row shows a halting state or --max-steps rows were generated.
Everything comes from the file: the dictionary, the offsets, the window S and origin, the blank
symbol, the start state, the halting states and the input the weights were compiled for
(--input overrides it). Only numpy is needed (pip install numpy): the safetensors layout is
read here directly (8-byte header length, JSON header, raw little-endian tensors).

The rule, as the file's metadata states it: next = argmax_d sum_j W_j[d, x[p - j]], positions
before the trace read as a zero column, integer weights summed exactly (int64 here), ties to the
lowest d.
"""
import argparse
import json
import struct
import sys

import numpy as np

DTYPES = {
    "I8": np.int8, "I16": np.int16, "I32": np.int32, "I64": np.int64,
    "U8": np.uint8, "U16": np.uint16, "U32": np.uint32, "U64": np.uint64,
    "F16": np.float16, "F32": np.float32, "F64": np.float64,
}


def read_safetensors(path):
    """The tensors (as numpy arrays) and the string metadata of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, t in header.items():
        start, end = t["data_offsets"]
        raw = data[base + start:base + end]
        if t["dtype"] == "BF16":
            # bfloat16 is the top half of a float32.
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(DTYPES[t["dtype"]]).newbyteorder("<"))
        tensors[name] = arr.reshape(t["shape"])
    return tensors, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("weights")
    ap.add_argument("--input", help="the input word (default: the one the file was compiled for)")
    ap.add_argument("--max-steps", type=int, default=100_000)
    args = ap.parse_args()

    tensors, meta = read_safetensors(args.weights)
    if meta.get("encoding", "cells") != "cells":
        sys.exit(f"{args.weights}: a {meta['encoding']} file; this example runs cells files")
    for key in ("blank", "start_state", "window_size", "origin"):
        if key not in meta:
            sys.exit(f"{args.weights}: metadata has no `{key}` (write it with a newer arsim compile --out)")
    tokens = json.loads(meta["tokens"])
    offsets = json.loads(meta["offsets"])
    names = json.loads(meta["offset_names"])
    halting = set(json.loads(meta.get("halting", "[]")))
    S, origin = int(meta["window_size"]), int(meta["origin"])
    blank, start = meta["blank"], meta["start_state"]
    word = args.input if args.input is not None else meta.get("input", "")
    index = {t: i for i, t in enumerate(tokens)}
    integer = tensors["W." + names[0]].dtype.kind in "iu"
    # Integer weights are summed in int64 (the file's rule); floats in float64.
    W = [tensors["W." + n].astype(np.int64 if integer else np.float64) for n in names]

    # The prompt: SEP, then the window with the input from the origin, the head (start state) on it.
    cells = [blank] * S
    for i, c in enumerate(word):
        cells[origin + i] = c
    row = ["SEP"] + [f"⟨{start},{c}⟩" if i == origin else f"⟨{c}⟩" for i, c in enumerate(cells)]
    trace = [index[t] for t in row]

    def head_state(r):
        for t in r[1:]:
            inner = tokens[t][1:-1]
            if "," in inner:
                return inner.rsplit(",", 1)[0]
        return None

    print(f"{0:>6}  {' '.join(tokens[t] for t in trace)}")
    step = 0
    while head_state(trace[-(S + 1):]) not in halting and step < args.max_steps:
        for _ in range(S + 1):
            p = len(trace)
            score = np.zeros(len(tokens), dtype=W[0].dtype)
            for j, w in zip(offsets, W):
                if p - j >= 0:  # positions before the trace read as a zero column
                    score += w[:, trace[p - j]]
            trace.append(int(score.argmax()))  # argmax: the first maximum, the lowest index
        step += 1
        print(f"{step:>6}  {' '.join(tokens[t] for t in trace[-(S + 1):])}")


if __name__ == "__main__":
    main()
