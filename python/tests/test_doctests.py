"""Every docstring example runs, anywhere (issue 25.19): each imports what it uses and reads no
file of the repository, so ``pytest --doctest-modules --pyargs arsim`` passes on the installed
package from any directory (modules whose optional packages are missing are skipped)."""

import doctest
import importlib
import subprocess
import sys

import pytest

MODULES = ["arsim", "arsim.tasks.multiply", "arsim.tasks.text", "arsim.onnx", "arsim.torch"]
NEEDS = {"arsim.onnx": ["onnx", "onnxruntime"], "arsim.torch": ["torch"]}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    for dep in NEEDS.get(name, []):
        try:
            importlib.import_module(dep)
        except ImportError:
            print(f"skipping {name}'s examples: {dep} is not importable")
            pytest.skip(f"{dep} is not importable")
    module = importlib.import_module(name)
    # No extra globals: an example that uses a name must import it itself.
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


def test_doctest_modules_on_the_installed_package_pass_outside_the_repository(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "--doctest-modules", "--pyargs", "arsim", "-q", "-rs", "-p", "no:cacheprovider"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert " passed" in r.stdout, r.stdout[-2000:]


def test_the_package_type_checks():
    """py.typed and the extension's stubs: mypy checks the package instead of skipping it."""
    api = pytest.importorskip("mypy.api")
    out, err, status = api.run(["-p", "arsim", "--ignore-missing-imports", "--no-incremental"])
    assert status == 0, out + err
