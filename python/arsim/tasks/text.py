"""TinyStories, as ``arsim task text`` runs it: the corpus (stories between ``<|endoftext|>``
lines), the story-level split, arsim's byte-level BPE :class:`Tokenizer` (also written as a
Hugging Face ``tokenizers`` file), interpolated Kneser-Ney n-gram baselines, and bits per byte.

>>> import arsim
>>> from arsim.tasks import text
>>> stories = ["Once upon a time there was a cat.\\n", "The cat sat on a mat.\\n"] * 5
>>> tok = text.Tokenizer.train(stories, vocab_size=280)
>>> ids = tok.encode("the cat")
>>> tok.decode(ids)
'the cat'
>>> model = text.NgramModel.fit(2, tok, stories)
>>> r = model.evaluate(tok, stories)
>>> r["bytes"] == sum(len(s.encode()) for s in stories), r["bits_per_byte"] > 0
(True, True)
"""

from __future__ import annotations

import json as _json
import os as _os
from typing import List, Sequence, Tuple

import numpy as _np

from .. import _arsim, _token_rows

__all__ = [
    "END_OF_TEXT",
    "END_OF_TEXT_ID",
    "read_corpus",
    "split",
    "Tokenizer",
    "NgramModel",
    "baselines",
    "bits_per_byte",
]

#: The line that ends every story, and the special token's text.
END_OF_TEXT = "<|endoftext|>"
#: The special token's id (after the 256 bytes).
END_OF_TEXT_ID = 256


def read_corpus(path) -> List[str]:
    r"""The stories of a TinyStories-format file (UTF-8 checked; errors name file and line).

    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "s.txt")
    >>> _ = open(f, "w").write("One.\n<|endoftext|>\nTwo.\n<|endoftext|>\n")
    >>> read_corpus(f)
    ['One.\n', 'Two.\n']
    """
    return _arsim.text_corpus(_os.fspath(path))


def split(stories: Sequence[str], seed: int = 0, validation_fraction: float = 0.1) -> Tuple[List[int], List[int]]:
    """The story-level split of ``arsim task text`` (a hash of seed and story text):
    ``(training indices, validation indices)``.

    >>> tr, va = split(["a\\n", "b\\n", "c\\n"], seed=0, validation_fraction=0.5)
    >>> sorted(tr + va)
    [0, 1, 2]
    """
    return _arsim.text_split(list(stories), seed, validation_fraction)


class Tokenizer:
    """arsim's byte-level BPE: ids 0..255 are bytes, 256 is ``<|endoftext|>``, then merges.

    >>> tok = Tokenizer.train(["aaa bbb aaa bbb\\n"] * 3, vocab_size=260)
    >>> tok.vocab_size
    260
    >>> tok.encode_story("aaa").tolist()[-1] == END_OF_TEXT_ID
    True
    """

    def __init__(self, inner: "_arsim.Tokenizer"):
        self._inner = inner

    @classmethod
    def train(cls, stories: Sequence[str], vocab_size: int = 4096) -> "Tokenizer":
        """Trains on ``stories`` up to ``vocab_size`` tokens (fewer when no pair repeats)."""
        return cls(_arsim.Tokenizer.train(list(stories), vocab_size))

    @classmethod
    def load(cls, path) -> "Tokenizer":
        """Reads arsim's tokenizer JSON (``arsim-byte-bpe``)."""
        return cls(_arsim.Tokenizer.load(_os.fspath(path)))

    def save(self, path) -> None:
        """Writes arsim's tokenizer JSON."""
        self._inner.save(_os.fspath(path))

    @property
    def vocab_size(self) -> int:
        """Number of tokens."""
        return self._inner.vocab_size

    def encode(self, text: str) -> _np.ndarray:
        """Token ids of ``text`` (``int64``); a literal ``<|endoftext|>`` is the special token."""
        return _np.asarray(self._inner.encode(text), dtype=_np.int64)

    def encode_story(self, story: str) -> _np.ndarray:
        """A story's ids followed by the end token, as the baselines and models see it."""
        return _np.asarray(self._inner.encode_story(story), dtype=_np.int64)

    def decode(self, ids) -> str:
        """The text of ids (invalid UTF-8, possible only mid-character, as U+FFFD)."""
        rows, _ = _token_rows(ids, "ids", batched=False)
        return self._inner.decode(rows[0])

    def to_json(self) -> str:
        """arsim's own JSON (merges as id pairs)."""
        return self._inner.to_json()

    def to_hf_json(self) -> str:
        """The Hugging Face ``tokenizers`` JSON (``tokenizer.json``) that encodes to the same ids.

        >>> import json
        >>> tok = Tokenizer.train(["the cat sat\\n"] * 3, vocab_size=262)
        >>> json.loads(tok.to_hf_json())["model"]["type"]
        'BPE'
        """
        return self._inner.to_hf_json()

    def save_hf(self, path) -> None:
        """Writes :meth:`to_hf_json` to ``path`` (load it with ``tokenizers.Tokenizer.from_file``)."""
        self._inner.save_hf(_os.fspath(path))


class NgramModel:
    """An interpolated Kneser-Ney unigram (1), bigram (2) or trigram (3) model over a tokenizer's ids."""

    def __init__(self, inner: "_arsim.Ngram"):
        self._inner = inner
        self._info = _json.loads(inner.describe())

    @classmethod
    def fit(cls, order: int, tokenizer: Tokenizer, stories: Sequence[str]) -> "NgramModel":
        """Counts the training ``stories`` (each encoded with its end token)."""
        seqs = [tokenizer._inner.encode_story(s) for s in stories]
        return cls(_arsim.Ngram.fit(order, tokenizer.vocab_size, seqs))

    @property
    def name(self) -> str:
        """unigram, bigram or trigram."""
        return self._info["model"]

    @property
    def parameters(self) -> int:
        """Stored n-grams, all orders."""
        return self._info["parameters"]

    def evaluate(self, tokenizer: Tokenizer, stories: Sequence[str]) -> dict:
        """Cross-entropy, perplexity and bits per byte on ``stories`` (every token, end tokens
        included; bytes of the stories' text)."""
        return _json.loads(self._inner.evaluate(tokenizer._inner, list(stories)))


def baselines(corpus, vocab_size: int = 4096, seed: int = 0, validation_fraction: float = 0.1) -> Tuple[dict, Tokenizer]:
    r"""``arsim task text --baselines``: the split, the tokenizer trained on the training
    stories, and the unigram/bigram/trigram table on the validation stories.

    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "s.txt")
    >>> _ = open(f, "w").write("".join(f"Tom saw {i} cats.\n<|endoftext|>\n" for i in range(40)))
    >>> report, tok = baselines(f, vocab_size=300, validation_fraction=0.25)
    >>> [m["model"] for m in report["models"]], tok.vocab_size <= 300
    (['unigram', 'bigram', 'trigram'], True)
    """
    report, tok = _arsim.text_baselines(_os.fspath(corpus), vocab_size, seed, validation_fraction)
    return _json.loads(report), Tokenizer(tok)


def bits_per_byte(total_nats: float, n_bytes: int) -> float:
    """The metric of every text row: total negative log-likelihood in nats, over ln 2, over the
    UTF-8 bytes of the text (independent of the tokenizer).

    >>> round(bits_per_byte(2 * 0.6931471805599453, 2), 6)
    1.0
    """
    return _arsim.bits_per_byte(total_nats, n_bytes)
