"""arsim.tasks.text: corpus, split, tokenizer, baselines and the Hugging Face tokenizer file."""

import json
import os
import random

import numpy as np
import pytest

import arsim
from arsim.tasks import text
from conftest import run_cli

WORDS = ["Once", "upon", "a", "time", "there", "was", "little", "cat", "named", "Tom", "dog",
         "big", "red", "ball", "he", "she", "liked", "to", "play", "park", "happy", "sun",
         "don't", "it's", "café", "naïve", "Ⅻ", "42", "3.14", "😀", "—", "Straße", "日本語"]
SPACES = [" ", " ", " ", " ", "  ", "\n", "\n\n", "\t", " \n ", "  \n  ", "\u00a0", "\u3000"]


def story(rng):
    out = []
    for _ in range(rng.randint(5, 40)):
        out.append(rng.choice(WORDS))
        out.append(rng.choice(SPACES))
        if rng.random() < 0.15:
            out.append(rng.choice([".", ",", "!", "?!", "\"", "(", ")", "...", "''"]))
    return "".join(out).strip() + "\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = random.Random(13)
    stories = [story(rng) for _ in range(300)]
    path = tmp_path_factory.mktemp("text") / "stories.txt"
    path.write_text("".join(s + "<|endoftext|>\n" for s in stories), encoding="utf-8")
    return path


def test_corpus_split_and_baselines(corpus):
    stories = text.read_corpus(corpus)
    assert len(stories) == 300
    tr, va = text.split(stories, seed=1, validation_fraction=0.2)
    assert sorted(tr + va) == list(range(300)) and 30 < len(va) < 100
    report, tok = text.baselines(corpus, vocab_size=400, seed=1, validation_fraction=0.2)
    assert [m["model"] for m in report["models"]] == ["unigram", "bigram", "trigram"]
    assert report["validation_stories"] == len(va)
    # The same table from the parts.
    train = [stories[i] for i in tr]
    val = [stories[i] for i in va]
    tok2 = text.Tokenizer.train(train, 400)
    assert tok2.to_json() == tok.to_json()
    tri = text.NgramModel.fit(3, tok2, train).evaluate(tok2, val)
    assert tri["bits_per_byte"] == pytest.approx(report["models"][2]["validation"]["bits_per_byte"], rel=1e-12)
    assert text.bits_per_byte(tri["total_nats"], tri["bytes"]) == pytest.approx(tri["bits_per_byte"], rel=1e-12)


def test_bad_corpus_names_file_and_line(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_text("a story\nmore <|endoftext|> here\n")
    with pytest.raises(arsim.BadInput, match=r"bad.txt line 2"):
        text.read_corpus(f)


def test_tokenizer_round_trips_and_saves(corpus, tmp_path):
    stories = text.read_corpus(corpus)
    tok = text.Tokenizer.train(stories, 500)
    for s in stories[:20]:
        assert tok.decode(tok.encode(s)) == s
    f = tmp_path / "tok.json"
    tok.save(f)
    assert text.Tokenizer.load(f).to_json() == tok.to_json()
    v = tok.vocab_size
    with pytest.raises(arsim.BadInput, match=f"token 0 is {v}; the vocabulary is 0..{v}"):
        tok.decode([v])


def test_hugging_face_file_encodes_to_the_same_ids(corpus, tmp_path):
    tokenizers = pytest.importorskip("tokenizers", reason="tokenizers is not installed")
    stories = text.read_corpus(corpus)
    tr, va = text.split(stories, seed=1, validation_fraction=0.2)
    tok = text.Tokenizer.train([stories[i] for i in tr], 600)
    f = tmp_path / "tokenizer.json"
    tok.save_hf(f)
    hf = tokenizers.Tokenizer.from_file(str(f))
    assert hf.get_vocab_size() == tok.vocab_size
    validation = [stories[i] for i in va]
    for s in validation:
        assert hf.encode(s).ids == tok.encode(s).tolist(), s
    # The whole validation text, stories joined by the special token, in one call.
    joined = "<|endoftext|>".join(validation)
    ids = hf.encode(joined).ids
    assert ids == tok.encode(joined).tolist()
    assert hf.decode(ids, skip_special_tokens=False) == joined
    for s in ["  \n  a", "x\n\na", "a  b", "end  ", " lead", "Ⅻ12ab", "\t\tq", "x \u00a0y"]:
        assert hf.encode(s).ids == tok.encode(s).tolist(), repr(s)


def test_command_line_writes_the_hugging_face_file(corpus, tmp_path, arsim_bin):
    tokenizers = pytest.importorskip("tokenizers", reason="tokenizers is not installed")
    out = tmp_path / "tokenizer.json"
    own = tmp_path / "arsim-tokenizer.json"
    run_cli(arsim_bin, "task", "text", "--corpus", str(corpus), "--baselines", "--vocab", "500",
            "--tokenizer", str(own), "--hf-tokenizer", str(out), "--json")
    hf = tokenizers.Tokenizer.from_file(str(out))
    tok = text.Tokenizer.load(own)
    s = text.read_corpus(corpus)[0]
    assert hf.encode(s).ids == tok.encode(s).tolist()


def test_training_run_writes_the_hugging_face_file_and_no_scratch(corpus, tmp_path, arsim_bin):
    tokenizers = pytest.importorskip("tokenizers", reason="tokenizers is not installed")
    out = tmp_path / "tokenizer.json"
    run_cli(arsim_bin, "task", "text", "--corpus", str(corpus), "--hf-tokenizer", str(out),
            "--epochs", "1", "--context", "8", "--d", "4", "--vocab", "400", "--json")
    assert sorted(os.listdir(tmp_path)) == ["tokenizer.json"]
    _, tok = text.baselines(corpus, vocab_size=400)
    hf = tokenizers.Tokenizer.from_file(str(out))
    for s in text.read_corpus(corpus)[:50]:
        assert hf.encode(s).ids == tok.encode(s).tolist()
