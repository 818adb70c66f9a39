"""Compiled predictors as Hugging Face ``transformers`` checkpoints (``arsim compile --hf``).

:func:`export` writes a standard ``GPT2LMHeadModel`` directory: one layer whose heads each
attend to one of the predictor's offsets, an unembedding that holds its weights, a word-level
tokenizer over its dictionary with ``<bos>`` put first. ``AutoModelForCausalLM.from_pretrained``
loads it with no custom code, and greedy ``generate()`` is the predictor, token for token, at
every position the float certificate (:func:`certify`, proofs/transformer.md) covers. This
module needs neither torch nor transformers; :func:`load` imports them.

>>> import arsim, arsim.hf, tempfile
>>> bb2 = arsim.load("1RB1LB_1LA1RZ")
>>> d = tempfile.mkdtemp()
>>> arsim.hf.export(arsim.compile(bb2), d)["heads"]
3
>>> c = arsim.hf.certify(d)
>>> c["certified"], c["local"]["min_margin"]
(True, 1)
"""

from __future__ import annotations

import json as _json
import os as _os
from typing import Optional, Union

from . import _arsim, Machine, Predictor, VerificationFailed

__all__ = ["export", "export_checkpoint", "certify", "load"]

PathLike = Union[str, "_os.PathLike[str]"]


def export(
    predictor: Predictor,
    dir: PathLike,
    machine: Optional[Machine] = None,
    input: Optional[str] = None,
    context: Optional[int] = None,
) -> dict:
    """Writes ``predictor`` (for ``machine``, default: the one it was compiled from) as a Hugging
    Face model directory ``dir``: ``config.json``, ``model.safetensors``,
    ``generation_config.json``, ``tokenizer.json``, ``tokenizer_config.json``, and what
    :func:`certify` rebuilds it from (``arsim.safetensors``, ``machine.ron``). The context length
    is ``context`` (``<bos>`` included), default the trace of ``input`` plus one. Returns the
    export's facts (``arsim compile --hf --json``'s ``hf`` object)."""
    inner = predictor._inner
    m = predictor._m(machine)
    return _json.loads(inner.export_hf(_os.fspath(dir), m, input, context))


def export_checkpoint(path: PathLike, dir: PathLike) -> dict:
    """Writes a trained ``--model transformer`` checkpoint (``arsim task … --checkpoint``) as a
    Hugging Face GPT-2 directory (``config.json``, ``model.safetensors``) whose logits are the
    checkpoint's (to float rounding): GPT-2's ``lm_head`` has no bias, so arsim's output bias
    rides on one extra "mean" dimension per head that every layer norm leaves unchanged
    (proofs/transformer.md, §6)."""
    return _json.loads(_arsim.export_checkpoint_hf(_os.fspath(path), _os.fspath(dir)))


def certify(dir: PathLike, machine: Optional[Machine] = None, check: bool = False, precision: str = "f32") -> dict:
    """``arsim certify --hf DIR --precision P --json``: the predictor on every local context, the
    model against the construction bit for bit, and the float bound at every position before the
    context length, in float32 and bfloat16; ``report["certified"]`` is the verdict for
    ``precision`` (``"f32"`` or ``"bf16"``). With ``check=True`` a model that is not certified in
    that precision raises :class:`VerificationFailed`, naming the largest context it certifies."""
    m = machine._inner if machine is not None else None
    report = _json.loads(_arsim.certify_hf(_os.fspath(dir), m, precision))
    if check and not report["certified"]:
        name = {"f32": "float32", "bf16": "bfloat16"}[report["precision"]]
        largest = report["float"]["largest_context"].get(name)
        raise VerificationFailed(
            f"{_os.fspath(dir)} is not certified in {name}: the bound fails at context "
            f"{report['float']['context']}; {name} certifies contexts up to {largest}"
        )
    return report


def load(dir: PathLike, dtype: str = "float32"):
    """``(model, tokenizer)`` from ``transformers`` (imported here), the model in ``dtype``
    (``"float32"`` or ``"bfloat16"``) and in eval mode."""
    import torch
    import transformers

    model = transformers.AutoModelForCausalLM.from_pretrained(_os.fspath(dir), dtype=getattr(torch, dtype))
    tokenizer = transformers.AutoTokenizer.from_pretrained(_os.fspath(dir))
    return model.eval(), tokenizer
