"""Compare arsim's byte-level BPE with Hugging Face `tokenizers` on the same training stories.

Trains a ByteLevel BPE of the same vocabulary size (1024: 256 bytes + <|endoftext|> + merges)
on the training split of arsim's story-level split (seed 0, 10% validation), then counts the
tokens each tokenizer needs for the validation stories (fewer tokens per byte = better
compression, the measure BPE optimises) and times the training.

    pip install tokenizers
    cargo run --release -- task text --corpus ../shared/data/tinystories-sample.txt \
        --baselines --json > /tmp/baselines.json
    python3 examples/compare_tokenizers.py ../shared/data/tinystories-sample.txt /tmp/baselines.json
"""
import json
import sys
import time

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

SEP = "<|endoftext|>"


def stories(path):
    """The stories of a corpus, as arsim's `parse_corpus` reads them."""
    out, cur = [], []
    for line in open(path, encoding="utf-8").read().splitlines(keepends=True):
        bare = line.rstrip("\n").rstrip("\r")
        if bare == SEP:
            s = "".join(cur)
            if s.strip():
                out.append(s)
            cur = []
        else:
            cur.append(line)
    s = "".join(cur)
    if s.strip():
        out.append(s)
    return out


def is_validation(story, seed=0, fraction=0.1):
    """arsim's `split::is_validation`: FNV-1a of the seed's bytes and the story's."""
    h = 0xCBF29CE484222325
    for b in seed.to_bytes(8, "little") + story.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) % (1 << 64)
    return h % 10000 < round(fraction * 10000)


def main():
    corpus, baselines = sys.argv[1], sys.argv[2]
    all_stories = stories(corpus)
    train = [s for s in all_stories if not is_validation(s)]
    valid = [s for s in all_stories if is_validation(s)]
    ours = json.load(open(baselines))["baselines"]
    assert ours["train_stories"] == len(train), (ours["train_stories"], len(train))
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1024,
        special_tokens=[SEP],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    t0 = time.time()
    tok.train_from_iterator(train, trainer)
    seconds = time.time() - t0
    hf_tokens = sum(len(tok.encode(s).ids) for s in valid)
    val_bytes = sum(len(s.encode("utf-8")) for s in valid)
    # arsim's validation tokens include one end token per story.
    arsim_tokens = ours["models"][0]["validation"]["predicted_tokens"] - len(valid)
    print(json.dumps({
        "validation_stories": len(valid),
        "validation_bytes": val_bytes,
        "hf_tokenizers": {"vocab": tok.get_vocab_size(), "tokens": hf_tokens,
                          "bytes_per_token": val_bytes / hf_tokens, "train_seconds": seconds},
        "arsim_bpe": {"vocab": ours["vocab_size"], "tokens": arsim_tokens,
                      "bytes_per_token": val_bytes / arsim_tokens,
                      "train_seconds": ours["tokenizer_seconds"]},
    }, indent=2))


if __name__ == "__main__":
    main()
