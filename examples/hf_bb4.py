"""BB(4) as a Hugging Face transformer: export, certify, load, generate, and look at the heads.

    pip install ./python torch transformers matplotlib   # transformer_lens for --transformer-lens
    python examples/hf_bb4.py --out bb4-hf --plot bb4-attention.png [--transformer-lens]

1. `arsim.hf.export` writes the compiled `cells` predictor of machines/bb4.ron as a standard
   GPT2LMHeadModel directory (proofs/transformer.md); `arsim.hf.certify` checks its predictor on
   every local context, the model against the construction, and the float bound.
2. `AutoModelForCausalLM.from_pretrained` loads it with no custom code; greedy `generate()` from
   the first row's prompt returns the interpreter's whole trace, token for token.
3. The three heads' attention patterns, drawn for the first rows: each head puts its weight on
   one diagonal, S−1, S and S+1 positions back (offsets S, S+1, S+2 of the predictor: the query
   at position m predicts position m + 1).
4. With --transformer-lens, the same directory through TransformerLens's Hugging Face route
   (`TransformerBridge.boot_transformers`), and `run_with_cache`'s patterns.
"""

import argparse
import sys

import arsim
import arsim.hf


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machine", default="machines/bb4.ron")
    ap.add_argument("--out", default="bb4-hf", help="the model directory to write")
    ap.add_argument("--plot", help="draw the heads' attention patterns to this PNG")
    ap.add_argument("--rows", type=int, default=4, help="rows of the trace to draw")
    ap.add_argument("--transformer-lens", action="store_true")
    args = ap.parse_args()

    import torch

    m = arsim.load(args.machine)
    p = arsim.compile(m)
    facts = arsim.hf.export(p, args.out)
    cert = arsim.hf.certify(args.out, check=True)
    print(f"wrote {args.out}: {facts['heads']} heads, n_embd {facts['n_embd']}, context {facts['context']}")
    print(f"certified: float32 {cert['certified']}, bfloat16 {cert['certified_bf16']}")

    model, tok = arsim.hf.load(args.out)
    t = m.trace()
    ids = tok(" ".join(t.tokens()), return_tensors="pt").input_ids
    prompt = ids[:, : len(t.prompt) + 1]  # <bos> and the first row
    out = model.generate(prompt, do_sample=False, max_new_tokens=ids.shape[1] - prompt.shape[1])
    same = torch.equal(out, ids)
    print(f"generate(): {out.shape[1] - prompt.shape[1]} tokens, equal to the interpreter's trace: {same}")

    S = t.info["tape_cells"]
    n = min(ids.shape[1], args.rows * (S + 1) + 1)
    eager, _ = arsim.hf.load(args.out)
    eager.config._attn_implementation = "eager"
    with torch.no_grad():
        pattern = eager(ids[:, :n], output_attentions=True).attentions[0][0]  # [head, query, key]
    for h in range(pattern.shape[0]):
        q = torch.arange(S + 2, n)
        back = sorted(set((q - pattern[h, q].argmax(-1)).tolist()))
        print(f"head {h}: attends {back} positions back, weight {pattern[h, q].max(-1).values.min():.6f} or more")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, pattern.shape[0], figsize=(4 * pattern.shape[0], 4))
        for h, ax in enumerate(axes):
            ax.imshow(pattern[h].numpy(), cmap="viridis", vmin=0, vmax=1)
            ax.set_title(f"head {h}: offset {p.offset_names[h]}")
            ax.set_xlabel("key position")
            ax.set_ylabel("query position")
        fig.suptitle(f"{args.machine}: attention of the exported GPT-2, first {args.rows} rows (S = {S})")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"drew {args.plot}")
    if args.transformer_lens:
        from transformer_lens.model_bridge import TransformerBridge

        bridge = TransformerBridge.boot_transformers(args.out, device="cpu")
        logits, cache = bridge.run_with_cache(ids[:, :n])
        diff = (logits - eager(ids[:, :n]).logits).abs().max().item()
        pat = cache["blocks.0.attn.hook_pattern"][0]
        q = torch.arange(S + 2, n)
        backs = [sorted(set((q - pat[h, q].argmax(-1)).tolist())) for h in range(pat.shape[0])]
        print(f"TransformerLens: logits within {diff:.1e} of transformers; heads attend back {backs}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
