"""PyTorch views of arsim's models (``torch`` is imported only when this module is).

- :func:`to_module`: a compiled or learned linear predictor as an ``nn.Module``: one embedding
  table per offset (``W_j`` transposed, with a zero padding row), summed, argmax. Its
  :meth:`ArPredictor.generate` matches arsim's executor token for token.
- :func:`load_checkpoint`: a training checkpoint of ``arsim task multiply|text --checkpoint`` as
  the paper's ``LinearModel`` (Malach 2024, github.com/emalach/LinearLM): an input embedding,
  one dense ``T·d × T·d`` masked linear layer, ReLU and a second ``d × d`` linear for the MLP,
  and the output layer. arsim stores the masked layer as blocks (``masked.below.k``, the
  off-diagonal rectangle of chunk k, and ``masked.diagonal.k``, its square) and its linear
  layers as ``x @ W`` (``[in, out]``); here they are reassembled into the dense matrix and
  transposed to PyTorch's ``[out, in]``.

Without PyTorch installed the module still imports; using any of it raises ImportError saying
what to install. Example (``_EXAMPLE``, a doctest wherever torch is installed)::

    import arsim, arsim.torch
    bb2 = arsim.load("1RB1LB_1LA1RZ")
    m = arsim.torch.to_module(arsim.compile(bb2))
    t = bb2.trace()
    out = m.generate(t.prompt, len(t) - len(t.prompt))   # == t.ids[len(t.prompt):]
"""

from __future__ import annotations

import json as _json
import os as _os
from typing import Sequence

import numpy as _np


class _NoTorch:
    """Stands in for ``torch`` and ``torch.nn`` where PyTorch is not installed: the classes
    below can still be defined (on ``object``), and anything that needs PyTorch raises
    ImportError naming it."""

    Module = object

    def __init__(self, error: ImportError):
        self._error = error

    def no_grad(self):
        return lambda f: f

    def __getattr__(self, name):
        if name.startswith("__"):  # introspection (doctest, pickle, help) finds nothing here
            raise AttributeError(name)
        raise ImportError(f"arsim.torch needs PyTorch ({self._error}): pip install torch, or pip install 'arsim[torch]'")


try:
    import torch
    from torch import nn
except ImportError as _e:  # pragma: no cover - depends on the environment
    torch = nn = _NoTorch(_e)  # type: ignore[assignment]

from . import _arsim
from . import checkpoint_logits  # noqa: F401  (arsim's own logits, re-exported)
from .onnx import tables as _tables

__all__ = ["ArPredictor", "to_module", "LinearModel", "load_checkpoint", "save_checkpoint", "checkpoint_logits"]

_EXAMPLE = """
>>> import arsim, arsim.torch
>>> bb2 = arsim.load("1RB1LB_1LA1RZ")
>>> m = arsim.torch.to_module(arsim.compile(bb2))
>>> t = bb2.trace()
>>> out = m.generate(t.prompt, len(t) - len(t.prompt))
>>> bool((out.numpy() == t.ids[len(t.prompt):]).all())
True
"""

# The example runs as a doctest (`pytest --doctest-modules --pyargs arsim`) where torch is
# installed; elsewhere there is nothing to run.
if not isinstance(torch, _NoTorch):
    __test__ = {"to_module": _EXAMPLE}


