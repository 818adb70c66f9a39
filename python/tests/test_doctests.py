"""Every docstring example runs (the package's documentation cannot go stale)."""

import doctest
import importlib

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
    import arsim

    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"arsim": arsim}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
