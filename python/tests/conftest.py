"""Shared fixtures: the repository root (the tests' machine paths are relative to it), the
corpus of machines, and the command-line binary when one is built."""

import glob
import os
import shutil
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Runs whose trace is longer than this are left to the Rust corpus harness (bb5's trace is
# ~2·10^11 tokens); each one skipped is listed with its length.
MAX_TRACE_TOKENS = 2_000_000


def pytest_configure(config):
    os.chdir(REPO)


def corpus_runs():
    """(machine file, input) of every example run in machines/*.ron."""
    import arsim

    runs = []
    for path in sorted(glob.glob(os.path.join(REPO, "machines", "*.ron"))):
        m = arsim.load(path)
        inputs = [e["input"] for e in m.examples]
        for word in inputs or [""]:
            runs.append((os.path.relpath(path, REPO), word))
    return runs


def halting_run(path, word, limit=MAX_TRACE_TOKENS):
    """The machine and its run if it halts within `limit` trace tokens; else skips with the
    reason."""
    import arsim

    m = arsim.load(path)
    r = m.run(word, max_steps=100_000_000)
    if r["stop"] != "halted":
        pytest.skip(f"{path} on {word!r} stops by {r['stop']}, not halting")
    cells = r["cells"][1] - r["cells"][0] + 1 + len(word)
    tokens = (r["steps"] + 1) * (cells + 1)
    if tokens > limit:
        pytest.skip(f"{path} on {word!r}: about {tokens} trace tokens, over {limit} (the Rust corpus harness covers it)")
    return m, r


@pytest.fixture(scope="session")
def arsim_bin():
    """The command line of this checkout: built by cargo first where cargo is on PATH (a stale
    binary would compare Python with an older library), else the one built before or on PATH;
    skips without one."""
    built = os.path.join(REPO, "target", "release", "arsim")
    if shutil.which("cargo"):
        r = subprocess.run(
            ["cargo", "build", "--release", "--quiet", "--bin", "arsim"],
            cwd=REPO, capture_output=True, text=True,
        )
        if r.returncode != 0:
            pytest.skip(f"cargo build --release --bin arsim failed: {r.stderr[-2000:]}")
        return built
    for candidate in (built, shutil.which("arsim")):
        if candidate and os.path.exists(candidate):
            return candidate
    pytest.skip("no arsim binary (cargo build --release) to compare with")


def run_cli(binary, *args, check=True):
    return subprocess.run([binary, *args], capture_output=True, text=True, check=check)