class ArPredictor(nn.Module):
    """``scores(p) = Σ_j table_j[x[p − offset_j]]``, ``next = argmax``; positions before the
    trace read the padding row (``vocab``), which is zero."""

    def __init__(self, predictor):
        super().__init__()
        self.offsets = list(predictor.offsets)
        self.vocab = len(predictor.dictionary)
        self.dictionary = list(predictor.dictionary)
        self.tables = nn.ModuleList()
        for tab in _tables(predictor):
            # Integer weights are kept exactly: float64 holds every int32 sum of a few terms.
            dtype = torch.float64 if tab.dtype == _np.int32 else torch.float32
            emb = nn.Embedding(self.vocab + 1, self.vocab, padding_idx=self.vocab)
            emb.weight = nn.Parameter(torch.from_numpy(tab.astype(_np.float64 if dtype == torch.float64 else _np.float32)), requires_grad=False)
            self.tables.append(emb)

    def contexts(self, ids: torch.Tensor) -> torch.Tensor:
        """``[..., L]`` ids → ``[..., L, K]``: the token at each offset before each position."""
        pad = max(self.offsets)
        padded = torch.nn.functional.pad(ids, (pad, 0), value=self.vocab)
        return torch.stack([padded[..., pad - o : pad - o + ids.shape[-1]] for o in self.offsets], dim=-1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Scores ``[..., L, vocab]`` of the next token at every position of ``ids`` ``[..., L]``
        (teacher forcing: position p's scores predict token p from tokens before p)."""
        ctx = self.contexts(ids)
        return sum(t(ctx[..., j]) for j, t in enumerate(self.tables))

    @torch.no_grad()
    def generate(self, prompt: Sequence[int], n: int) -> torch.Tensor:
        """Feeds ``prompt`` (one sequence ``[L]``) and generates ``n`` tokens greedily (lowest
        index wins a tie)."""
        from . import _token_rows

        rows, _ = _token_rows(prompt, "prompt", batched=False)
        seq = rows[0]
        out = []
        for _ in range(n):
            scores = sum(
                t.weight[seq[-o] if o <= len(seq) else self.vocab] for o, t in zip(self.offsets, self.tables)
            )
            nxt = int(torch.argmax(scores))
            seq.append(nxt)
            out.append(nxt)
        return torch.tensor(out, dtype=torch.int64)


def to_module(predictor) -> ArPredictor:
    """The predictor as a ``torch.nn.Module`` computing the same scores (see :class:`ArPredictor`)."""
    return ArPredictor(predictor)


class LinearModel(nn.Module):
    """The paper's model, with its parameter names: ``in_embedding`` ``[V, d]``, ``linear1``
    (the masked ``T·d → T·d`` layer: output position t sees input positions ≤ t),
    ``linear2`` (``d → d``, between two ReLUs; MLP only) and ``out_embedding`` (``d → V``).
    ``linear1``'s bias is applied (arsim trains one; the paper's forward leaves it out)."""

    def __init__(self, num_tokens: int, T: int, d: int, activation: str = "none"):
        super().__init__()
        self.T, self.d = T, d
        self.in_embedding = nn.Embedding(num_tokens, d)
        self.linear1 = nn.Linear(T * d, T * d)
        self.activation = nn.ReLU() if activation == "relu" else None
        if self.activation is not None:
            self.linear2 = nn.Linear(d, d)
        self.out_embedding = nn.Linear(d, num_tokens)
        lower = torch.tril(torch.ones(T, T, dtype=torch.bool))  # [out position, in position]
        # A bool mask (a quarter of a float one: 1.5 GB at the paper's d = 128), rebuilt from the
        # shape, so not saved with the state dict.
        mask = lower.view(T, 1, T, 1).expand(T, d, T, d).reshape(T * d, T * d).clone()
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, L, V]`` for tokens ``[B, L]`` (``L ≤ T``; padded on the right to T)."""
        L = x.shape[-1]
        if L < self.T:
            x = torch.nn.functional.pad(x, (0, self.T - L))
        h = self.in_embedding(x).reshape(-1, self.T * self.d)
        # A registered buffer: a Tensor, which nn.Module's attribute type does not say.
        mask: torch.Tensor = self.mask  # type: ignore[assignment]
        h = torch.nn.functional.linear(h, self.linear1.weight * mask, self.linear1.bias)
        h = h.view(-1, self.T, self.d)
        if self.activation is not None:
            h = self.activation(self.linear2(self.activation(h)))
        return self.out_embedding(h)[:, :L]


def _dense_masked(tensors: dict, T: int, d: int, chunk: int) -> torch.Tensor:
    """The ``[T·d (in), T·d (out)]`` matrix from arsim's chunked blocks."""
    w = torch.zeros(T * d, T * d)
    for k, s in enumerate(range(0, T, chunk)):
        e = min(s + chunk, T)
        w[s * d : e * d, s * d : e * d] = tensors[f"masked.diagonal.{k}"]
        if s > 0:
            w[: s * d, s * d : e * d] = tensors[f"masked.below.{k}"]
    return w


#: The ``format`` of the state-dict files ``examples/train_ddp.py`` writes.
STATE_DICT_FORMAT = "arsim-linear-model/1"


def _load_state_dict_file(path) -> LinearModel:
    blob = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(blob, dict) or blob.get("format") != STATE_DICT_FORMAT:
        raise _arsim.BadInput(f"{path}: not an arsim checkpoint (safetensors) nor a {STATE_DICT_FORMAT} state dict")
    cfg = blob["config"]
    model = LinearModel(cfg["vocab"], cfg["context"], cfg["d"], activation="relu" if cfg["architecture"] == "mlp" else "none")
    state = dict(blob["state_dict"])
    state.pop("mask", None)  # written by versions that saved the mask
    model.load_state_dict(state)
    model.config, model.task, model.step = cfg, blob.get("task"), blob.get("step")  # type: ignore[assignment]
    return model


def load_checkpoint(path) -> LinearModel:
    """Reads an arsim training checkpoint (``--checkpoint c.safetensors`` of ``arsim task
    multiply`` or ``task text``; ``mlp`` or ``linear``) as the paper's :class:`LinearModel`,
    or a state dict written by ``examples/train_ddp.py``. The result has ``.config`` (the
    model's shape) and ``.task`` (what it was trained on)."""
    path = _os.fspath(path)
    with open(path, "rb") as f:
        zipped = f.read(2) == b"PK"  # torch.save's zip container
    if zipped:
        return _load_state_dict_file(path)
    info, raw = _arsim.checkpoint_tensors(path)
    info = _json.loads(info)
    cfg = info["config"]
    arch = str(cfg["architecture"]).lower()
    if arch not in ("mlp", "linear"):
        raise _arsim.BadInput(f"{path}: a {arch} model is not the paper's LinearModel (mlp or linear)")
    t = {
        name: torch.from_numpy(_np.frombuffer(b, dtype="<f4").astype(_np.float32).reshape(shape))
        for name, shape, b in raw
    }
    V, T, d, chunk = cfg["vocab"], cfg["context"], cfg["d"], max(cfg["chunk"], 1)
    model = LinearModel(V, T, d, activation="relu" if arch == "mlp" else "none")
    with torch.no_grad():
        model.in_embedding.weight.copy_(t["embedding"])
        model.linear1.weight.copy_(_dense_masked(t, T, d, chunk).T)
        model.linear1.bias.copy_(t["masked.bias"])
        if arch == "mlp":
            model.linear2.weight.copy_(t["hidden.weight"].T)
            model.linear2.bias.copy_(t["hidden.bias"])
        model.out_embedding.weight.copy_(t["output.weight"].T)
        model.out_embedding.bias.copy_(t["output.bias"])
    model.config, model.task, model.step = cfg, info["task"], info["step"]
    return model


#: The `format` of arsim's training checkpoints (`nn::checkpoint::FORMAT`).
CHECKPOINT_FORMAT = "arsim-ar-model/1"


def _default_chunk(context: int) -> int:
    """`nn::ModelConfig::default_chunk`: about 16 chunks of at least 4 positions."""
    return min(max(-(-context // 16), 4), max(context, 1))


def _blocks(dense: "torch.Tensor", T: int, d: int, chunk: int) -> dict:
    """arsim's chunked blocks from the ``[T·d (in), T·d (out)]`` matrix (the inverse of
    :func:`_dense_masked`)."""
    out = {}
    for k, s in enumerate(range(0, T, chunk)):
        e = min(s + chunk, T)
        out[f"masked.diagonal.{k}"] = dense[s * d : e * d, s * d : e * d]
        if s > 0:
            out[f"masked.below.{k}"] = dense[: s * d, s * d : e * d]
    return out


def _arsim_tensors(model: LinearModel) -> dict:
    """The model's parameters under arsim's names and layouts (``[in, out]``)."""
    T, d = model.T, model.d
    t = {"embedding": model.in_embedding.weight}
    t.update(_blocks(model.linear1.weight.T, T, d, _default_chunk(T)))
    t["masked.bias"] = model.linear1.bias
    if model.activation is not None:
        t["hidden.weight"] = model.linear2.weight.T
        t["hidden.bias"] = model.linear2.bias
    t["output.weight"] = model.out_embedding.weight.T
    t["output.bias"] = model.out_embedding.bias
    return t


def save_checkpoint(model: LinearModel, path, *, cot: str, batch: int, seed: int, train_seqs: int, step: int,
                    lr: float, weight_decay: float, recipe: str = "arsim", optimizer=None) -> None:
    """Writes ``model`` as an arsim training checkpoint (safetensors, ``arsim-ar-model/1``):
    ``arsim task multiply --cot COT --model mlp|linear --d D --batch BATCH --seed SEED --train
    TRAIN_SEQS --resume PATH [--eval-split test]`` (with ``--paper-config`` for ``recipe=
    "paper"``) then scores it with 0 further steps when ``step`` is the run's last, through
    arsim's own decoding and scoring, and :func:`load_checkpoint` reads it back. With
    ``optimizer`` (a ``torch.optim.AdamW`` over the model), its moments are saved too, so that
    arsim can train on from them. A model that used ``linear1``'s bias must say so by it: arsim
    applies the saved bias under its own recipe, and never under the paper's."""
    if recipe not in ("arsim", "paper"):
        raise _arsim.BadInput(f"recipe must be 'arsim' or 'paper', not {recipe!r}")
    arch = "mlp" if model.activation is not None else "linear"
    T, d = model.T, model.d
    config = {"architecture": arch, "vocab": model.out_embedding.out_features, "context": T, "d": d,
              "chunk": _default_chunk(T), "layers": 0, "heads": 0}
    task = {"task": "multiply", "cot": cot, "batch": batch, "seed": seed, "schedule": {"train_seqs": train_seqs}}
    named = _arsim_tensors(model)
    tensors = {k: v.detach() for k, v in named.items()}
    if optimizer is not None:
        by_param = {id(p): n for n, p in model.named_parameters()}
        layout = {"in_embedding.weight": "embedding", "linear1.bias": "masked.bias", "linear2.bias": "hidden.bias",
                  "out_embedding.bias": "output.bias"}
        for p, st in optimizer.state.items():
            name = by_param.get(id(p))
            if name is None or "exp_avg" not in st:
                continue
            m, v = st["exp_avg"], st["exp_avg_sq"]
            if name == "linear1.weight":
                chunk = _default_chunk(T)
                tensors.update({f"adam.m.{k}": x for k, x in _blocks(m.T, T, d, chunk).items()})
                tensors.update({f"adam.v.{k}": x for k, x in _blocks(v.T, T, d, chunk).items()})
            elif name in ("linear2.weight", "out_embedding.weight"):
                ours = "hidden.weight" if name == "linear2.weight" else "output.weight"
                tensors[f"adam.m.{ours}"], tensors[f"adam.v.{ours}"] = m.T, v.T
            elif name in layout:
                tensors[f"adam.m.{layout[name]}"], tensors[f"adam.v.{layout[name]}"] = m, v
    meta = {"format": CHECKPOINT_FORMAT, "config": _json.dumps(config), "task": _json.dumps(task), "step": str(step),
            "lr": repr(float(lr)), "weight_decay": repr(float(weight_decay)), "recipe": recipe}
    _write_safetensors(_os.fspath(path), {k: v.float().cpu().contiguous().numpy() for k, v in tensors.items()}, meta)


def _write_safetensors(path: str, arrays: dict, meta: dict) -> None:
    """The safetensors layout (8-byte header length, JSON header, little-endian f32 data),
    written whole: to a temporary file beside ``path``, then renamed over it."""
    header: dict = {"__metadata__": meta}
    offset = 0
    for name in sorted(arrays):
        a = arrays[name]
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = _json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = f"{path}.tmp{_os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for name in sorted(arrays):
            f.write(_np.ascontiguousarray(arrays[name], dtype="<f4").tobytes())
    _os.replace(tmp, path)
