"""4-digit multiplication, as ``arsim task multiply`` runs it: the 117-token vocabulary, the
chains of thought of every ``--cot`` format (paper: 307 tokens, none: 19, carry: 75), the fixed
train/validation split of the 8,889² pairs (operands 1111..9999), seeded training batches streamed as numpy arrays
(batch k is a pure function of the seed and k, never the whole dataset), and :func:`score`, the
greedy-decoding rules on the same validation sample.

>>> import arsim
>>> from arsim.tasks import multiply
>>> len(multiply.vocabulary())
117
>>> c = multiply.chain(1234, 5678, cot="none")
>>> multiply.decode(c)
'[BOS] 1 2 3 4 x 5 6 7 8 = 0 7 0 0 6 6 5 2'
>>> multiply.length("carry"), multiply.prompt_length("carry")
(75, 11)
"""

from __future__ import annotations

import json as _json
from typing import Iterator, List, Optional, Tuple

import numpy as _np

from .. import BadInput, _arsim, _token_rows

__all__ = [
    "COTS",
    "EVAL_PAIRS",
    "vocabulary",
    "decode",
    "length",
    "prompt_length",
    "answer_slice",
    "chain",
    "split_of",
    "split_sizes",
    "batch",
    "batches",
    "validation",
    "score",
]

#: The ``--cot`` formats.
COTS = ("paper", "none", "carry")
#: Validation pairs ``arsim task multiply`` scores by default (``--eval``).
EVAL_PAIRS = 2000


def _ids(raw: bytes) -> _np.ndarray:
    return _np.frombuffer(raw, dtype="<u4").astype(_np.int64)


def vocabulary() -> List[str]:
    """The 117 words of the vocabulary, by id."""
    return _arsim.multiply_vocabulary()


def decode(ids) -> str:
    """Token ids as words joined by spaces.

    >>> decode(chain(1111, 1111, "none")[-8:])
    '0 1 2 3 4 3 2 1'
    """
    words = vocabulary()
    return " ".join(words[int(i)] for i in _np.asarray(ids).reshape(-1))


def length(cot: str = "paper") -> int:
    """Tokens per chain of the format."""
    return _arsim.multiply_cot_shape(cot)[0]


def prompt_length(cot: str = "paper") -> int:
    """Prompt tokens (``<bos> a a a a × b b b b =``): 11 in every format."""
    return _arsim.multiply_cot_shape(cot)[1]


def answer_slice(cot: str = "paper") -> slice:
    """Where the 8 answer digits are in a chain.

    >>> answer_slice("none")
    slice(11, 19, None)
    """
    n, _, start = _arsim.multiply_cot_shape(cot)
    return slice(start, n)


def chain(a: int, b: int, cot: str = "paper") -> _np.ndarray:
    """The chain of thought of ``a × b`` (each in 1111..9999) as ``int64`` ids."""
    return _np.asarray(_arsim.multiply_chain(cot, a, b), dtype=_np.int64)


def split_of(a: int, b: int) -> str:
    """``"train"``, ``"validation"`` or ``"test"``: the pair's side of the paper's split (its
    held-out quarter halved: validation for tuning, test scored once).

    >>> split_of(1234, 5678) in ("train", "validation", "test")
    True
    """
    return _arsim.multiply_split_of(a, b)


def split_sizes() -> Tuple[int, int, int]:
    """Pairs in the training, validation and test sides (operands 1111..9999: they sum to 8,889²).

    >>> split_sizes()
    (59260740, 9876790, 9876791)
    """
    return _arsim.multiply_split_sizes()


def batch(step: int, batch_size: int = 64, seed: int = 0, cot: str = "paper") -> Tuple[_np.ndarray, _np.ndarray]:
    """Training batch ``step`` of a run with ``seed``, exactly as ``arsim task multiply --seed
    seed --batch batch_size`` draws it: ``(pairs [batch, 2], chains [batch, length])``, ``int64``.
    Inputs are ``chains[:, :-1]`` and targets ``chains[:, 1:]``.

    >>> pairs, chains = batch(0, batch_size=4, cot="none")
    >>> pairs.shape, chains.shape
    ((4, 2), (4, 19))
    >>> all(split_of(int(a), int(b)) == "train" for a, b in pairs)
    True
    """
    pairs, raw = _arsim.multiply_batch(cot, batch_size, seed, step)
    n = length(cot)
    return _np.asarray(pairs, dtype=_np.int64).reshape(-1, 2), _ids(raw).reshape(-1, n)


def batches(batch_size: int = 64, seed: int = 0, cot: str = "paper", start: int = 0,
            steps: Optional[int] = None, rank: int = 0, world_size: int = 1) -> Iterator[_np.ndarray]:
    """Streams the chains of batches ``start, start+1, …`` (``steps`` of them, or forever).
    With ``world_size > 1`` each rank gets its own slice of every global batch (rows
    ``rank::world_size``), so N processes together see the single-process batches.

    >>> next(batches(batch_size=2, cot="none")).shape
    (2, 19)
    """
    step = start
    while steps is None or step < start + steps:
        yield batch(step, batch_size, seed, cot)[1][rank::world_size]
        step += 1


def validation(n: int = EVAL_PAIRS, cot: str = "paper", split: str = "validation") -> Tuple[_np.ndarray, _np.ndarray]:
    """The fixed sample every row of the results table is scored on (seed 2024), from the
    held-out half ``split``: ``"validation"`` while tuning, ``"test"`` once for a reported row
    (``arsim task multiply --eval-split``). Returns ``(pairs [n, 2], chains [n, length])``.
    Greedy-decode each chain from its first :func:`prompt_length` tokens and pass the result to
    :func:`score` with the same ``split``.

    >>> pairs, chains = validation(3, cot="none")
    >>> chains.shape, all(split_of(int(a), int(b)) == "validation" for a, b in pairs)
    ((3, 19), True)
    >>> pairs, _ = validation(3, cot="none", split="test")
    >>> all(split_of(int(a), int(b)) == "test" for a, b in pairs)
    True
    """
    pairs, raw = _arsim.multiply_validation(cot, split, n)
    return _np.asarray(pairs, dtype=_np.int64).reshape(-1, 2), _ids(raw).reshape(-1, length(cot))


def score(predicted_chains, cot: str = "paper", n: Optional[int] = None, split: str = "validation") -> dict:
    """Scores greedily decoded chains of the sample of ``split``, row k decoded from the prompt
    of pair k of :func:`validation` (with the same ``split``), with the rules of ``arsim task multiply``: exact answers
    (all 8 digits), per-digit accuracy, whole chains exact, a few wrong answers. The chains
    are ``[n, length(cot)]`` token ids; any other shape, or an id outside the vocabulary, is
    :class:`arsim.BadInput` naming it.

    >>> import arsim
    >>> _, truth = validation(10, cot="carry")
    >>> s = score(truth, cot="carry")
    >>> s["exact"], s["per_digit_accuracy"], s["chains_exact"]
    (10, 1.0, 10)
    """
    chains = _np.asarray(predicted_chains)
    if chains.ndim != 2:
        raise BadInput(
            f"predicted_chains must be [n, {length(cot)}]: one decoded chain of cot {cot!r} a row; got shape {chains.shape}"
        )
    rows, _ = _token_rows(chains, "predicted_chains")
    if n is None:
        n = len(rows)
    return _json.loads(_arsim.multiply_score(cot, split, n, rows))
