#!/usr/bin/env python3
"""Cross-check arsim's Kneser-Ney n-gram perplexities against an independent implementation
and against nltk's ``KneserNeyInterpolated`` (issue 16).

arsim's baselines (``arsim task text --baselines``) are interpolated Kneser-Ney with one
discount per order and modified Kneser-Ney (Chen & Goodman 1998). This script takes the first
``--stories`` stories of a TinyStories-format corpus, runs arsim on them with a byte-level
vocabulary of 257 tokens (256 bytes and ``<|endoftext|>``, no merges, so the tokens are the
UTF-8 bytes and Python sees exactly arsim's tokens), reproduces arsim's story split, and
computes the validation perplexity three ways:

1. ``python``: the formulas of ``src/tasks/text/ngram.rs``'s module doc, written here again
   from the formulas (no code shared), with arsim's conventions: the history before a story
   is ``<|endoftext|>`` repeated, lower orders use continuation counts, the base is uniform
   over the 257 tokens. It must equal arsim's number up to the rounding of the JSON.
2. ``python, nltk conventions``: the same code switched to nltk's conventions (nltk 3.10: one
   discount for every order, and the unigram level is the bare continuation distribution
   ``N1+(· w) / N1+(· ·)``, neither discounted nor mixed with a uniform one, so a token never
   seen in training gets probability 0; those validation tokens are left out of both nltk's
   perplexity and this one, and counted).
3. ``nltk``: ``nltk.lm.KneserNeyInterpolated`` fitted on the same n-grams. It must equal (2),
   which shows that (1) and hence arsim compute Kneser-Ney as a well-known library does, up to
   the conventions listed in (2).

Usage (from the repository root, after ``cargo build --release``; needs ``pip install nltk``):

    python3 examples/ngram_crosscheck.py --corpus ../shared/data/tinystories-sample.txt

It prints one table and exits 1 if (1) differs from arsim or (3) from (2) by more than the
tolerance.
"""

import argparse
import json
import math
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

EOT = 256
VOCAB = 257


def read_stories(path, limit):
    """The first `limit` stories, as arsim's corpus reader cuts them: the exact text between
    separator lines (its last newline included), whitespace-only pieces skipped."""
    stories, current = [], []
    with open(path, encoding="utf-8", newline="") as f:
        for line in f:
            if line.rstrip("\n").rstrip("\r") == "<|endoftext|>":
                if "".join(current).strip():
                    stories.append("".join(current))
                current = []
                if len(stories) == limit:
                    break
            else:
                current.append(line)
    return stories


def is_validation(story, seed, fraction):
    """arsim's split rule (src/tasks/text/split.rs): FNV-1a 64 of seed ‖ story, mod 10,000."""
    threshold = round(min(max(fraction, 0.0), 1.0) * 10_000)
    h = 0xCBF29CE484222325
    for b in seed.to_bytes(8, "little") + story.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h % 10_000 < threshold


def tokens(story):
    return list(story.encode("utf-8")) + [EOT]


class Kn:
    """Interpolated Kneser-Ney of order n from the formulas (see the module doc)."""

    def __init__(self, seqs, n, modified=False, nltk_style=False, discount=None):
        self.n, self.nltk_style = n, nltk_style
        levels = {n: defaultdict(Counter)}
        for s in seqs:
            padded = [EOT] * (n - 1) + s
            for i in range(n - 1, len(padded)):
                levels[n][tuple(padded[i - n + 1:i])][padded[i]] += 1
        for k in range(n - 1, 0, -1):
            lower = defaultdict(Counter)
            for ctx, counts in levels[k + 1].items():
                for w in counts:
                    lower[ctx[1:]][w] += 1
            levels[k] = lower
        self.levels, self.discounts = levels, {}
        for k, level in levels.items():
            cc = Counter(v for counts in level.values() for v in counts.values())
            n1, n2, n3, n4 = cc[1], cc[2], cc[3], cc[4]
            single = n1 / (n1 + 2 * n2) if n1 > 0 and n2 > 0 else 0.5
            d = [single] * 3
            if modified and min(n1, n2, n3, n4) > 0:
                y = single
                m = [1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3]
                if all(0 < x <= i + 1 for i, x in enumerate(m)):
                    d = m
            if discount is not None:
                d = [discount] * 3
            self.discounts[k] = d
        self.totals = {k: {c: sum(v.values()) for c, v in lvl.items()} for k, lvl in levels.items()}

    def prob(self, k, hist, w):
        if k == 0:
            return 1.0 / VOCAB
        if self.nltk_style and k == 1:
            return self.levels[1][()].get(w, 0) / self.totals[1][()]
        lower = self.prob(k - 1, hist, w)
        ctx = tuple(([EOT] * (k - 1) + hist)[len(hist):]) if k > 1 else ()
        counts = self.levels[k].get(ctx)
        if not counts:
            return lower
        d = self.discounts[k]
        disc = lambda c: d[min(c, 3) - 1]
        cw = counts.get(w, 0)
        own = max(cw - disc(cw), 0) if cw else 0.0
        mass = sum(disc(c) for c in counts.values())
        return (own + mass * lower) / self.totals[k][ctx]

    def perplexity(self, seqs):
        """exp of the mean negative log-probability; tokens of probability 0 (nltk's
        convention only) are left out and counted."""
        nats, count, skipped = 0.0, 0, 0
        for s in seqs:
            for i, w in enumerate(s):
                p = self.prob(self.n, s[max(0, i - self.n + 1):i], w)
                if p == 0.0:
                    skipped += 1
                    continue
                nats -= math.log(p)
                count += 1
        return math.exp(nats / count), skipped


