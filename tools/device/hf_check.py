"""hf_check.py: checks distilgo against the real Hugging Face transformers
(which cannot be installed on the development machines, but is on the lent
GPU machine's image). Run from the repository root there, with `.device`
carried (it holds a model directory written by our cmd/finetune and our
cmd/fillmask --json output for it; see tools/device/run.sh):

    python3 tools/device/hf_check.py

1. The plain-PyTorch reference (tools/golden/distilbert_ref.py) that all Go
   goldens come from equals transformers' DistilBertForMaskedLM: the tiny
   golden's logits, loss and every gradient, and the full-size golden's loss
   and logits, recomputed with transformers from the same weights.
2. A checkpoint written by transformers' layout (distilbert/testdata/tiny-hf)
   loads in transformers and gives the recorded logits.
3. A model directory written by our cmd/finetune loads with
   AutoModelForMaskedLM / AutoTokenizer, and pipeline("fill-mask") gives the
   same tokens, scores and sequences as our cmd/fillmask --json.
Prints one line per check and exits non-zero if any fails.
"""

import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import safetensors_io as sio  # noqa: E402
import detinit  # noqa: E402

from transformers import (AutoModelForMaskedLM, AutoTokenizer, DistilBertConfig,  # noqa: E402
                          DistilBertForMaskedLM, pipeline)
import transformers  # noqa: E402

torch.set_num_threads(8)
failures = []


def check(name, ok, detail):
    print(("PASS " if ok else "FAIL ") + name + ": " + detail, flush=True)
    if not ok:
        failures.append(name)


def rel_err(a, b):
    a, b = a.double(), b.double()
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-30))


def load(path):
    meta, t = sio.read(path)
    return meta, {k: sio.to_torch(v) for k, v in t.items()}


def hf_model(meta_cfg):
    cfg = DistilBertConfig(**meta_cfg)
    cfg._attn_implementation = "eager"
    return DistilBertForMaskedLM(cfg).eval()


print("transformers", transformers.__version__, "torch", torch.__version__, flush=True)
TD = "distilbert/testdata"

# 1a. tiny golden, recomputed by transformers.
meta, g = load(f"{TD}/tiny_mlm.safetensors")
cfg = json.loads(meta["config"]) if "config" in meta else None
if cfg is None:
    cfg = dict(vocab_size=100, dim=32, n_layers=2, n_heads=4, hidden_dim=64, max_position_embeddings=16,
               dropout=0.0, attention_dropout=0.0, pad_token_id=0)

m = hf_model(cfg)
sd = {k: v for k, v in g.items() if k.startswith("distilbert.") or k.startswith("vocab_")}
missing, unexpected = m.load_state_dict(sd, strict=False)
check("tiny: state dict keys", set(missing) <= {"vocab_projector.weight"} and not unexpected,
      f"missing {missing} unexpected {unexpected}")
out = m(input_ids=g["input_ids"], attention_mask=g["attention_mask"], labels=g["labels"])
check("tiny: logits (transformers vs golden)", rel_err(out.logits.detach(), g["logits"]) < 1e-5,
      f"max rel {rel_err(out.logits.detach(), g['logits']):.2e}")
check("tiny: loss", abs(out.loss.item() - g["loss"].item()) < 1e-5 * abs(g["loss"].item()),
      f"{out.loss.item():.7f} vs {g['loss'].item():.7f}")
out.loss.backward()
worst, worst_name = 0.0, ""
for name, p in m.named_parameters():
    if name.endswith("attention.k_lin.bias"):
        continue  # true gradient is zero: rounding noise on both sides
    e = rel_err(p.grad, g["grad." + name])
    if e > worst:
        worst, worst_name = e, name
check("tiny: every gradient", worst < 1e-5, f"max rel {worst:.2e} ({worst_name})")

# 1b. full-size golden, recomputed by transformers on the DetInit weights.
meta, g = load(f"{TD}/full_mlm.safetensors")
m = hf_model({})
detinit.init_model(m, detinit.BASE)
with torch.no_grad():
    out = m(input_ids=g["input_ids"], attention_mask=g["attention_mask"], labels=g["labels"])
pos = g["logits_positions"]
at = out.logits[pos[:, 0], pos[:, 1]]
check("full: loss (transformers vs golden)", abs(out.loss.item() - g["loss"].item()) < 1e-5 * abs(g["loss"].item()),
      f"{out.loss.item():.7f} vs {g['loss'].item():.7f}")
check("full: logits at 8 positions", rel_err(at, g["logits_at"]) < 5e-6, f"max rel {rel_err(at, g['logits_at']):.2e}")

# 2. checkpoint in transformers' layout.
m = AutoModelForMaskedLM.from_pretrained(f"{TD}/tiny-hf", attn_implementation="eager").eval()
meta, g = load(f"{TD}/tiny_hf_logits.safetensors")
with torch.no_grad():
    lg = m(input_ids=g["input_ids"], attention_mask=g["attention_mask"]).logits
check("tiny-hf: from_pretrained logits", rel_err(lg, g["logits"]) < 1e-5, f"max rel {rel_err(lg, g['logits']):.2e}")

# 3. our cmd/finetune output in transformers' pipeline, vs our cmd/fillmask.
d = ".device/small-run"
fm = pipeline("fill-mask", model=d, tokenizer=d, device=-1)
ours = [json.loads(line) for line in open(".device/fillmask.json")]
texts = ["This is a great [MASK].", "I [MASK] this movie, the acting was [MASK]."]
for text, mine in zip(texts, ours):
    theirs = fm(text, top_k=5)
    if theirs and isinstance(theirs[0], dict):
        theirs, mine = [theirs], [mine]
    ok, detail = True, []
    for tl, ml in zip(theirs, mine):
        for t, o in zip(tl, ml):
            same = t["token"] == o["token"] and t["sequence"] == o["sequence"] and t["token_str"] == o["token_str"]
            close = abs(t["score"] - o["score"]) <= 1e-5 * max(t["score"], 1e-6) + 1e-7
            if not (same and close):
                ok = False
                detail.append(f"HF {t} vs ours {o}")
    check(f"fill-mask pipeline on our checkpoint: {text!r}", ok,
          "tokens, token_str, sequence equal, scores within 1e-5 rel" if ok else "; ".join(detail[:3]))
    print("   HF top-1:", theirs[0][0]["sequence"], round(theirs[0][0]["score"], 6), flush=True)

print(f"{len(failures)} failed", flush=True)
sys.exit(1 if failures else 0)
