"""A compiled (or learned) predictor as an ONNX graph: one ``Gather`` per offset, ``Add``,
``ArgMax``, so onnxruntime (or any ONNX runtime, on any accelerator) runs arsim's predictor.

The graph's input ``context`` is ``int64 [N, K]``: for each of N positions, the token at each of
the K offsets, in the order of :attr:`arsim.Predictor.offsets` (``vocab`` for a position before
the trace: the padding row, all zero). Its outputs are ``scores [N, vocab]`` and ``next [N]``
(``int64``, the argmax; the lowest index wins a tie, as in arsim). Each offset's table is
``W_j`` transposed with a zero padding row: ``table_j[x] = W_j[:, x]``.

Requires the ``onnx`` package (``pip install onnx``); :func:`contexts` and :func:`generate`
need only numpy and a session. Example (``_EXAMPLE``, a doctest wherever onnx and onnxruntime
are installed)::

    import arsim, arsim.onnx, onnxruntime
    p = arsim.compile(arsim.load("1RB1LB_1LA1RZ"))
    arsim.onnx.export(p, "bb2.onnx")
    s = onnxruntime.InferenceSession("bb2.onnx", providers=["CPUExecutionProvider"])
    t = arsim.load("1RB1LB_1LA1RZ").trace()
    out = arsim.onnx.generate(s, p, t.prompt, len(t) - len(t.prompt))   # == t.ids[len(t.prompt):]
"""

from __future__ import annotations

import os as _os
from importlib.util import find_spec as _find_spec
from typing import Sequence

import numpy as _np

__all__ = ["tables", "to_model", "export", "contexts", "generate"]

_EXAMPLE = """
>>> import arsim, arsim.onnx, onnxruntime, tempfile, os
>>> p = arsim.compile(arsim.load("1RB1LB_1LA1RZ"))
>>> f = os.path.join(tempfile.mkdtemp(), "bb2.onnx")
>>> arsim.onnx.export(p, f)
>>> s = onnxruntime.InferenceSession(f, providers=["CPUExecutionProvider"])
>>> t = arsim.load("1RB1LB_1LA1RZ").trace()
>>> out = arsim.onnx.generate(s, p, t.prompt, len(t) - len(t.prompt))
>>> bool((out == t.ids[len(t.prompt):]).all())
True
"""

# The example runs as a doctest (`pytest --doctest-modules --pyargs arsim`) where its packages
# are installed; elsewhere there is nothing to run, and the module still imports.
if all(_find_spec(m) is not None for m in ("onnx", "onnxruntime")):
    __test__ = {"export_and_run": _EXAMPLE}


def tables(predictor) -> list:
    """One ``[vocab + 1, vocab]`` table per offset: row ``x`` is what input token ``x`` adds to
    every output score (``W_j[:, x]``); row ``vocab`` (padding) is zero."""
    v = len(predictor.dictionary)
    out = []
    for o in predictor.offsets:
        w = predictor.weights[o]
        t = _np.zeros((v + 1, v), dtype=w.dtype)
        t[:v] = w.T
        out.append(t)
    return out


def to_model(predictor, opset: int = 13):
    """The predictor as an ``onnx.ModelProto`` (see the module doc for its inputs and outputs)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    v = len(predictor.dictionary)
    k = len(predictor.offsets)
    tabs = tables(predictor)
    elem = {_np.dtype(_np.int32): TensorProto.INT32, _np.dtype(_np.float64): TensorProto.DOUBLE}.get(tabs[0].dtype, TensorProto.FLOAT)
    inits, nodes = [], []
    idx = [numpy_helper.from_array(_np.array([j], dtype=_np.int64), f"col_{j}") for j in range(k)]
    inits.extend(idx)
    partial = None
    for j, (o, name, tab) in enumerate(zip(predictor.offsets, predictor.offset_names, tabs)):
        inits.append(numpy_helper.from_array(tab, f"table_{j}"))
        # context[:, j] → [N], then the table's rows → [N, vocab].
        nodes.append(helper.make_node("Gather", ["context", f"col_{j}"], [f"tok_{j}_2d"], axis=1, name=f"column {name}"))
        nodes.append(helper.make_node("Squeeze", [f"tok_{j}_2d", "axis1"], [f"tok_{j}"]))
        nodes.append(helper.make_node("Gather", [f"table_{j}", f"tok_{j}"], [f"part_{j}"], axis=0, name=f"W[{name}]"))
        if partial is None:
            partial = f"part_{j}"
        else:
            out = "scores" if j == k - 1 else f"sum_{j}"
            nodes.append(helper.make_node("Add", [partial, f"part_{j}"], [out]))
            partial = out
    if partial is None:
        raise ValueError("a predictor without offsets has no graph")
    if partial != "scores":
        nodes.append(helper.make_node("Identity", [partial], ["scores"]))
    inits.append(numpy_helper.from_array(_np.array([1], dtype=_np.int64), "axis1"))
    nodes.append(helper.make_node("ArgMax", ["scores"], ["next"], axis=1, keepdims=0, select_last_index=0))
    graph = helper.make_graph(
        nodes,
        f"arsim {predictor.meta.get('machine', '')} {predictor.encoding}",
        [helper.make_tensor_value_info("context", TensorProto.INT64, ["N", k])],
        [
            helper.make_tensor_value_info("scores", elem, ["N", v]),
            helper.make_tensor_value_info("next", TensorProto.INT64, ["N"]),
        ],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="arsim")
    model.ir_version = min(model.ir_version, 8)
    meta = dict(predictor.meta)
    meta.update({"offsets": str(list(predictor.offsets)), "tokens": "\x1f".join(predictor.dictionary)})
    for key, value in sorted(meta.items()):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    return model


def export(predictor, path) -> None:
    """Writes the predictor's ONNX graph to ``path`` (a temporary file, then renamed)."""
    model = to_model(predictor)
    path = _os.fspath(path)
    tmp = f"{path}.tmp{_os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(model.SerializeToString())
        _os.replace(tmp, path)
    finally:
        if _os.path.exists(tmp):
            _os.remove(tmp)


def contexts(predictor, ids: Sequence[int]) -> _np.ndarray:
    """The graph's input for every position of ``ids``: ``[len(ids), K]``, the token at each
    offset before the position (``vocab`` before the trace). Teacher forcing in one call."""
    from . import _token_rows

    rows, _ = _token_rows(ids, "ids", batched=False)
    arr = _np.asarray(rows[0], dtype=_np.int64)
    v = len(predictor.dictionary)
    padded = _np.concatenate([_np.full(max(predictor.offsets), v, dtype=_np.int64), arr])
    base = max(predictor.offsets) + _np.arange(len(arr))
    return _np.stack([padded[base - o] for o in predictor.offsets], axis=1)


def generate(session, predictor, prompt: Sequence[int], n: int) -> _np.ndarray:
    """Feeds ``prompt`` (one sequence ``[L]``) and generates ``n`` tokens greedily, one session
    run per token."""
    v = len(predictor.dictionary)
    offsets = list(predictor.offsets)
    from . import _token_rows

    rows, _ = _token_rows(prompt, "prompt", batched=False)
    ring = [v] * max(offsets) + rows[0]
    out = _np.empty(n, dtype=_np.int32)
    ctx = _np.empty((1, len(offsets)), dtype=_np.int64)
    for i in range(n):
        for j, o in enumerate(offsets):
            ctx[0, j] = ring[-o]
        nxt = int(session.run(["next"], {"context": ctx})[0][0])
        out[i] = nxt
        ring.append(nxt)
    return out
