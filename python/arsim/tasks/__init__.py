"""The paper's experiments: :mod:`arsim.tasks.multiply` (4-digit multiplication with chains of
thought) and :mod:`arsim.tasks.text` (TinyStories: corpus, tokenizer, n-gram baselines)."""

from . import multiply, text

__all__ = ["multiply", "text"]
