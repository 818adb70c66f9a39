"""The compiled predictor as an ONNX graph runs in onnxruntime to arsim's tokens."""

import numpy as np
import onnx as _onnx_check  # noqa: F401  (CI installs onnx; a missing one fails loudly)
import pytest

import arsim
import arsim.onnx
from conftest import corpus_runs, halting_run

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")


def session(p, tmp_path):
    f = tmp_path / "p.onnx"
    arsim.onnx.export(p, f)
    return ort.InferenceSession(str(f), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("path,word", corpus_runs())
def test_graph_predicts_every_token_of_the_trace(path, word, tmp_path):
    m, _ = halting_run(path, word)
    p = arsim.compile(m, input=word)
    s = session(p, tmp_path)
    t = m.trace(word)
    ctx = arsim.onnx.contexts(p, t.ids)
    nxt = s.run(["next"], {"context": ctx})[0]
    start = len(t.prompt)
    np.testing.assert_array_equal(nxt[start:], t.ids[start:])


def test_generation_matches_the_executor_token_for_token(tmp_path):
    m = arsim.load("machines/binary-add.ron")
    word = m.examples[0]["input"]
    p = arsim.compile(m, input=word)
    s = session(p, tmp_path)
    t = m.trace(word)
    n = len(t) - len(t.prompt) + 10  # past the end of the run, too
    np.testing.assert_array_equal(arsim.onnx.generate(s, p, t.prompt, n), p.generate(t.prompt, n))


def test_learned_float_weights_export(tmp_path):
    m = arsim.load("machines/binary-increment.ron")
    _, q = arsim.learn(m, train=20, test=20, algo="softmax", epochs=30)
    s = session(q, tmp_path)
    t = m.trace("1011", tape=q.window[0], origin=q.window[1])
    np.testing.assert_array_equal(arsim.onnx.generate(s, q, t.prompt, 12), q.generate(t.prompt, 12))
