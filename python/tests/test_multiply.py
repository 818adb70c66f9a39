"""arsim.tasks.multiply: the vocabulary, chains, split, streamed batches and the scoring rules
are the library's (and the command line's)."""

import json

import numpy as np
import pytest

import arsim
from arsim.tasks import multiply
from conftest import run_cli


def test_vocabulary_formats_and_split_sizes():
    assert len(multiply.vocabulary()) == 117
    assert {c: multiply.length(c) for c in multiply.COTS} == {"paper": 307, "none": 19, "carry": 75}
    train, val, test = multiply.split_sizes()
    assert train + val + test == 8889**2  # operands 1111..=9999, as in the paper
    assert train == 59_260_740 and val + test == 19_753_581  # the paper's code's counts
    with pytest.raises(arsim.BadInput, match="possible values"):
        multiply.length("tm-nope")
    with pytest.raises(arsim.BadInput):
        multiply.chain(10_000, 1)


@pytest.mark.parametrize("cot", multiply.COTS)
def test_chains_hold_the_product_in_their_answer(cot):
    c = multiply.chain(4321, 8765, cot)
    assert len(c) == multiply.length(cot)
    digits = "".join(multiply.vocabulary()[i] for i in c[multiply.answer_slice(cot)])
    assert digits == f"{4321 * 8765:08d}"


def test_batches_are_a_pure_function_of_seed_and_step_over_training_pairs():
    p0, c0 = multiply.batch(7, batch_size=16, seed=5, cot="carry")
    p1, c1 = multiply.batch(7, batch_size=16, seed=5, cot="carry")
    np.testing.assert_array_equal(c0, c1)
    assert not np.array_equal(c0, multiply.batch(8, batch_size=16, seed=5, cot="carry")[1])
    assert not np.array_equal(c0, multiply.batch(7, batch_size=16, seed=6, cot="carry")[1])
    assert c0.shape == (16, 75) and c0.dtype == np.int64
    for (a, b), row in zip(p0, c0):
        assert multiply.split_of(int(a), int(b)) == "train"
        np.testing.assert_array_equal(row, multiply.chain(int(a), int(b), "carry"))
    # Ranks of a data-parallel run share each global batch between them.
    parts = [next(multiply.batches(16, 5, "carry", start=7, rank=r, world_size=4)) for r in range(4)]
    assert sorted(map(tuple, np.concatenate(parts))) == sorted(map(tuple, c0))


def test_validation_sample_is_fixed_and_disjoint_from_training():
    pairs, chains = multiply.validation(50, cot="none")
    again, _ = multiply.validation(50, cot="paper")
    np.testing.assert_array_equal(pairs, again)  # the same pairs for every format
    assert all(multiply.split_of(int(a), int(b)) == "validation" for a, b in pairs)
    assert len({tuple(p) for p in pairs}) == 50


def test_score_applies_the_greedy_decoding_rules():
    _, truth = multiply.validation(20, cot="carry")
    s = multiply.score(truth, cot="carry")
    assert (s["pairs"], s["exact"], s["chains_exact"], s["per_digit_accuracy"]) == (20, 20, 20, 1.0)
    wrong = truth.copy()
    ans = multiply.answer_slice("carry")
    # Row 0: one answer digit off; row 1: a step of the chain off, answer right.
    wrong[0, ans.start] = (wrong[0, ans.start] + 1 - 1) % 10 + 1 if wrong[0, ans.start] != 1 else 2
    wrong[1, 20] = truth[1, 21]
    s = multiply.score(wrong, cot="carry")
    assert s["exact"] == 19 and s["digits_correct"] == 20 * 8 - 1 and s["chains_exact"] <= 18
    assert s["wrong_examples"][0]["expected"] == "".join(multiply.vocabulary()[i] for i in truth[0, ans])
    bad = truth.copy()
    bad[3, 2] = (bad[3, 2] % 9) + 1
    with pytest.raises(arsim.BadInput, match="chain 3 does not start with the prompt"):
        multiply.score(bad, cot="carry")
    with pytest.raises(arsim.BadInput, match="expected 20 chains of 75 tokens"):
        multiply.score(truth[:, :-1], cot="carry")


def test_chain_matches_the_command_line(arsim_bin):
    out = run_cli(arsim_bin, "task", "multiply", "--cot", "carry", "--show", "1234", "5678", "--json").stdout
    shown = json.loads(out)
    text = json.dumps(shown)
    words = [multiply.vocabulary()[i] for i in multiply.chain(1234, 5678, "carry")]
    assert " ".join(words) in text or all(w in text for w in set(words))
