#!/usr/bin/env python3
"""RESULTS.md's figures, generated from the committed reports in ``results/`` (issue 25.10).

Every claim below is a piece of RESULTS.md with its figures left as ``{fields}``, and the values
of those fields computed from the ``--json`` reports under ``results/``. A claim's text with
each field widened to "any run of non-blank characters" must match RESULTS.md exactly once;
the figures found there must be the ones the reports give.

    python3 scripts/results_figures.py --check   # exit 1 and a list when a figure and its report disagree
    python3 scripts/results_figures.py --write   # rewrite every claimed figure from its report
    python3 scripts/results_figures.py --self-test  # a changed report must fail --check

Standard library only; ``.ci/run`` runs ``--check`` and ``--self-test``. Figures with no
report behind them (the paper's own numbers, the old-split history, the n-gram cross-check)
are not claims here, and RESULTS.md says so beside them.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import math
import re
import statistics
import sys
from pathlib import Path
from typing import Callable, Dict, List, Sequence

ROOT = Path(__file__).resolve().parent.parent
RESULTS_MD = ROOT / "RESULTS.md"

Reports = Dict[str, dict]


# ------------------------------------------------------------------ reading reports


def read_reports(root: Path = ROOT) -> Reports:
    """Every report under results/, keyed by its path below results/ without `.json`
    (``multiply/carry-mlp-d32-s0``)."""
    out = {}
    for path in sorted((root / "results").rglob("*.json")):
        key = path.relative_to(root / "results").with_suffix("").as_posix()
        with open(path, encoding="utf-8") as f:
            out[key] = json.load(f)
    return out


# ------------------------------------------------------------------ formatting


def n(x) -> str:
    """An integer with thousands separators: 5,787,000."""
    return f"{int(round(x)):,}"


def pct(x: float, digits: int = 2) -> str:
    """A fraction as a percentage without the sign: 0.9938 → 99.38."""
    return f"{100 * x:.{digits}f}"


def minus(text: str) -> str:
    """A typographic minus, as RESULTS.md writes negative numbers."""
    return text.replace("-", "−")


def sd(values: Sequence[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def mean_sd(values: Sequence[float], digits: int = 2) -> str:
    """Percentages' mean ± sample standard deviation: 99.38% ± 0.63."""
    return f"{100 * statistics.mean(values):.{digits}f}% ± {100 * sd(values):.{digits}f}"


def span(values: Sequence[float], fmt: Callable[[float], str] = n, dash: str = "–") -> str:
    """lo–hi, or one value when they agree."""
    lo, hi = fmt(min(values)), fmt(max(values))
    return lo if lo == hi else f"{lo}{dash}{hi}"


def minutes(seconds: float) -> str:
    """Minutes, one decimal below ten, whole above: 5.5, 23, 2."""
    m = seconds / 60
    text = f"{m:.1f}" if m < 10 else f"{m:.0f}"
    return text[:-2] if text.endswith(".0") else text


def millions(x: float, digits: int = 1) -> str:
    return f"{x / 1e6:.{digits}f}M"


def millions3(x: float) -> str:
    """Three significant figures, in millions: 2.85M, 12.0M."""
    v = x / 1e6
    return f"{v:.{max(0, 2 - int(math.floor(math.log10(v))))}f}M"


def minutes1(seconds: float) -> str:
    """Minutes to one decimal, as the TinyStories table gives them: 9.0, 25.3."""
    return f"{seconds / 60:.1f}"


def sci(x: float) -> str:
    """1.92e+13, as `task frontier` and the tables print FLOPs."""
    return f"{x:.2e}"


SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def sci_dot(x: float, digits: int = 2) -> str:
    """2.73·10¹², as the prose writes FLOPs."""
    e = int(math.floor(math.log10(abs(x))))
    return f"{x / 10 ** e:.{digits}f}·10{str(e).translate(SUPERSCRIPT)}"


def wilson(k: int, total: int, z: float = 1.96) -> str:
    """The Wilson 95% interval of k successes in total, in percent: "0, 0.19"."""
    p = k / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)

    def f(v: float) -> str:
        v = max(0.0, min(1.0, v)) * 100
        return f"{v:.2f}".rstrip("0").rstrip(".") if v not in (0.0, 100.0) else f"{v:.0f}"

    return f"{f(centre - half)}, {f(centre + half)}"


def permille(k: int, total: int) -> str:
    """k/total as a percentage to one decimal, halves rounded up (exact integer arithmetic:
    1,657/2,000 is 82.85%, written 82.9)."""
    tenths = (2000 * k + total) // (2 * total)
    return f"{tenths // 10}.{tenths % 10}"


def exact_pct(rate: float) -> str:
    """An exact rate as the first table writes it: 100 when all, else two decimals."""
    return "100" if rate == 1.0 else pct(rate)


# ------------------------------------------------------------------ derived figures


def seeds(r: Reports, stem: str, ss: Sequence[int] = (0, 1, 2)) -> List[dict]:
    return [r[f"{stem}-s{s}"] for s in ss]


def exact_rates(rs: List[dict]) -> List[float]:
    return [x["validation"]["exact_rate"] for x in rs]


def per_digit(rs: List[dict]) -> List[float]:
    return [x["validation"]["per_digit_accuracy"] for x in rs]


def each(values: Sequence[float], sep: str = ", ", digits: int = 2) -> str:
    return sep.join(pct(v, digits) for v in values)


def training_seconds(r: Reports, key: str, segments: Sequence[str] = ()) -> float:
    """A run's training time: its report's, plus the `--stop-at` segments it resumed from."""
    return r[key]["training"]["seconds"] + sum(r[s]["training"]["seconds"] for s in segments)


