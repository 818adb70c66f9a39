#!/usr/bin/env bash
# CI for the Python package (issue 13): a fresh virtual environment with pip only, the test
# dependencies from PyPI, `pip install ./python` (maturin builds the extension from this
# checkout), then pytest. torch is not installed: its tests skip and say why.
# Usage: .ci/python.sh [VENV_DIR]   (default: a temporary directory, removed afterwards)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 --version
venv="${1:-}"
if [[ -z "$venv" ]]; then
    venv="$(mktemp -d)/venv"
    trap 'rm -rf "$(dirname "$venv")"' EXIT
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet maturin numpy pytest mypy onnx onnxruntime tokenizers
"$venv/bin/pip" install --quiet ./python
# The installed package, not the source tree: run from the repository root with the tests'
# own conftest (the tests' machine paths are relative to the root; the docstrings' examples
# need no repository: test_doctests.py also runs them from an empty directory).
"$venv/bin/python" -c "import arsim; p = arsim.compile(arsim.load('machines/bb4.ron')); print('bb4 emulated:', p.emulate()['agree'])"
"$venv/bin/python" -m pytest python/tests -q -rs
# The command line from pip (issue 25.18): the console script is the binary's main.
"$venv/bin/arsim" --version
# Every README command that is not declared too long or GPU-only, with this venv's Python
# (issue 25.20): about 5 s.
"$venv/bin/python" scripts/readme_commands.py