def nltk_perplexity(train, valid, n, discount):
    from nltk.lm import KneserNeyInterpolated

    def grams(s):
        padded = [str(EOT)] * (n - 1) + [str(t) for t in s]
        for i in range(n - 1, len(padded)):
            for k in range(1, n + 1):
                yield tuple(padded[i - k + 1:i + 1])

    lm = KneserNeyInterpolated(order=n, discount=discount)
    lm.fit([list(grams(s)) for s in train], [str(t) for s in train for t in s] + [str(EOT)])
    nats, count, skipped = 0.0, 0, 0
    for s in valid:
        padded = [str(EOT)] * (n - 1) + [str(t) for t in s]
        for i in range(n - 1, len(padded)):
            p = lm.score(padded[i], padded[i - n + 1:i])
            if p == 0.0:
                skipped += 1
                continue
            nats -= math.log(p)
            count += 1
    return math.exp(nats / count), skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--stories", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--validation", type=float, default=0.1)
    ap.add_argument("--arsim", default="target/release/arsim")
    ap.add_argument("--tolerance", type=float, default=1e-6, help="relative")
    a = ap.parse_args()

    stories = read_stories(a.corpus, a.stories)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write("".join(story + "<|endoftext|>\n" for story in stories))
        small = f.name
    out = subprocess.run(
        [a.arsim, "task", "text", "--corpus", small, "--baselines", "--vocab", str(VOCAB),
         "--seed", str(a.seed), "--validation", str(a.validation), "--json"],
        check=True, capture_output=True, text=True)
    report = json.loads(out.stdout)["baselines"]
    train = [tokens(s) for s in stories if not is_validation(s, a.seed, a.validation)]
    valid = [tokens(s) for s in stories if is_validation(s, a.seed, a.validation)]
    assert report["validation_stories"] == len(valid), "the split differs from arsim's"
    assert report["train_tokens"] == sum(map(len, train)), "the tokens differ from arsim's"

    ok = True
    print(f"{len(stories)} stories: {len(train)} training ({sum(map(len, train))} byte tokens), "
          f"{len(valid)} validation ({sum(map(len, valid))} tokens)")
    print(f"{'model':<28}{'arsim':>12}{'python':>12}{'rel. diff':>12}")
    for rows, modified in [(report["models"], False), (report["modified_kn"], True)]:
        for n, row in enumerate(rows, start=1):
            ours = row["validation"]["perplexity"]
            py, _ = Kn(train, n, modified=modified).perplexity(valid)
            diff = abs(ours - py) / py
            ok &= diff <= a.tolerance
            print(f"{row['model']:<28}{ours:>12.6f}{py:>12.6f}{diff:>12.2e}")
    print()
    print(f"{'nltk KneserNeyInterpolated':<28}{'discount':>10}{'left out':>10}{'nltk':>12}"
          f"{'python':>12}{'rel. diff':>12}")
    for n in (2, 3):
        top = Kn(train, n).discounts[n][0]
        for d in (top, 0.1):
            nl, skipped = nltk_perplexity(train, valid, n, d)
            py, py_skipped = Kn(train, n, nltk_style=True, discount=d).perplexity(valid)
            diff = abs(nl - py) / py
            ok &= diff <= a.tolerance and skipped == py_skipped
            print(f"{'order ' + str(n):<28}{d:>10.4f}{skipped:>10}{nl:>12.6f}{py:>12.6f}{diff:>12.2e}")
    print("agree" if ok else "DISAGREE")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
