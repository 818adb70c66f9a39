#!/usr/bin/env python3
"""Every command in README.md's shell blocks runs, or is declared not run here with a reason
(issue 25.20): a README command cannot rot unnoticed.

Each line of a ```sh block is a command (a trailing `# comment` is dropped; "exit N" in it is
the status the command must end with, else 0). `cargo run --release -- ARGS` runs the binary
cargo built (`target/release/arsim ARGS`, built first if missing); `python3`/`python` run this
interpreter. Commands run in a scratch directory that links the repository's `machines/`,
`tests/` and `examples/`, so whatever they write lands there, not in the checkout.

A command in NOT_RUN must still be in README.md (so the list cannot go stale), and a README
command in neither list fails the check: a new command has to be run or declared.

    python3 scripts/readme_commands.py            # run them (CI: .ci/run)
    python3 scripts/readme_commands.py --list     # what runs, what does not and why
    python3 scripts/readme_commands.py --self-test  # a failing command must be caught

Standard library only; the Python commands run when `import arsim` works in this interpreter
(after `pip install ./python`), else each is reported as skipped and why.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

#: Commands of README.md that this script does not run, each with the reason.
NOT_RUN = {
    "cargo test --release": "the test suite itself: .ci/run runs it first",
    "cargo run --release -- emulate machines/bb5.ron --max-steps 47176870": "about 1.5 min of 2 cores (5.8·10^11 tokens); BENCHMARKS.md measures it",
    "python3 examples/hf_bb4.py --out bb4-hf --plot bb4-attention.png": "needs PyTorch and transformers, which CI does not install (python/tests/test_hf.py runs the exported models where they are)",
    "cargo run --release -- serve --open": "a server that runs until stopped, and opens a browser: tests/serve.rs and tests/browser.rs start it on a free loopback port",
    "pip install ./python": "installs into the environment: .ci/python.sh runs it in a fresh venv",
    "torchrun --nproc_per_node 2 examples/train_ddp.py --steps 5": "needs PyTorch, which CI does not install (python/tests/test_torch.py skips likewise)",
    "torchrun --nproc_per_node N examples/train_ddp.py --paper --out paper-d128.st --json-out paper-d128.json": "the paper's run: N GPUs, hours",
    "python3 examples/train_ddp.py --score paper-d128.st --eval-split test --json-out paper-d128-test.json": "needs the model the paper's run writes, and PyTorch",
}

#: Commands that need the Python package (`import arsim`).
NEEDS_ARSIM = ("python3 -c", "python -c", "python -m arsim", "python3 examples/emulate_numpy.py")


def commands(readme: str) -> List[Tuple[int, str, int]]:
    """(line, command, expected exit status) of every line of every ```sh block."""
    out = []
    in_sh = False
    for i, line in enumerate(readme.splitlines(), 1):
        s = line.strip()
        if s.startswith("```"):
            in_sh = (not in_sh) and s in ("```sh", "```bash", "```shell")
            continue
        if not in_sh or not s or s.startswith("#"):
            continue
        command, _, comment = s.partition(" # ") if " # " in s else (s, "", "")
        m = re.search(r"\bexit (\d+)", comment)
        out.append((i, command.strip(), int(m.group(1)) if m else 0))
    return out


def arsim_binary() -> Path:
    binary = ROOT / "target" / "release" / "arsim"
    if not binary.exists():
        subprocess.run(["cargo", "build", "--release", "--bin", "arsim"], cwd=ROOT, check=True)
    return binary


def argv(command: str, binary: Path) -> List[str]:
    import shlex

    words = shlex.split(command)
    if words[:4] == ["cargo", "run", "--release", "--"]:
        return [str(binary)] + words[4:]
    if words[0] in ("python3", "python"):
        return [sys.executable] + words[1:]
    return words


def scratch() -> Path:
    d = Path(tempfile.mkdtemp(prefix="readme-commands-"))
    for name in ("machines", "tests", "examples"):
        os.symlink(ROOT / name, d / name)
    return d


def have_arsim() -> Optional[str]:
    r = subprocess.run([sys.executable, "-c", "import arsim, numpy"], capture_output=True, text=True)
    return None if r.returncode == 0 else r.stderr.strip().splitlines()[-1]


def run_all(readme: str, not_run: dict, verbose: bool = True) -> Tuple[int, int, List[str]]:
    """Runs the commands of `readme` (less `not_run`): (ran, skipped, problems)."""
    cmds = commands(readme)
    problems = []
    listed = {c for _, c, _ in cmds}
    for c in not_run:
        if c not in listed:
            problems.append(f"NOT_RUN names a command README.md no longer has: {c!r}")
    binary = arsim_binary()
    no_arsim = have_arsim()
    work = scratch()
    ran = skipped = 0
    try:
        for line, c, want in cmds:
            if c in not_run:
                skipped += 1
                continue
            if no_arsim and c.startswith(NEEDS_ARSIM):
                print(f"README.md:{line}: skipped ({no_arsim}; pip install ./python first): {c}")
                skipped += 1
                continue
            t0 = time.time()
            r = subprocess.run(argv(c, binary), cwd=work, capture_output=True, text=True, timeout=600)
            ran += 1
            if verbose:
                print(f"README.md:{line}: exit {r.returncode} in {time.time() - t0:.1f} s: {c}", flush=True)
            if r.returncode != want:
                problems.append(f"README.md:{line}: `{c}` exited {r.returncode}, the README says {want}:\n{r.stderr[-1500:]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return ran, skipped, problems


def self_test() -> List[str]:
    """A failing command, a wrong exit status and a stale NOT_RUN entry are each caught."""
    readme = "```sh\ncargo run --release -- run no-such-machine.ron\ncargo run --release -- emulate 1RB1LB_1LA1RZ --tape 3\n```\n"
    _, _, problems = run_all(readme, {"cargo run --release -- gone": "stale"}, verbose=False)
    failures = []
    if not any("no-such-machine.ron` exited 2, the README says 0" in p for p in problems):
        failures.append(f"a failing command was not caught: {problems}")
    if not any("--tape 3` exited 2, the README says 0" in p for p in problems):
        failures.append(f"a command's exit status was not checked: {problems}")
    if not any("no longer has" in p for p in problems):
        failures.append(f"a stale NOT_RUN entry was not caught: {problems}")
    return failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--list", action="store_true", help="list the commands and what happens to each")
    ap.add_argument("--self-test", action="store_true", help="check that a failing command is caught")
    args = ap.parse_args()
    readme = README.read_text(encoding="utf-8")
    if args.list:
        for line, c, code in commands(readme):
            print(f"README.md:{line}: {'skip: ' + NOT_RUN[c] if c in NOT_RUN else f'run, expect exit {code}'}: {c}")
        return 0
    if args.self_test:
        failures = self_test()
        for f in failures:
            print(f"self-test: {f}", file=sys.stderr)
        print(f"self-test: {'failed' if failures else 'ok'}")
        return 1 if failures else 0
    ran, skipped, problems = run_all(readme, NOT_RUN)
    for p in problems:
        print(p, file=sys.stderr)
    print(f"README.md: {ran} commands run, {skipped} not run (declared, or without the package): "
          + (f"{len(problems)} problems" if problems else "all as the README says"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