def chain_parts(report: dict) -> Dict[str, str]:
    """Teacher-forced accuracy per part of the paper's chain (examples/paper_chain_parts.py)."""
    spec = importlib.util.spec_from_file_location("pcp", ROOT / "examples" / "paper_chain_parts.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    parts = mod.paper_chain_parts()
    forced = report["validation"]["teacher_forced_by_position"]
    out = {}
    for name in ["decomposition", "pair tokens", "partial products", "answer"]:
        at = [t for t in range(1, 307) if parts[t] == name]
        out[name] = f"{100 * sum(forced[t] for t in at) / len(at):.1f}"
    return out


def single_digit_misses(rs: List[dict]) -> Dict[str, int]:
    listed = [w for x in rs for w in x["validation"]["wrong_examples"]]
    single = 0
    for w in listed:
        got = w["generated"].replace(" ", "")
        single += sum(a != b for a, b in zip(got, w["expected"])) == 1
    return {"listed": len(listed), "single": single}


# ------------------------------------------------------------------ claims


class Claim:
    """A piece of RESULTS.md with `{field}`s, and the fields' values from the reports.

    A value with blanks inside ("25.72% ± 5.32") becomes one field per blank-free word, since a
    field matches no blank."""

    def __init__(self, template: str, **values):
        self.values: Dict[str, str] = {}
        for k, v in values.items():
            words = str(v).split(" ")
            if len(words) == 1:
                self.values[k] = words[0]
            else:
                names = [f"{k}_{i}" for i in range(len(words))]
                template = template.replace("{" + k + "}", " ".join("{" + x + "}" for x in names))
                self.values.update(zip(names, words))
        self.template = template
        missing = set(self.fields()) - set(self.values)
        assert not missing, f"no value for {missing} in {template[:60]!r}"

    def text(self) -> str:
        return self.template.format(**self.values)

    def fields(self) -> List[str]:
        return re.findall(r"\{(\w+)\}", self.template)

    def pattern(self) -> "re.Pattern[str]":
        out, pos = [], 0
        for m in re.finditer(r"\{(\w+)\}", self.template):
            out.append(re.escape(self.template[pos : m.start()]))
            out.append(r"(\S+?)")
            pos = m.end()
        out.append(re.escape(self.template[pos:]))
        return re.compile("".join(out))


def claims(r: Reports) -> List[Claim]:
    m = {k[len("multiply/") :]: v for k, v in r.items() if k.startswith("multiply/")}
    out: List[Claim] = []
    C = lambda template, **values: out.append(Claim(template, **values))  # noqa: E731

    # ---- the first table
    def seeded(stem: str, segments: Dict[int, List[str]] = {}) -> dict:
        rs = seeds(m, stem)
        secs = [training_seconds(m, f"{stem}-s{s}", segments.get(s, [])) for s in range(3)]
        ex = [x["validation"]["exact"] for x in rs]
        return dict(
            params=millions3(rs[0]["parameters"]) if rs[0]["parameters"] > 2e6 else n(rs[0]["parameters"]),
            chain=rs[0]["chain_tokens"],
            seqs=n(rs[0]["train_seqs"]),
            time=span([s / 60 for s in secs], lambda v: minutes(60 * v)),
            ex=pct(statistics.mean(exact_rates(rs))),
            each=n(ex[0]) if len(set(ex)) == 1 else "/".join(n(e) for e in ex),
            pairs=n(rs[0]["validation"]["pairs"]),
            ci=wilson(max(ex), rs[0]["validation"]["pairs"]),
            exsd=mean_sd(exact_rates(rs)),
            ex_each=each(exact_rates(rs)),
            pd=mean_sd(per_digit(rs)),
            pd_each=each(per_digit(rs)),
        )

    def single(key: str, segments: Sequence[str] = ()) -> dict:
        x = m[key]
        v = x["validation"]
        return dict(
            params=millions(x["parameters"]),
            chain=x["chain_tokens"],
            seqs=n(x["train_seqs"]),
            time=minutes(training_seconds(m, key, segments)),
            ex=pct(v["exact_rate"]),
            ci=wilson(v["exact"], v["pairs"]),
            pd=pct(v["per_digit_accuracy"]),
            updates=n(x["training"]["steps"]),
        )

    pm = seeded("paper-mlp-d16", {0: ["curve/paper-d16-s0-at4000"]})
    C("| `paper` | `mlp`, d = 16 (arsim's recipe), **3 seeds** (0, 1, 2) | {params} | {chain} | {seqs} | {time} min wall each (1, shared cores) | {ex}% ({each}/{pairs} each) [{ci}] | **{pd}** ({pd_each}) |", **{k: pm[k] for k in ["params", "chain", "seqs", "time", "ex", "each", "pairs", "ci", "pd", "pd_each"]})
    pc = single("paper-mlp-d16-paperconfig-s0", ["curve/paper-pc-d16-at160", "curve/paper-pc-d16-at320"])
    C("| `paper` | `mlp`, d = 16, **the paper's recipe** (`--paper-config`: batch 2,048, lr 10⁻³, {updates} updates) | {params} | {chain} | {seqs} | {time} min (1) | {ex}% [{ci}] | {pd}% |", **pc)
    pl = single("paper-linear-d16-s0", ["curve/paper-linear-d16-s0-at4000"])
    C("| `paper` | `linear`, d = 16 (arsim's recipe) | {params} | {chain} | {seqs} | {time} min (1) | {ex}% [{ci}] | {pd}% |", **{k: pl[k] for k in ["params", "chain", "seqs", "time", "ex", "ci", "pd"]})
    cm = seeded("carry-mlp-d32")
    C("| `carry` (ours) | `mlp`, d = 32, **3 seeds** (0, 1, 2) | {params} | {chain} | {seqs} | {time} min wall each (1, shared cores) | **{exsd}** ({ex_each}) | {pd} |", **{k: cm[k] for k in ["params", "chain", "seqs", "time", "exsd", "ex_each", "pd"]})
    nm = seeded("none-mlp-d64")
    C("| `none` | `mlp`, d = 64, **3 seeds** (0, 1, 2) | {params} | {chain} | {seqs} | {time} min wall each (1, shared cores) | {ex}% ({each}/{pairs} each) [{ci}] | **{pd}** ({pd_each}) |", **{k: nm[k] for k in ["params", "chain", "seqs", "time", "ex", "each", "pairs", "ci", "pd", "pd_each"]})

    tl, ta, tc = m["tm-learned-local-s0"], m["tm-learned-all-s0"], m["tm-compiled"]

    def tm_exact(x: dict) -> dict:
        v = x["validation"]
        return dict(ex=exact_pct(v["exact_rate"]), k=n(v["exact"]), total=n(v["pairs"]), ci=wilson(v["exact"], v["pairs"]))

    cert = tl["learner"]["certificate"]
    C("| `tm`: binary-multiply.ron | `learned` (perceptron, offsets S, S+1, S+2): mostly lookup, see below | {nz} non-zero weights | {mean} (mean) | {traces} traces | ≈ {secs} s (1) | **{ex}%** ({k}/{total}) [{ci}]; certificate fails on {fail} of {ctx} local contexts (min margin {mm}); {cov} of the {total2} traces use only contexts seen in training | — |",
      nz=n(tl["parameters"]), mean=n(tl["chain_tokens_mean"]), traces=n(tl["train_seqs"]), secs=f"{tl['training_seconds']:.0f}",
      fail=n(cert["failed"]), ctx=n(cert["contexts"]), mm=minus(str(cert["min_margin"])), cov=n(tl["learner"]["test"]["covered_traces"]),
      total2=n(tl["validation"]["pairs"]), **tm_exact(tl))
    C("| `tm`: binary-multiply.ron | `learned` (perceptron, all offsets 1..S+2) | {nz} non-zero weights | {mean} (mean) | {traces} traces | {time} min (1) | {ex}% ({k}/{total}) [{ci}] | — |",
      nz=n(ta["parameters"]), mean=n(ta["chain_tokens_mean"]), traces=n(ta["train_seqs"]), time=minutes(ta["training_seconds"]),
      **dict(tm_exact(ta), ex=f"{100 * ta['validation']['exact_rate']:.0f}", ci=", ".join(f"{float(c):.1f}" for c in wilson(ta["validation"]["exact"], ta["validation"]["pairs"]).split(", "))))
    C("| `tm`: binary-multiply.ron | `compiled` | {nz} non-zero weights | {mean} (mean), {max} (max) | none | none | **{ex}%** ({k}/{total}) [{ci}]; certified | — |",
      nz=n(tc["parameters"]), mean=n(tc["chain_tokens_mean"]), max=n(tc["chain_tokens_max"]), **tm_exact(tc))

    C("(the code of commit b6c7e9a; mean ± sample standard deviation over seeds 0, 1, 2; {flops}\ntraining FLOPs each by `training_flops`)", flops=sci_dot(m["none-mlp-d64-s0"]["training_flops"]))
    lt, at = tl["learner"]["test"], ta["learner"]["test"]
    C("The `tm` rows were measured on the paper's split on 2026-11-30 (compiled: {csec} s running the\n{cpairs} validation traces, {ctok} tokens, on a shared core; learned, offsets S, S+1, S+2: {lsec} s\ntraining, {lmin} min running the {lpairs} validation traces, {ltok} tokens, on a shared core) and\n2026-12-01 (all offsets: {asec} s training, {apass} passes, {amis} mistakes, within the mistake bound;\n{arun} s running the {apairs} validation traces, {atok} tokens, {awrong} of them wrong).",
      csec=f"{tc['seconds']:.1f}", cpairs=n(tc["validation"]["pairs"]), ctok=millions(tc["chain_tokens_mean"] * tc["validation"]["pairs"]),
      lsec=f"{tl['training_seconds']:.2f}", lmin=minutes(tl["seconds"]), lpairs=n(tl["validation"]["pairs"]), ltok=millions(lt["generated_tokens"]),
      asec=f"{ta['training_seconds']:.1f}", apass=ta["learner"]["training"]["perceptron"]["passes"], amis=n(ta["learner"]["training"]["perceptron"]["mistakes"]),
      arun=f"{ta['seconds']:.1f}", apairs=n(ta["validation"]["pairs"]), atok=millions(at["generated_tokens"]), awrong=at["trace_errors"])

    # ---- carry: width and seeds
    for d in (32, 16, 8):
        rs = seeds(m, f"carry-mlp-d{d}")
        C(f"| `mlp`, d = {d} | {{params}} | {{flops}} | 0, 1, 2 | **{{ex}}** ({{ex_each}}) | **{{pd}}** | {{secs}} |",
          params=n(rs[0]["parameters"]), flops=sci(rs[0]["training_flops"]), ex=mean_sd(exact_rates(rs)), ex_each=each(exact_rates(rs)),
          pd=mean_sd(per_digit(rs)), secs=span([x["training"]["seconds"] for x in rs]))
    d4 = m["carry-mlp-d4-s0"]
    C("| `mlp`, d = 4 | {params} | {flops} | 0 | {ex}% | {pd}% | {secs} |", params=n(d4["parameters"]), flops=sci(d4["training_flops"]),
      ex=pct(d4["validation"]["exact_rate"]), pd=pct(d4["validation"]["per_digit_accuracy"]), secs=n(d4["training"]["seconds"]))
    test = [r[f"multiply/test/carry-mlp-d32-s{s}"] for s in range(3)]
    assert all(t["eval_split"] == "test" for t in test)
    C("further steps): exact **{t}** ({t_each}), against **{v}** on validation.",
      t=mean_sd([t["validation"]["exact_rate"] for t in test]), t_each=each([t["validation"]["exact_rate"] for t in test]), v=cm["exsd"])
    d8 = seeds(m, "carry-mlp-d8")
    C("(d = 8, {params} parameters, {flops}\ntraining FLOPs: seed 1 at {s1}%, seeds 0 and 2 at {s0}% and {s2}%), but not by every seed\n(d = 16 seed 0: {d16s0}%)",
      params=n(d8[0]["parameters"]), flops=sci_dot(d8[0]["training_flops"], 1), s0=pct(d8[0]["validation"]["exact_rate"]), s1=pct(d8[1]["validation"]["exact_rate"]),
      s2=pct(d8[2]["validation"]["exact_rate"]), d16s0=pct(m["carry-mlp-d16-s0"]["validation"]["exact_rate"], 1))
    C("At d = 4 ({params} parameters) the MLP learns nothing\nexact ({ex}%, {pd}% per digit, seed 0).", params=n(d4["parameters"]),
      ex=f"{100 * d4['validation']['exact_rate']:.0f}", pd=pct(d4["validation"]["per_digit_accuracy"]))

    # ---- architecture at equal compute
    arch = [("none", 19, "mlp", 64), ("none", 19, "linear", 64), ("none", 19, "transformer", 44),
            ("carry", 75, "mlp", 32), ("carry", 75, "linear", 32), ("carry", 75, "transformer", 36),
            ("paper", 307, "mlp", 16), ("paper", 307, "linear", 16), ("paper", 307, "transformer", 28)]
    for cot, tokens, model, d in arch:
        have = [s for s in range(3) if f"{cot}-{model}-d{d}-s{s}" in m]
        rs = [m[f"{cot}-{model}-d{d}-s{s}"] for s in have]
        assert all(x["chain_tokens"] == tokens for x in rs)
        ex, pdv = exact_rates(rs), per_digit(rs)
        if len(rs) == 1:
            exact, digits = f"{pct(ex[0])}%", f"{pct(pdv[0])}%"
        else:
            exact = mean_sd(ex) + (" (each 0)" if max(ex) == 0 else f" ({each(ex, '; ')})")
            digits = mean_sd(pdv) + (f" ({each(pdv, '; ')})" if sd(pdv) > 0.01 else "")
        C(f"| `{cot}` ({tokens} tokens) | `{model}`, d = {d} | {{params}} | {{fpt}} | {{flops}} | {{seeds}} | {{exact}} | {{digits}} |",
          params=n(rs[0]["parameters"]), fpt=n(rs[0]["training_flops_per_token"]), flops=sci(rs[0]["training_flops"]),
          seeds=",".join(map(str, have)), exact=exact, digits=digits)

    # ---- the paper chain at d = 16
    def step_row(x: dict, of: int, first: str = "") -> str:
        t, v = x["training"], x["validation"]
        step = n(t["steps"]) if t["steps"] == of else f"{n(t['steps'])} ({n(of)})"
        cells = [step, n(x["train_seqs"]), f"{t['final_loss_mean10']:.3f}", pct(v["exact_rate"]) + "%",
                 pct(v["per_digit_accuracy"]) + "%", pct(v["teacher_forced_accuracy"]) + "%"]
        return cells

    paper_runs = [
        ("`mlp` d = 16, arsim's recipe, seed 0", ["curve/paper-d16-s0-at4000", "paper-mlp-d16-s0"]),
        ("`mlp` d = 16, arsim's recipe, seed 1", ["paper-mlp-d16-s1"]),
        ("`mlp` d = 16, arsim's recipe, seed 2", ["paper-mlp-d16-s2"]),
        ("`linear` d = 16, arsim's recipe, seed 0", ["curve/paper-linear-d16-s0-at4000", "paper-linear-d16-s0"]),
        ("`mlp` d = 16, **the paper's recipe** (`--paper-config`), seed 0", ["curve/paper-pc-d16-at160", "curve/paper-pc-d16-at320", "paper-mlp-d16-paperconfig-s0"]),
        ("`transformer` d = 28, 2 blocks, 4 heads, arsim's recipe (lr 3·10⁻³), seed 0", ["curve/paper-tr-d28-at4000", "paper-transformer-d28-s0"]),
    ]
    for label, keys in paper_runs:
        final = m[keys[-1]]
        of = final["training"]["steps"]
        lines, values = [], {}
        for i, key in enumerate(keys):
            cells = step_row(m[key], of)
            names = [f"c{i}_{j}" for j in range(len(cells))]
            values.update(zip(names, cells))
            lead = f"| {label} | {{params}} | {{fpt}} |" if i == 0 else "|  |  |  |"
            lines.append(lead + "".join(f" {{{x}}} |" for x in names))
        C("\n".join(lines), params=n(final["parameters"]), fpt=n(final["training_flops_per_token"]), **values)
        parts = chain_parts(final)
        C(f"| {label} | {{a}}% | {{b}}% | {{c}}% | {{d}}% |", a=parts["decomposition"], b=parts["pair tokens"], c=parts["partial products"], d=parts["answer"])
    pp = {k: chain_parts(m[k]) for k in ["paper-mlp-d16-s0", "paper-mlp-d16-s1", "paper-mlp-d16-s2", "paper-mlp-d16-paperconfig-s0"]}
    C("digits, are {a}% and {b}% right for seeds 0 and 1, {c}% for seed 2, and {d}% with the\n  paper's recipe (whose decompositions, {e}%, and partial products, {f}%, are not learned\n  either).",
      a=pp["paper-mlp-d16-s0"]["pair tokens"], b=pp["paper-mlp-d16-s1"]["pair tokens"], c=pp["paper-mlp-d16-s2"]["pair tokens"],
      d=pp["paper-mlp-d16-paperconfig-s0"]["pair tokens"], e=pp["paper-mlp-d16-paperconfig-s0"]["decomposition"],
      f=pp["paper-mlp-d16-paperconfig-s0"]["partial products"])
    mlp_pairs = [float(pp[f"paper-mlp-d16-s{s}"]["pair tokens"]) for s in range(3)]
    C("pair tokens ({lo}–{hi}% right over the seeds, {pc}% with the paper's recipe)", lo=f"{min(mlp_pairs):.0f}", hi=f"{max(mlp_pairs):.0f}",
      pc=f"{float(pp['paper-mlp-d16-paperconfig-s0']['pair tokens']):.0f}")

    # ---- the frontier
    tr = seeds(m, "carry-transformer-d36")
    C("| `carry` | 75 | `transformer`, d = 36, {params} parameters: {ex} (3 seeds, lowest {lo}%), {pd}% per digit | the same | — | 6 |",
      params=n(tr[0]["parameters"]), ex=mean_sd(exact_rates(tr)), lo=pct(min(exact_rates(tr))), pd=pct(statistics.mean(per_digit(tr))))
    nms = seeds(m, "none-mlp-d64")
    C("| `none` | 19 | — | — | `mlp`, d = 64, {params} parameters: {ex} (3 seeds, lowest {lo}%), {pd}% per digit | 3 |",
      params=n(nms[0]["parameters"]), ex=mean_sd(exact_rates(nms)), lo=pct(min(exact_rates(nms))), pd=pct(statistics.mean(per_digit(nms))))
    pt = m["paper-transformer-d28-s0"]
    C("| `paper` | 307 | — | — | `transformer`, d = 28, {params} parameters: {ex}%, {pd}% per digit | 4 |",
      params=n(pt["parameters"]), ex=pct(pt["validation"]["exact_rate"]), pd=pct(pt["validation"]["per_digit_accuracy"]))
    C("| `tm` | {tokens} | `compiled` predictor, {nz} non-zero weights: {ex}% | the same | — | 3 |",
      tokens=n(statistics.mean([tc["chain_tokens_mean"], tl["chain_tokens_mean"], ta["chain_tokens_mean"]])), nz=n(tc["parameters"]),
      ex=pct(tc["validation"]["exact_rate"]))

    # ---- the first table's prose
    C("multiplies all {pairs} pairs: {tok} million tokens of chain, every generated one checked against\n  the interpreter ({secs} s, {rate} tokens/s verified, on a shared core).",
      pairs=n(tc["validation"]["pairs"]), tok=f"{tc['chain_tokens_mean'] * tc['validation']['pairs'] / 1e6:.1f}", secs=f"{tc['seconds']:.1f}",
      rate=millions(tc["tokens_per_second"], 2))
    tlt = tl["learner"]["training"]
    C("traces of {traces} training pairs ({ex} examples, {distinct} distinct; {passes}\n  passes, {mis} mistakes, within the mistake bound), then runs free",
      traces=n(tlt["traces"]), ex=millions(tlt["examples"]), distinct=n(tlt["distinct_examples"]), passes=tlt["perceptron"]["passes"], mis=n(tlt["perceptron"]["mistakes"]))
    C("{cov} of the {total} held-out traces use only contexts that\n  occurred in its training traces", cov=n(lt["covered_traces"]), total=n(lt["traces"]))
    C("fails on {fail} of them, with minimum margin {mm}.", fail=n(cert["failed"]), mm=minus(str(cert["min_margin"])))
    ata = ta["learner"]["training"]
    C("from {traces} traces ({ex} examples, every one distinct; {passes}\n  passes, {mis} mistakes, within the bound) it gets {k} of {total} held-out pairs exact, none of\n  whose traces were covered by training contexts; {wrong} wrong tokens in {tok} teacher-forced\n  positions are enough to spoil {spoilt} traces",
      traces=ata["traces"], ex=n(ata["examples"]), passes=ata["perceptron"]["passes"], mis=n(ata["perceptron"]["mistakes"]),
      k=n(ta["validation"]["exact"]), total=n(ta["validation"]["pairs"]), wrong=n(at["token_errors"]), tok=millions(at["generated_tokens"]),
      spoilt=at["trace_errors"])
    assert ata["examples"] == ata["distinct_examples"] and at["covered_traces"] == 0
    C("(one pass over {ex} distinct examples per {traces} traces)", ex=millions(ata["distinct_examples"]), traces=ata["traces"])
    cms = seeds(m, "carry-mlp-d32")
    misses = single_digit_misses(cms)
    C("99.38% ± 0.63 exact over three seeds ({e0}, {e1} and {e2} of {pairs}; the lowest seed {lo}%),",
      e0=n(cms[0]["validation"]["exact"]), e1=n(cms[1]["validation"]["exact"]), e2=n(cms[2]["validation"]["exact"]),
      pairs=n(cms[0]["validation"]["pairs"]), lo=pct(min(exact_rates(cms))))
    C("reports list up to three misses each: {single} of the {listed} listed are a single wrong digit", **{k: str(v) for k, v in misses.items()})
    C("exact: 0 of 2,000 at d = 64 for each of three seeds ({pd} per digit).", pd=mean_sd(per_digit(nms)))

    # ---- the cost of the paper's run
    rates = [x["train_seqs"] / training_seconds(m, f"paper-mlp-d16-s{s}", ["curve/paper-d16-s0-at4000"] if s == 0 else [])
             for s, x in enumerate(seeds(m, "paper-mlp-d16"))]
    days = [100e6 * 64 / rate / 86400 for rate in rates]
    C("trained at {lo}–{hi} sequences/s on one\n   thread (their reports' `train_seqs` over `training.seconds`), so 100M sequences × 64 at that\n   rate are {dlo}–{dhi} days.",
      lo=f"{min(rates):.0f}", hi=f"{max(rates):.0f}", dlo=f"{min(days):.0f}", dhi=f"{max(days):.0f}")
    C("128 (775M parameters, against {params} at d = 16) on 100M sequences, about {dlo}–{dhi} days of this\nmachine by the measured d = 16 rate",
      params=millions(m["paper-mlp-d16-s0"]["parameters"]), dlo=f"{10 * math.floor(min(days) / 10):.0f}", dhi=f"{10 * math.floor(max(days) / 10):.0f}")

    # ---- length extrapolation
    rows = [("1 bit", "1-1", "4 (every pair)"), ("1–2 bits", "1-2", "30"), ("1–3 bits", "1-3", "150"),
            ("1–4 bits", "1-4", "200"), ("1–5 bits", "1-5", "200")]
    for label, lengths, traces in rows:
        xs = [r[f"extrapolation/binary-multiply-train{lengths}-s{s}"] for s in range(3)]
        assert all(x["training"]["traces"] == xs[0]["training"]["traces"] for x in xs)
        exact = [x["test"]["traces"] - x["test"]["trace_errors"] for x in xs]
        wrong = [x["test"]["token_errors"] for x in xs]
        wfmt = (lambda v: millions(v, 2)) if min(wrong) >= 1e6 else n
        suffix = " (each seed)" if min(exact) == max(exact) and min(exact) > 0 else ""
        C(f"| {label} | {traces} | {{s}} | {{distinct}} | {{mis}} | **{{ex}} / {{total}}**{suffix} | {{cov}} | {{wrong}} | {{fail}} ({{mm}}) |",
          s=span([x["tape_cells"] for x in xs]), distinct=span([x["training"]["distinct_examples"] for x in xs]),
          mis=span([x["training"]["perceptron"]["mistakes"] for x in xs]), ex=span(exact), total=n(xs[0]["test"]["traces"]),
          cov=span([x["test"]["covered_traces"] for x in xs]), wrong=span(wrong, wfmt),
          fail=span([x["certificate"]["failed"] for x in xs]), mm=minus(str(min(x["certificate"]["min_margin"] for x in xs))))
    x3 = [r[f"extrapolation/binary-multiply-train1-3-s{s}"] for s in range(3)]
    C("({fail} of {ctx}, margins down to {mm})", fail=span([x["certificate"]["failed"] for x in x3]), ctx=n(x3[0]["certificate"]["contexts"]),
      mm=minus(str(min(x["certificate"]["min_margin"] for x in x3))))

    # ---- prose that repeats the tables
    def sd_of(stem):
        return mean_sd(per_digit(seeds(m, stem)))

    C("per digit the MLP leads\n  ({a}), the transformer follows ({b}), and the linear model trails\n  ({c}):",
      a=sd_of("none-mlp-d64"), b=sd_of("none-transformer-d44"), c=sd_of("none-linear-d64"))
    ctr, clin, cml = seeds(m, "carry-transformer-d36"), seeds(m, "carry-linear-d32"), seeds(m, "carry-mlp-d32")
    mean_ex = lambda rs: 100 * statistics.mean(exact_rates(rs))  # noqa: E731
    C("reaches {tr} ({tr_each}) exact over seeds 0, 1, 2, the linear model {lin} and the MLP {mlp}. The transformer is ahead of the linear predictor by {d1} points of exact, about one standard deviation of the seeds, and of the MLP by {d2}:",
      tr=mean_sd(exact_rates(ctr)), tr_each=each(exact_rates(ctr)), lin=mean_sd(exact_rates(clin)), mlp=mean_sd(exact_rates(cml)),
      d1=f"{mean_ex(ctr) - mean_ex(clin):.2f}", d2=f"{mean_ex(ctr) - mean_ex(cml):.2f}")
    ptr, plin = m["paper-transformer-d28-s0"], m["paper-linear-d16-s0"]
    C("the transformer ({params} parameters) ends at\n  {tr}% per digit (seed 0), the linear model at {lin}% (seed 0) and the MLP at {mlp}\n  over three seeds;",
      params=n(ptr["parameters"]), tr=pct(ptr["validation"]["per_digit_accuracy"]), lin=pct(plin["validation"]["per_digit_accuracy"]),
      mlp=sd_of("paper-mlp-d16"))
    parts_tr, parts_lin = chain_parts(ptr), chain_parts(plin)
    C("model get every step of the chain right but the answer digits ({a}% and {b}% of them)", a=parts_tr["answer"], b=parts_lin["answer"])
    pms = seeds(m, "paper-mlp-d16")
    C("The three MLP seeds end at\n  {a}%, {b}% and {c}% per digit (loss {la}, {lb}, {lc}); seed 2 learns the pair tokens\n  ({p2}%) and the partial products ({pp2}%) where seeds 0 and 1 do not ({lo}–{hi}% of pair tokens).\n  The linear model (one seed) ends above all three, at {lin}%:",
      a=pct(pms[1]["validation"]["per_digit_accuracy"]), b=pct(pms[0]["validation"]["per_digit_accuracy"]), c=pct(pms[2]["validation"]["per_digit_accuracy"]),
      la=f"{pms[1]['training']['final_loss_mean10']:.3f}", lb=f"{pms[0]['training']['final_loss_mean10']:.3f}", lc=f"{pms[2]['training']['final_loss_mean10']:.3f}",
      p2=pp["paper-mlp-d16-s2"]["pair tokens"], pp2=f"{float(pp['paper-mlp-d16-s2']['partial products']):.0f}",
      lo=f"{min(float(pp['paper-mlp-d16-s0']['pair tokens']), float(pp['paper-mlp-d16-s1']['pair tokens'])):.0f}",
      hi=f"{max(float(pp['paper-mlp-d16-s0']['pair tokens']), float(pp['paper-mlp-d16-s1']['pair tokens'])):.0f}",
      lin=pct(plin["validation"]["per_digit_accuracy"]))
    ppc = m["paper-mlp-d16-paperconfig-s0"]
    C("the model reaches loss\n  {loss} and {pd}% per digit, below every arsim-recipe run.", loss=f"{ppc['training']['final_loss_mean10']:.3f}",
      pd=pct(ppc["validation"]["per_digit_accuracy"]))
    ptr4, plin4 = m["curve/paper-tr-d28-at4000"], m["curve/paper-linear-d16-s0-at4000"]
    C("ends at {a}% per\n  digit and {b}% of the chain teacher-forced ({c}% and {d}% at step 4,000), against the\n  linear model's {e}% and {f}% ({g}% and {h}% at step 4,000)",
      a=pct(ptr["validation"]["per_digit_accuracy"]), b=pct(ptr["validation"]["teacher_forced_accuracy"]),
      c=pct(ptr4["validation"]["per_digit_accuracy"]), d=pct(ptr4["validation"]["teacher_forced_accuracy"]),
      e=pct(plin["validation"]["per_digit_accuracy"]), f=pct(plin["validation"]["teacher_forced_accuracy"]),
      g=pct(plin4["validation"]["per_digit_accuracy"]), h=pct(plin4["validation"]["teacher_forced_accuracy"]))
    C("the lead of {lead} points is one run's.", lead=f"{100 * (ptr['validation']['per_digit_accuracy'] - plin['validation']['per_digit_accuracy']):.1f}")
    C("is `transformer` d = 36 ({params} parameters), {ex}% exact over 3 seed(s), every seed reaching it (the smallest MLP reaching it is d = 32, {mp} parameters, with one seed of three at {lo}%;\nat d = 8, {p8} parameters, it averages {a8}%)",
      params=n(ctr[0]["parameters"]), ex=pct(statistics.mean(exact_rates(ctr))), mp=millions3(cml[0]["parameters"]),
      lo=pct(min(exact_rates(cml))), p8=n(d8[0]["parameters"]), a8=pct(statistics.mean(exact_rates(d8))))
    C("(the table's {tokens} tokens is the mean of the three `tm` configs'\nchains: the compiled predictor's {c} on a window fitted to each pair, the learned ones' {l} and {a} on\none shared window; the learned configs, {lp} and {ap} non-zero weights,",
      tokens=n(statistics.mean([tc["chain_tokens_mean"], tl["chain_tokens_mean"], ta["chain_tokens_mean"]])), c=n(tc["chain_tokens_mean"]),
      l=n(tl["chain_tokens_mean"]), a=n(ta["chain_tokens_mean"]), lp=n(tl["parameters"]), ap=n(ta["parameters"]))
    C("per-digit accuracy is `transformer`, d = 28 ({pd}%).", pd=pct(ptr["validation"]["per_digit_accuracy"]))
    C("gives 775M) gets no answer exact over three seeds ({mlp} of answer digits), nor does\n  the linear model ({lin}%), the transformer at equal FLOPs, or the MLP with the paper's recipe\n  ({pc}%: {updates} updates of 2,048 at this budget).",
      mlp=sd_of("paper-mlp-d16"), lin=pct(plin["validation"]["per_digit_accuracy"]), pc=pct(ppc["validation"]["per_digit_accuracy"]),
      updates=ppc["training"]["steps"])
    C("the four central digits, the sums of the most partial products, {lo}–{hi}%:",
      **dict(zip(("lo", "hi"), (lambda v: (f"{min(v):.0f}", f"{max(v):.0f}"))(
          [100 * x["validation"]["teacher_forced_by_position"][t] for x in (ptr, plin) for t in range(301, 305)]))))

    # ---- the test half
    def mean_or_one(values: List[float]) -> str:
        return mean_sd(values) if len(values) > 1 else f"{pct(values[0])}%"

    none_seeds = sorted(int(k[-1]) for k in m if re.fullmatch(r"test/none-mlp-d64-s\d", k))
    nt = [m[f"test/none-mlp-d64-s{s}"] for s in none_seeds]
    nv = [m[f"none-mlp-d64-s{s}"] for s in none_seeds]
    for s_, t_ in zip(none_seeds, nt):
        assert t_["eval_split"] == "test" and t_["training"]["started_at_step"] == t_["training"]["steps"]
        again = m[f"test/validation/none-mlp-d64-s{s_}"]
        # The retrained checkpoint is the committed row's model: same figures, bit for bit.
        same = lambda v: {k: x for k, x in v.items() if k != "seconds"}  # noqa: E731
        assert same(again["validation"]) == same(m[f"none-mlp-d64-s{s_}"]["validation"]), s_
        assert again["training"]["final_loss_mean10"] == m[f"none-mlp-d64-s{s_}"]["training"]["final_loss_mean10"], s_
    C("| `none` | `mlp`, d = 64 (best) | {seeds} | {vex} | {tex} | {vpd} | {tpd} |", seeds=", ".join(map(str, none_seeds)),
      vex=mean_or_one(exact_rates(nv)), tex=mean_or_one([t["validation"]["exact_rate"] for t in nt]),
      vpd=mean_or_one(per_digit(nv)), tpd=mean_or_one([t["validation"]["per_digit_accuracy"] for t in nt]))
    C("| `carry` | `transformer`, d = 36 (smallest reaching 99%) | — | {vex} | not scored | {vpd}% | not scored |",
      vex=mean_sd(exact_rates(tr)), vpd=pct(statistics.mean(per_digit(tr))))
    C("| `carry` | `mlp`, d = 32 (the first table's row) | 0, 1, 2 | {vex} | {tex} | {vpd}% | {tpd}% |",
      vex=mean_sd(exact_rates(cms)), tex=mean_sd([t["validation"]["exact_rate"] for t in test]),
      vpd=pct(statistics.mean(per_digit(cms))), tpd=pct(statistics.mean([t["validation"]["per_digit_accuracy"] for t in test])))
    C("| `paper` | `transformer`, d = 28 (best) | — | {vex}% | not scored | {vpd}% | not scored |",
      vex=pct(pt["validation"]["exact_rate"]), vpd=pct(pt["validation"]["per_digit_accuracy"]))
    tt = m["test/tm-compiled"]
    assert tt["split"] == "test" and tc["split"] == "validation"
    C("| `tm` | `compiled` predictor | — | {vex}% ({vk} of {vn}) | {tex}% ({tk} of {tn}) | — | — |",
      vex=pct(tc["validation"]["exact_rate"]), vk=n(tc["validation"]["exact"]), vn=n(tc["validation"]["pairs"]),
      tex=pct(tt["validation"]["exact_rate"]), tk=n(tt["validation"]["exact"]), tn=n(tt["validation"]["pairs"]))
    C("on the test sample ({n} traces, {tok} tokens, every one checked against the interpreter, {secs} s).",
      n=n(tt["validation"]["pairs"]), tok=millions(tt["chain_tokens_mean"] * tt["validation"]["pairs"]), secs=f"{tt['seconds']:.1f}")
    C("gives the committed row's figures exactly (seed 0: {pd}% per digit, loss {loss}: the same\nmodel, bit for bit,",
      pd=pct(nv[0]["validation"]["per_digit_accuracy"]), loss=f"{nv[0]['training']['final_loss_mean10']:.4f}")

    # ---- parity, learned
    for cot in ("running-xor", "popcount"):
        for train in (100, 300, 1000, 3000, 10000):
            x = r[f"parity/{cot}-n32-train{train}-s1"]
            exact = f"{n(x['exact'])} ({permille(x['exact'], x['test'])}%)"
            if x["exact"] == x["test"]:
                exact = f"**{n(x['exact'])} (100%)**"
            right = n(x["answer_right"]) + (f" ({permille(x['answer_right'], x['test'])}%)" if train == 100 and cot == "running-xor" else "")
            C(f"| `{cot}` | {{tokens}} | {n(train)} | {{passes}} | {{mistakes}} | {{exact}} | {{right}} |",
              tokens=x["chain_tokens"], passes=x["passes"], mistakes=n(x["mistakes"]), exact=exact, right=right)

    # ---- TinyStories
    t = {k[len("text/") :]: v for k, v in r.items() if k.startswith("text/")}
    bpb = lambda key: t[key]["neural"]["validation"]["bits_per_byte"]  # noqa: E731
    tr_keys = [f"transformer-t64-d72-s{s}" for s in range(3)]
    lin_keys = [f"linear-t64-d64-s{s}" for s in range(3)]

    def bpb_sd(keys):
        v = [bpb(k) for k in keys]
        return f"{statistics.mean(v):.3f} ± {sd(v):.3f} ({', '.join(f'{x:.3f}' for x in v)})"

    if all(k in t for k in lin_keys):
        x = t[lin_keys[0]]["neural"]
        C("| TinyStories (no chain) | `linear`, T = 64, d = 64 | {params} | {fpt} | {flops} | 0,1,2 | — | {b} bits per byte |",
          params=millions(x["parameters"], 2), fpt=n(x["training_flops_per_token"]), flops=sci(x["training_flops"]), b=bpb_sd(lin_keys))
    x = t[tr_keys[0]]["neural"]
    C("| TinyStories (no chain) | `transformer`, T = 64, d = 72 | {params} | {fpt} | {flops} | 0,1,2 | — | **{b} bits per byte** |",
      params=n(x["parameters"]), fpt=n(x["training_flops_per_token"]), flops=sci(x["training_flops"]), b=bpb_sd(tr_keys))
    b256 = t["linear-t8-d64-b256-s0"]["neural"]
    C("| linear, T = 8, d = 64, **T = 64's steps**: batch 256 | {params} | {seen} (12 epochs, {steps} steps) | {time} min wall (1, a core shared with three other jobs; 7.1 min of CPU) | {ppl} | **{bpb}** |",
      params=n(b256["parameters"]), seen=millions(b256["train_tokens_seen"]), steps=n(b256["training"]["steps"]),
      time=minutes1(b256["training"]["seconds"]), ppl=f"{b256['validation']['perplexity']:.2f}", bpb=f"{b256['validation']['bits_per_byte']:.3f}")
    C("It reaches {bpb} bits per byte (perplexity {ppl})", bpb=f"{b256['validation']['bits_per_byte']:.3f}", ppl=f"{b256['validation']['perplexity']:.2f}")
    C("per byte every {every} steps: {curve}) was still falling", every=n(b256["curve"][0]["step"]),
      curve=", ".join(f"{c['validation_bits_per_byte']:.3f}" for c in b256["curve"]))
    lin1 = t["linear-t64-d64-s1"]["neural"]
    C("| TinyStories (no chain) | `linear`, T = 8, d = 64, batch 256: the best linear row, at {ratio}× the FLOPs | {params} | {fpt} | {flops} | 0 | — | {bpb} bits per byte |",
      ratio=f"{b256['training_flops'] / lin1['training_flops']:.2f}", params=n(b256["parameters"]), fpt=n(b256["training_flops_per_token"]),
      flops=sci(b256["training_flops"]), bpb=f"{b256['validation']['bits_per_byte']:.3f}")
    base = t["transformer-t64-d72-s0"]["baselines"]
    for model, label, bold in [("unigram", "unigram, Kneser-Ney", False), ("bigram", "bigram, Kneser-Ney", False),
                               ("trigram", "trigram, Kneser-Ney", True), ("bigram, modified KN", "bigram, modified Kneser-Ney", False),
                               ("trigram, modified KN", "trigram, modified Kneser-Ney", True)]:
        x = next(b for b in base["models"] + base["modified_kn"] if b["model"] == model)
        v = x["validation"]
        ppl = f"{v['perplexity']:.1f}" if v["perplexity"] > 100 else f"{v['perplexity']:.2f}"
        b_ = "**" if bold else ""
        C(f"| {label} | {{params}} n-grams | {{tokens}}{' (counted once)' if model == 'unigram' else ''} | < 1 s | {b_}{{ppl}}{b_} | {b_}{{bpb}}{b_} | `--baselines` |",
          params=n(x["parameters"]), tokens=millions(base["train_tokens"]), ppl=ppl, bpb=f"{v['bits_per_byte']:.3f}")
    pw = t["linear-t63-d64-paperwin-paperconfig-s0"]["neural"]
    C("12 epochs of this sample are {steps} updates, and the linear model ends at {b} bits per byte\n  (perplexity {ppl}; training loss {loss} nats per token over its last 10 updates)",
      steps=pw["training"]["steps"], b=f"{pw['validation']['bits_per_byte']:.3f}", ppl=f"{pw['validation']['perplexity']:.1f}",
      loss=f"{pw['training']['final_loss_mean10']:.2f}")
    C("| linear, T = 63, d = 64, **the paper's windowing and recipe**: {steps} updates | {params} | {seen} (12 epochs of non-overlapping 64-token chunks) | {time} min (1) | {ppl} | {b} |",
      steps=pw["training"]["steps"], params=n(pw["parameters"]), seen=millions(pw["train_tokens_seen"]), time=minutes1(pw["training"]["seconds"]),
      ppl=f"{pw['validation']['perplexity']:.1f}", b=f"{pw['validation']['bits_per_byte']:.3f}")
    x = t["transformer-t64-d72-s0"]["neural"]
    C("| transformer, T = 64, d = 72, 2 blocks, 4 heads: T = 64's FLOPs ({fpt} per token against {lfpt}) | {params} | {seen} (12 epochs) | {time} min (1, shared cores) | **{ppl}** | **{b}** |",
      fpt=millions(x["training_flops_per_token"], 2), lfpt=millions(t["linear-t64-d64-s1"]["neural"]["training_flops_per_token"], 2),
      params=n(x["parameters"]), seen=millions(x["train_tokens_seen"]), time=minutes1(x["training"]["seconds"]),
      ppl=f"{x['validation']['perplexity']:.2f}", b=f"{x['validation']['bits_per_byte']:.3f}")
    C("Seeds 1 and 2 (each also another story\n  split): {t1} and {t2} bits per byte, the linear T = 64 model's {l1} and {l2} on the same splits",
      t1=f"{bpb('transformer-t64-d72-s1'):.3f}", t2=f"{bpb('transformer-t64-d72-s2'):.3f}",
      l1=f"{bpb('linear-t64-d64-s1'):.3f}", l2=f"{bpb('linear-t64-d64-s2'):.3f}")
    C("seeds 1 and 2 are scored on other validation stories ({v0}, {v1}, {v2} tokens for\n  seeds 0, 1, 2)",
      **{f"v{s}": n(t[tr_keys[s]]["neural"]["validation"]["predicted_tokens"]) for s in range(3)})
    return out


# ------------------------------------------------------------------ check and write


def check(doc: str, cs: List[Claim]) -> List[str]:
    """The disagreements: a claim not found once, or found with other figures."""
    problems = []
    for c in cs:
        found = list(c.pattern().finditer(doc))
        where = c.template.splitlines()[0][:90]
        if len(found) != 1:
            problems.append(f"found {len(found)} times (want 1): {where!r}")
            continue
        got = dict(zip(c.fields(), found[0].groups()))
        line = doc.count("\n", 0, found[0].start()) + 1
        for k in c.fields():
            if got[k] != c.values[k]:
                problems.append(f"RESULTS.md:{line}: {got[k]!r} where the reports give {c.values[k]!r} ({where!r}, field {k})")
    return problems


def coverage(doc: str, cs: List[Claim]) -> Dict[str, int]:
    """How many of the numbers written in RESULTS.md's prose and tables (code blocks and
    commands left out) a claim generates: the rest are literal (the paper's own figures, the
    old-split history, dates, sizes of the setup, and prose not yet tied to a report)."""
    covered = set()
    for c in cs:
        for m in c.pattern().finditer(doc):
            for g in range(1, (m.lastindex or 0) + 1):
                covered.update(range(m.start(g), m.end(g)))
    code = set()
    for m in re.finditer(r"```.*?```|`[^`\n]*`", doc, re.S):
        code.update(range(m.start(), m.end()))
    total = generated = 0
    for m in re.finditer(r"\d[\d,.]*", doc):
        if m.start() in code:
            continue
        total += 1
        generated += m.start() in covered
    return {"numbers": total, "generated": generated}


def write(doc: str, cs: List[Claim]) -> str:
    for c in cs:
        found = list(c.pattern().finditer(doc))
        if len(found) == 1:
            doc = doc[: found[0].start()] + c.text() + doc[found[0].end() :]
    return doc


def self_test(reports: Reports, doc: str) -> List[str]:
    """--check must pass on the committed files and fail when one report's figure changes."""
    failures = []
    if check(doc, claims(reports)):
        failures.append("--check fails on the committed reports")
    changed = copy.deepcopy(reports)
    changed["multiply/tm-learned-all-s0"]["learner"]["training"]["perceptron"]["mistakes"] = 12_884
    problems = check(doc, claims(changed))
    if not any("'12,912' where the reports give '12,884'" in p for p in problems):
        failures.append(f"a changed report was not caught: {problems}")
    changed = copy.deepcopy(reports)
    changed["multiply/carry-mlp-d32-s1"]["validation"]["exact_rate"] = 0.9
    if not check(doc, claims(changed)):
        failures.append("a changed table figure (carry d = 32 seed 1) was not caught")
    return failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--check", action="store_true", help="fail when a figure and its report disagree")
    g.add_argument("--write", action="store_true", help="rewrite RESULTS.md's figures from the reports")
    g.add_argument("--self-test", action="store_true", help="check that --check catches a changed report")
    args = ap.parse_args()
    reports = read_reports()
    doc = RESULTS_MD.read_text(encoding="utf-8")
    cs = claims(reports)
    if args.write:
        RESULTS_MD.write_text(write(doc, cs), encoding="utf-8")
        doc = RESULTS_MD.read_text(encoding="utf-8")
    if args.self_test:
        failures = self_test(reports, doc)
        for f in failures:
            print(f"self-test: {f}", file=sys.stderr)
        print(f"self-test: {'failed' if failures else 'ok'}")
        return 1 if failures else 0
    problems = check(doc, cs)
    for p in problems:
        print(p, file=sys.stderr)
    figures = sum(len(c.fields()) for c in cs)
    cov = coverage(doc, cs)
    print(f"RESULTS.md: {cov['generated']} of its {cov['numbers']} numbers outside code are generated")
    print(f"RESULTS.md: {len(cs)} claims, {figures} figures from {len(reports)} reports: "
          + (f"{len(problems)} disagree" if problems else "all agree"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
