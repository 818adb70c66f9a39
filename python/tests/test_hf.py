"""``arsim.hf`` (issue 23): compiled predictors as Hugging Face GPT-2 checkpoints.

The export and its certificate need neither torch nor transformers and always run. Where both
import, the exported models are loaded with ``AutoModelForCausalLM.from_pretrained`` and run:
``generate()`` on the three runs issue 23 names, and one teacher-forced forward pass on every
halting corpus run of at most ``FORWARD_MAX_TOKENS`` tokens. A teacher-forced pass whose argmax
at every generated position is the trace's next token is the same statement as greedy
``generate()`` returning the trace (each step's input is then exactly the trace's prefix).
"""

import json
import os

import numpy as np
import pytest

import arsim
import arsim.hf
from conftest import corpus_runs

# One forward pass attends over the whole trace: longer traces are left to generate() below and
# to the Rust float check (tests/hf.rs), and listed as skipped with their length.
FORWARD_MAX_TOKENS = 20_000


def _export(tmp_path, machine, word=None):
    m = arsim.load(machine)
    p = arsim.compile(m, input=word) if word else arsim.compile(m)
    d = tmp_path / os.path.basename(machine).replace(".ron", "")
    facts = arsim.hf.export(p, d, input=word)
    t = m.trace(input=word) if word else m.trace()
    return d, facts, t


def test_export_writes_a_standard_gpt2_directory_and_certifies(tmp_path):
    d, facts, t = _export(tmp_path, "machines/bb3.ron")
    for f in ["config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json"]:
        assert (d / f).exists(), f
    config = json.loads((d / "config.json").read_text())
    assert config["model_type"] == "gpt2" and config["architectures"] == ["GPT2LMHeadModel"]
    assert "auto_map" not in config, "no custom code"
    assert config["n_positions"] == len(t) + 1 == facts["context"]
    assert config["n_head"] == 3 and config["tie_word_embeddings"] is False
    vocab = json.loads((d / "tokenizer.json").read_text())["model"]["vocab"]
    assert [vocab[label] for label in t.labels] == list(range(len(t.labels)))
    c = arsim.hf.certify(d)
    assert c["certified"] and c["model_is_construction"] and c["local"]["certified"]
    assert c["float"]["context"] == facts["context"]


def test_bf16_is_refused_past_its_bound_naming_it(tmp_path):
    d, _, _ = _export(tmp_path, "machines/bb4.ron")
    f32 = arsim.hf.certify(d)
    assert f32["certified"] and f32["precision"] == "f32"
    bf16 = arsim.hf.certify(d, precision="bf16")
    assert bf16["precision"] == "bf16" and not bf16["certified"]
    largest = bf16["float"]["largest_context"]["bfloat16"]
    with pytest.raises(arsim.VerificationFailed, match=f"bfloat16 certifies contexts up to {largest}"):
        arsim.hf.certify(d, precision="bf16", check=True)
    with pytest.raises(arsim.BadInput, match="precision"):
        arsim.hf.certify(d, precision="fp8")


def test_a_changed_model_is_refused(tmp_path):
    d, _, _ = _export(tmp_path, "machines/bb2.ron")
    raw = bytearray((d / "model.safetensors").read_bytes())
    raw[-1] ^= 0x01
    (d / "model.safetensors").write_bytes(bytes(raw))
    with pytest.raises(arsim.BadInput, match="not the construction"):
        arsim.hf.certify(d)


def test_gates_weights_are_refused_with_a_reason(tmp_path):
    p = arsim.compile(arsim.load("machines/bb2.ron"), encoding="gates")
    with pytest.raises(arsim.Error, match="gates"):
        arsim.hf.export(p, tmp_path / "g")


try:
    import torch
    import transformers  # noqa: F401

    _RUNNABLE = None
except ImportError as e:
    _RUNNABLE = f"{e.name} is not installed: the exported models are not run (pip install torch transformers)"

needs_torch = pytest.mark.skipif(_RUNNABLE is not None, reason=_RUNNABLE or "")


@needs_torch
@pytest.mark.parametrize("machine,word", [("machines/bb4.ron", None), ("machines/binary-add.ron", "1011+11001"), ("machines/palindrome.ron", "abba")])
def test_generate_is_the_interpreters_trace(tmp_path, machine, word):
    d, facts, t = _export(tmp_path, machine, word)
    assert arsim.hf.certify(d)["certified"]
    model, tok = arsim.hf.load(d)
    ids = torch.tensor([[facts["bos_token_id"]] + t.ids.tolist()])
    # The tokenizer puts <bos> first and reads the dictionary's labels.
    assert tok(" ".join(t.tokens()), return_tensors="pt").input_ids.tolist() == ids.tolist()
    prompt = ids[:, : len(t.prompt) + 1]
    out = model.generate(prompt, do_sample=False, max_new_tokens=ids.shape[1] - prompt.shape[1])
    assert torch.equal(out, ids), f"first difference at {(out != ids).nonzero()[:1].tolist()}"


@needs_torch
@pytest.mark.parametrize("machine,word", corpus_runs())
def test_every_halting_corpus_run_teacher_forced(tmp_path, machine, word):
    m = arsim.load(machine)
    t = m.trace(input=word or None, max_steps=100_000)
    if t.info["end"] == "step-limit":
        pytest.skip(f"{machine} does not halt within 100,000 steps")
    if len(t) + 1 > FORWARD_MAX_TOKENS:
        pytest.skip(f"{machine} {word!r}: {len(t)} tokens, over {FORWARD_MAX_TOKENS} for one forward pass")
    d, facts, _ = _export(tmp_path, machine, word or None)
    model, _ = arsim.hf.load(d)
    ids = torch.tensor([[facts["bos_token_id"]] + t.ids.tolist()])
    with torch.no_grad():
        logits = model(ids).logits[0]
    start = len(t.prompt)
    got = logits[start:-1].argmax(-1).numpy()
    want = ids[0, start + 1 :].numpy()
    assert np.array_equal(got, want), f"{machine}: first difference at {np.nonzero(got != want)[0][:1]}"


@needs_torch
def test_a_trained_transformer_loads_in_transformers_with_arsims_logits(tmp_path, arsim_bin):
    import subprocess

    ck = tmp_path / "t.safetensors"
    subprocess.run(
        [arsim_bin, "task", "multiply", "--cot", "none", "--model", "transformer", "--d", "8",
         "--train", "64", "--batch", "32", "--eval", "5", "--checkpoint", str(ck)],
        check=True, capture_output=True,
    )
    facts = arsim.hf.export_checkpoint(ck, tmp_path / "hf")
    model = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "hf").eval()
    T = facts["context"]
    tokens = np.array([[(i * 7 + 3) % facts["vocab_size"] for i in range(T)]])
    want = arsim.checkpoint_logits(ck, tokens)
    with torch.no_grad():
        got = model(torch.tensor(tokens)).logits.numpy()
    assert np.abs(got - want).max() < 1e-4, np.abs(got - want).max()
