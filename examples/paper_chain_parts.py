#!/usr/bin/env python3
"""Teacher-forced accuracy of a ``paper``-chain model, part by part of the chain.

``arsim task multiply --cot paper … --json`` reports, in
``validation.teacher_forced_by_position``, the fraction of validation pairs whose token at each
chain position the model predicts right given the true chain before it. This script averages
those over the four parts of the paper's 307-token chain, laid out as
``tasks::multiply::cot::CotFormat::Paper`` documents them (positions 0..10 are the prompt):

- ``decomposition``: both operands' place-value decompositions, ``( a0 x 1 + a1 x 1 0 + … )``,
  and the ``x`` and ``=`` around them (48 tokens);
- ``pair tokens``: the 16 joined digit-pair tokens ``aᵢxbⱼ`` that open the terms
  ``aᵢxbⱼ x 10ⁱ x 10ʲ`` (each a function of two prompt digits; the terms' other tokens are
  fixed by position and are left out);
- ``partial products``: the digits of the 16 zero-padded products aᵢ·bⱼ·10ⁱ⁺ʲ (80 tokens,
  separators left out);
- ``answer``: the 8 answer digits.

Usage: ``python3 examples/paper_chain_parts.py REPORT.json …`` (standard library only). One
line per report.
"""

import argparse
import json
import sys


def paper_chain_parts():
    """The part of each of the 307 positions (None: prompt, separators, fixed tokens)."""
    parts = [None] * 11
    for k in range(2):
        if k > 0:
            parts.append("decomposition")  # x between the operands
        parts.append("decomposition")  # (
        for i in range(4):
            if i > 0:
                parts.append("decomposition")  # +
            parts += ["decomposition"] * (2 + i + 1)  # digit, x, 10^i
        parts.append("decomposition")  # )
    parts.append("decomposition")  # =
    for i in range(4):
        for j in range(4):
            if i + j > 0:
                parts.append(None)  # +
            parts.append("pair tokens")
            parts += [None] * (1 + (i + 1) + 1 + (j + 1))  # x 10^i x 10^j
    parts.append(None)  # =
    for i in range(4):
        for j in range(4):
            if i + j > 0:
                parts.append(None)  # +
            parts += ["partial products"] * (i + j + 2)
    parts.append(None)  # =
    parts += ["answer"] * 8
    assert len(parts) == 307, len(parts)
    return parts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reports", nargs="+", help="`arsim task multiply --cot paper --json` reports")
    args = ap.parse_args()
    parts = paper_chain_parts()
    names = ["decomposition", "pair tokens", "partial products", "answer"]
    for path in args.reports:
        with open(path) as f:
            report = json.load(f)
        if report.get("cot") != "paper":
            sys.exit(f"{path}: not a paper-chain report (cot: {report.get('cot')!r})")
        forced = report["validation"]["teacher_forced_by_position"]
        cells = []
        for name in names:
            at = [t for t in range(1, 307) if parts[t] == name]
            cells.append(f"{name} {100 * sum(forced[t] for t in at) / len(at):.1f}%")
        print(f"{path}: " + ", ".join(cells))


if __name__ == "__main__":
    main()
