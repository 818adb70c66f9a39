"""Run an arsim weight file with numpy alone: the linear AR predictor needs nothing else.

    cargo run --release -- compile machines/bb3.ron --out bb3.safetensors
    python3 examples/emulate_numpy.py bb3.safetensors 21

prints the last row of the generated chain of thought (pip install numpy safetensors).
"""
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

path, steps = sys.argv[1], int(sys.argv[2])
W = load_file(path)
with safe_open(path, "np") as f:
    meta = f.metadata()
tokens = json.loads(meta["tokens"])
offsets = json.loads(meta["offsets"])
names = json.loads(meta["offset_names"])
S, origin = int(meta["window_size"]), int(meta["origin"])
index = {t: i for i, t in enumerate(tokens)}

# The prompt: SEP, then the blank window with the head (start state, blank) at the origin.
start = next(t for t in tokens if t.startswith("⟨") and "," in t)  # first head token: start state on symbol 0
trace = [index["SEP"]] + [index[start] if i == origin else index["⟨0⟩"] for i in range(S)]
for p in range(len(trace), len(trace) + steps * (S + 1)):
    score = np.zeros(len(tokens), dtype=np.int64)
    for j, name in zip(offsets, names):
        if p - j >= 0:  # positions before the trace read as a zero column
            score += W["W." + name][:, trace[p - j]]
    trace.append(int(score.argmax()))
print(" ".join(tokens[t] for t in trace[-(S + 1):]))
