"""Goldens for package distilbert (and the trainer), from the plain-PyTorch
reference in distilbert_ref.py. Writes into distilbert/testdata/:

  tiny_mlm.safetensors     (a) tiny model: inputs, every parameter, full
                           logits, loss, gradient of every parameter; plus the
                           loss with all labels ignored.
  tiny_mlm_relu.safetensors (a') the same model, inputs and weights with
                           activation "relu": logits, loss, every gradient.
  full_mlm.safetensors     (b) distilbert-base-uncased size with DetInit BASE
                           weights (not stored): logits at 8 positions, loss,
                           per-parameter gradient L2 norms and first elements.
  tiny_train.safetensors   (c) 10 AdamW steps of the tiny model on fixed
                           batches: per-step loss, lr, grad norm; final params.
  tiny-hf/                 (d) a checkpoint directory as transformers'
                           save_pretrained writes it (config.json,
                           model.safetensors without vocab_projector.weight,
                           vocab.txt, tokenizer_config.json,
                           special_tokens_map.json), random weights;
  tiny_hf_logits.safetensors   its logits for fixed inputs.

How: torch 1.13 (Debian python3-torch), float32, 2 threads, dropout off
(model.eval(): dropout is identity, as with p=0), deterministic inputs from
torch.Generator seeds given below. Every golden's __metadata__ records the
config and, where computed, how far float32 torch is from the same
computation in float64 (a floor for any float32 implementation's error).
"""

import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detinit  # noqa: E402
import distilbert_ref as ref  # noqa: E402
import safetensors_io as st  # noqa: E402

TINY = dict(vocab_size=100, dim=32, n_layers=2, n_heads=4, hidden_dim=64, max_position_embeddings=16,
            dropout=0.0, attention_dropout=0.0, pad_token_id=0)


def tiny_config():
    return ref.Config(**TINY)


def build(cfg, scheme, dtype=torch.float32):
    m = ref.DistilBertForMaskedLM(cfg)
    detinit.init_model(m, scheme)
    m.eval()
    return m.to(dtype)


def params_of(model):
    return [(n, p) for n, p in model.named_parameters()]


def max_rel(a, b):
    """max |a-b| / max(|b|) over the tensor (b the float64 value)."""
    a, b = a.double(), b.double()
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-30))


def grad_deviation(g32, g64):
    """(max over parameters of max|g32-g64| / max|g64|, {name: max|g32|} for
    the parameters whose exact gradient is zero). attention.k_lin.bias has a
    mathematically zero gradient (it adds the same q.b to every score of a
    query, which softmax cancels): float32 leaves rounding noise there, so
    those are reported apart and must be compared with an absolute bound."""
    top = max(float(g.abs().max()) for g in g64.values())
    dev, zero = 0.0, {}
    for n, b in g64.items():
        a = g32[n].double()
        if float(b.abs().max()) < 1e-12 * top:
            zero[n] = "%.3g" % float(a.abs().max())
            continue
        dev = max(dev, float((a - b).abs().max()) / float(b.abs().max()))
    return dev, zero


def tiny_inputs():
    g = torch.Generator().manual_seed(0)
    B, T = 3, 8
    ids = torch.randint(5, TINY["vocab_size"], (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.long)
    mask[1, 5:] = 0  # row 1 partially padded, row 2 mostly padded, row 0 full
    mask[2, 2:] = 0
    ids[mask == 0] = TINY["pad_token_id"]
    labels = torch.full((B, T), -100, dtype=torch.long)
    # Labelled positions; (1, 6) is a padded position: the loss counts it
    # like any other (only the attention mask hides padded keys).
    for b, t in [(0, 1), (0, 6), (1, 0), (1, 3), (1, 6), (2, 1)]:
        labels[b, t] = int(torch.randint(0, TINY["vocab_size"], (1,), generator=g))
    return ids, mask, labels


def gen_tiny(outdir):
    cfg = tiny_config()
    ids, mask, labels = tiny_inputs()
    m32 = build(cfg, detinit.TINY)
    loss, logits = m32(ids, mask, labels)
    loss.backward()
    m64 = build(cfg, detinit.TINY, torch.float64)
    loss64, logits64 = m64(ids, mask, labels)
    loss64.backward()
    grads64 = dict((n, p.grad) for n, p in params_of(m64))

    # All labels ignored: torch's mean over zero elements.
    m_ign = build(cfg, detinit.TINY)
    loss_ign, _ = m_ign(ids, mask, torch.full_like(labels, -100))
    loss_ign.backward()
    ign_grads = [p.grad for _, p in params_of(m_ign)]
    ign_grad_desc = "nan" if any(torch.isnan(g).any() for g in ign_grads) else (
        "zero" if all((g == 0).all() for g in ign_grads) else "other")

    tensors = [st.from_torch("input_ids", ids), st.from_torch("attention_mask", mask),
               st.from_torch("labels", labels), st.from_torch("logits", logits),
               st.from_torch("loss", loss.detach()), st.from_torch("loss_all_ignored", loss_ign.detach())]
    for n, p in params_of(m32):
        tensors.append(st.from_torch(n, p))
        tensors.append(st.from_torch("grad." + n, p.grad))
    grad_dev, zero = grad_deviation(dict((n, p.grad) for n, p in params_of(m32)), grads64)
    meta = {
        "config": json.dumps(TINY, sort_keys=True),
        "init": "DetInit TINY " + json.dumps(detinit.TINY, sort_keys=True),
        "produced_by": "tools/golden/gen_distilbert.py gen_tiny: model.eval(), float32, CrossEntropyLoss(ignore_index=-100, mean)",
        "loss_all_ignored": f"torch gives {float(loss_ign)} (mean over 0 labels) and {ign_grad_desc} gradients; distilgo's convention is loss 0 with zero gradients",
        "f32_vs_f64_logits_max_rel": "%.3g" % max_rel(logits, logits64),
        "f32_vs_f64_loss_rel": "%.3g" % abs(float(loss) / float(loss64) - 1),
        "f32_vs_f64_grad_max_rel": "%.3g" % grad_dev,
        "zero_true_grad_max_abs_f32": json.dumps(zero, sort_keys=True),
    }
    path = os.path.join(outdir, "tiny_mlm.safetensors")
    st.write(path, tensors, meta)
    print("wrote", path, "loss", float(loss), meta["loss_all_ignored"])
    print("  float32 vs float64:", {k: v for k, v in meta.items() if k.startswith("f32")})


def gen_tiny_relu(outdir):
    """(a) with activation "relu" (FFN and MLM head): the weights are (a)'s
    DetInit TINY ones (read by the Go test from tiny_mlm.safetensors), so
    only the outputs are stored."""
    cfg = ref.Config(activation="relu", **TINY)
    ids, mask, labels = tiny_inputs()
    m32 = build(cfg, detinit.TINY)
    loss, logits = m32(ids, mask, labels)
    loss.backward()
    m64 = build(cfg, detinit.TINY, torch.float64)
    loss64, logits64 = m64(ids, mask, labels)
    loss64.backward()
    grads64 = dict((n, p.grad) for n, p in params_of(m64))
    tensors = [st.from_torch("logits", logits), st.from_torch("loss", loss.detach())]
    for n, p in params_of(m32):
        tensors.append(st.from_torch("grad." + n, p.grad))
    grad_dev, zero = grad_deviation(dict((n, p.grad) for n, p in params_of(m32)), grads64)
    meta = {
        "config": json.dumps(dict(TINY, activation="relu"), sort_keys=True),
        "init": "DetInit TINY " + json.dumps(detinit.TINY, sort_keys=True) + " (the parameters of tiny_mlm.safetensors)",
        "inputs": "input_ids, attention_mask, labels of tiny_mlm.safetensors",
        "produced_by": "tools/golden/gen_distilbert.py gen_tiny_relu: model.eval(), float32, CrossEntropyLoss(ignore_index=-100, mean)",
        "f32_vs_f64_logits_max_rel": "%.3g" % max_rel(logits, logits64),
        "f32_vs_f64_loss_rel": "%.3g" % abs(float(loss) / float(loss64) - 1),
        "f32_vs_f64_grad_max_rel": "%.3g" % grad_dev,
        "zero_true_grad_max_abs_f32": json.dumps(zero, sort_keys=True),
    }
    path = os.path.join(outdir, "tiny_mlm_relu.safetensors")
    st.write(path, tensors, meta)
    print("wrote", path, "loss", float(loss))
    print("  float32 vs float64:", {k: v for k, v in meta.items() if k.startswith("f32")})


def full_inputs(cfg):
    g = torch.Generator().manual_seed(1)
    B, T = 2, 128
    ids = torch.randint(1000, cfg.vocab_size, (B, T), generator=g)
    ids[:, 0] = 101  # [CLS]
    mask = torch.ones(B, T, dtype=torch.long)
    mask[1, 100:] = 0  # row 1: 100 real tokens, 28 padding
    ids[1, 99] = 102  # [SEP]
    ids[0, 127] = 102
    ids[mask == 0] = 0
    labels = torch.full((B, T), -100, dtype=torch.long)
    for b, n_valid in [(0, 128), (1, 100)]:
        k = round(0.15 * n_valid)
        pos = torch.randperm(n_valid - 2, generator=g)[:k] + 1  # not [CLS]/[SEP]
        labels[b, pos] = ids[b, pos]
        ids[b, pos] = 103  # [MASK]
    return ids, mask, labels


def gen_full(outdir):
    torch.manual_seed(0)
    cfg = ref.Config()  # distilbert-base-uncased
    ids, mask, labels = full_inputs(cfg)
    lab = [(b, t) for b in range(2) for t in range(128) if labels[b, t] != -100]
    positions = [(0, 0), lab[0], lab[1], (0, 127), (1, 0), lab[-1], (1, 99), (1, 110)]
    pos_t = torch.tensor(positions, dtype=torch.long)

    results = {}
    for dtype in (torch.float32, torch.float64):
        m = build(cfg, detinit.BASE, dtype)
        loss, logits = m(ids, mask, labels)
        loss.backward()
        results[dtype] = (m, loss.detach(), logits.detach())
        if dtype == torch.float32:
            print("  full float32 loss", float(loss))
    m32, loss32, logits32 = results[torch.float32]
    m64, loss64, logits64 = results[torch.float64]
    at32 = logits32[pos_t[:, 0], pos_t[:, 1]]
    at64 = logits64[pos_t[:, 0], pos_t[:, 1]]
    tensors = [st.from_torch("input_ids", ids), st.from_torch("attention_mask", mask),
               st.from_torch("labels", labels), st.from_torch("logits_positions", pos_t),
               st.from_torch("logits_at", at32), st.from_torch("loss", loss32)]
    g64 = dict((n, p.grad) for n, p in params_of(m64))
    g32 = dict((n, p.grad) for n, p in params_of(m32))
    _, zero = grad_deviation(g32, g64)
    norm_dev, head_dev = 0.0, 0.0
    for n, p in params_of(m32):
        gn = p.grad.double().norm()  # L2 norm of the float32 gradient, accumulated in float64
        tensors.append(st.from_torch("gradnorm." + n, gn.float()))
        tensors.append(st.from_torch("gradhead." + n, p.grad.reshape(-1)[:16]))
        if n not in zero:
            norm_dev = max(norm_dev, abs(float(gn) / float(g64[n].norm()) - 1))
            head_dev = max(head_dev, float((p.grad.reshape(-1)[:16].double() - g64[n].reshape(-1)[:16]).abs().max()
                                           / g64[n].abs().max()))
    meta = {
        "config": json.dumps(vars(cfg), sort_keys=True),
        "init": "DetInit BASE " + json.dumps(detinit.BASE, sort_keys=True),
        "produced_by": "tools/golden/gen_distilbert.py gen_full: model.eval(), float32; gradnorm = float64 L2 norm of the float32 gradient; gradhead = its first 16 elements (row-major)",
        "f32_vs_f64_logits_at_max_rel": "%.3g" % max_rel(at32, at64),
        "f32_vs_f64_loss_rel": "%.3g" % abs(float(loss32) / float(loss64) - 1),
        "f32_vs_f64_gradnorm_max_rel": "%.3g" % norm_dev,
        "f32_vs_f64_gradhead_max_rel_to_tensor_max": "%.3g" % head_dev,
        "zero_true_grad_max_abs_f32": json.dumps(zero, sort_keys=True),
    }
    path = os.path.join(outdir, "full_mlm.safetensors")
    st.write(path, tensors, meta)
    print("wrote", path, "loss", float(loss32))
    print("  float32 vs float64:", {k: v for k, v in meta.items() if k.startswith("f32")})


TRAIN = dict(steps=10, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, max_grad_norm=1.0, warmup_steps=0)


def train_batches():
    g = torch.Generator().manual_seed(2)
    S, B, T = TRAIN["steps"], 3, 8
    V = TINY["vocab_size"]
    ids = torch.randint(5, V, (S, B, T), generator=g)
    mask = torch.ones(S, B, T, dtype=torch.long)
    for s in range(S):
        for b in range(B):
            n = int(torch.randint(2, T + 1, (1,), generator=g))
            mask[s, b, n:] = 0
    ids[mask == 0] = 0
    labels = torch.full((S, B, T), -100, dtype=torch.long)
    sel = (torch.rand(S, B, T, generator=g) < 0.25) & (mask == 1)
    sel[:, 0, 1] = True  # every batch has a label
    labels[sel] = ids[sel]
    ids[sel] = 4  # [MASK] of the tiny vocabulary
    return ids, mask, labels


def train_run(dtype):
    """The 10 training steps in `dtype`; returns (model, decay names, init
    tensors, losses, lrs, grad norms)."""
    cfg = tiny_config()
    model = build(cfg, detinit.TINY, dtype)
    ids, mask, labels = train_batches()
    decay = set(ref.decay_parameter_names(model))
    named = params_of(model)
    groups = [
        {"params": [p for n, p in named if n in decay], "weight_decay": TRAIN["weight_decay"]},
        {"params": [p for n, p in named if n not in decay], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=TRAIN["lr"], betas=TRAIN["betas"], eps=TRAIN["eps"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, ref.linear_schedule(TRAIN["steps"], TRAIN["warmup_steps"]))
    init = [st.from_torch("init." + n, p) for n, p in named]
    losses, lrs, norms = [], [], []
    for s in range(TRAIN["steps"]):
        loss, _ = model(ids[s], mask[s], labels[s])
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), TRAIN["max_grad_norm"])
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(float(loss))
        norms.append(float(norm))
    return model, decay, init, losses, lrs, norms


def gen_train(outdir):
    model, decay, init, losses, lrs, norms = train_run(torch.float32)
    m64, _, _, losses64, _, _ = train_run(torch.float64)
    p64 = dict(params_of(m64))
    named = params_of(model)
    ids, mask, labels = train_batches()
    # How far float32 torch ends from float64 torch (a floor for any float32
    # implementation), k_lin.bias apart (see k_lin_bias_note).
    param_dev = max(float((p.double() - p64[n]).abs().max()) for n, p in named if "k_lin.bias" not in n)
    kbias_dev = max(float((p.double() - p64[n]).abs().max()) for n, p in named if "k_lin.bias" in n)
    loss_dev = max(abs(a / b - 1) for a, b in zip(losses, losses64))
    tensors = init + [st.from_torch("final." + n, p) for n, p in named] + [
        st.from_torch("input_ids", ids), st.from_torch("attention_mask", mask), st.from_torch("labels", labels),
        st.from_torch("losses", torch.tensor(losses, dtype=torch.float32)),
        st.from_torch("lrs", torch.tensor(lrs, dtype=torch.float64)),
        st.from_torch("grad_norms", torch.tensor(norms, dtype=torch.float32)),
    ]
    meta = {
        "config": json.dumps(TINY, sort_keys=True),
        "init": "DetInit TINY " + json.dumps(detinit.TINY, sort_keys=True),
        "train": json.dumps(TRAIN, sort_keys=True),
        "decay_params": json.dumps(sorted(decay)),
        "k_lin_bias_note": ("attention.k_lin.bias has an exactly zero true gradient; AdamW turns its float32 rounding "
                            "noise (comparable to eps) into steps of up to lr, so final.*k_lin.bias are noise: "
                            "compare them only within the sum of the lrs"),
        "f32_vs_f64_final_params_max_abs": "%.3g" % param_dev,
        "f32_vs_f64_final_k_lin_bias_max_abs": "%.3g" % kbias_dev,
        "f32_vs_f64_losses_max_rel": "%.3g" % loss_dev,
        "produced_by": ("tools/golden/gen_distilbert.py gen_train: per step: loss (mean over labels) -> backward -> "
                        "clip_grad_norm_(all params, 1.0) (grad_norms = its return value, before clipping) -> "
                        "AdamW.step (torch 1.13, foreach off) -> LambdaLR.step (linear decay to 0 over 10 steps) -> zero_grad; "
                        "lrs[k] = lr used by step k; model.eval() (dropout off)"),
    }
    path = os.path.join(outdir, "tiny_train.safetensors")
    st.write(path, tensors, meta)
    print("wrote", path, "losses", ["%.4f" % x for x in losses], "norms", ["%.3f" % x for x in norms])
    print("  float32 vs float64:", {k: v for k, v in meta.items() if k.startswith("f32")})


TINY_VOCAB = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!", "?", "'"]
              + [chr(c) for c in range(ord("a"), ord("z") + 1)]
              + ["##" + chr(c) for c in range(ord("a"), ord("z") + 1)]
              + ["the", "movie", "film", "great", "bad", "this", "is", "was", "and", "of", "to", "it", "good",
                 "story", "acting", "plot", "love", "hate", "best", "worst", "really", "very", "not", "with",
                 "one", "all", "so", "but", "just", "time", "like", "an", "ever", "seen", "boring", "funny",
                 "fun", "watch"])
assert len(TINY_VOCAB) == 100 and len(set(TINY_VOCAB)) == 100


def gen_hf_dir(outdir):
    """A checkpoint as transformers' save_pretrained(safe_serialization=True)
    writes it, with random (not DetInit) weights."""
    cfg = tiny_config()
    cfg.dropout, cfg.attention_dropout = 0.1, 0.1  # a realistic config.json
    torch.manual_seed(1234)
    model = ref.DistilBertForMaskedLM(cfg)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.endswith("LayerNorm.weight") or n.endswith("layer_norm.weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif n.endswith(".bias"):
                p.copy_(0.05 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))
        model.distilbert.embeddings.word_embeddings.weight[cfg.pad_token_id].zero_()
    model.eval()
    d = os.path.join(outdir, "tiny-hf")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write(json.dumps(cfg.to_hf_dict(), indent=2, sort_keys=True) + "\n")  # as PretrainedConfig.to_json_file
    # state_dict holds both tied names; transformers drops vocab_projector.weight.
    sd = {k: v for k, v in model.state_dict().items() if k != "vocab_projector.weight"}
    st.write(os.path.join(d, "model.safetensors"), [st.from_torch(k, v) for k, v in sd.items()], {"format": "pt"})
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("".join(t + "\n" for t in TINY_VOCAB))
    special = {"cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]", "unk_token": "[UNK]"}
    tok_cfg = dict(special, clean_up_tokenization_spaces=True, do_lower_case=True, model_max_length=16,
                   strip_accents=None, tokenize_chinese_chars=True, tokenizer_class="DistilBertTokenizer")
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        f.write(json.dumps(tok_cfg, indent=2, sort_keys=True) + "\n")
    with open(os.path.join(d, "special_tokens_map.json"), "w") as f:
        f.write(json.dumps(special, indent=2, sort_keys=True) + "\n")

    texts = ["this movie is great !", "the [MASK] was boring ."]
    tok = {t: i for i, t in enumerate(TINY_VOCAB)}
    rows = [[tok["[CLS]"]] + [tok[w] for w in s.split()] + [tok["[SEP]"]] for s in texts]
    T = max(len(r) for r in rows)
    ids = torch.tensor([r + [0] * (T - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (T - len(r)) for r in rows])
    _, logits = model(ids, mask)
    path = os.path.join(outdir, "tiny_hf_logits.safetensors")
    st.write(path, [st.from_torch("input_ids", ids), st.from_torch("attention_mask", mask),
                    st.from_torch("logits", logits)],
             {"texts": json.dumps(texts), "produced_by": "tools/golden/gen_distilbert.py gen_hf_dir: the tiny-hf checkpoint in eval mode, float32"})
    print("wrote", d, "and", path)


def gen_detinit(outdir):
    """Samples of DetInit BASE for every parameter of the full-size model
    (first, second and last elements and 5 spread between), for the Go
    generator's test."""
    cfg = ref.Config()
    shapes = [(n, p.numel()) for n, p in ref.DistilBertForMaskedLM(cfg).named_parameters()]
    tensors = []
    for n, numel in shapes:
        idx = sorted(set([0, 1, numel - 1] + [numel * k // 7 + k for k in range(1, 6)]))
        idx = [i for i in idx if i < numel]
        vals = detinit.values(n, numel, detinit.BASE)[idx]
        tensors.append(st.from_torch("index." + n, torch.tensor(idx, dtype=torch.long)))
        tensors.append(st.from_torch("value." + n, torch.from_numpy(vals)))
    path = os.path.join(outdir, "detinit_base.safetensors")
    st.write(path, tensors, {"produced_by": "tools/golden/gen_distilbert.py gen_detinit: detinit.values(name, numel, BASE)[index]",
                             "init": json.dumps(detinit.BASE, sort_keys=True)})
    print("wrote", path)


def selfcheck():
    """Check the reference's gradients against finite differences in float64
    (torch.autograd.gradcheck) on a very small config with padding and
    ignored labels, through every parameter."""
    cfg = ref.Config(vocab_size=11, dim=8, n_layers=2, n_heads=2, hidden_dim=12, max_position_embeddings=6,
                     dropout=0.0, attention_dropout=0.0)
    m = build(cfg, detinit.TINY, torch.float64)
    names = [n for n, _ in params_of(m)]
    ids = torch.tensor([[2, 5, 7, 3, 9, 1], [4, 8, 6, 0, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    # No label on padded positions here: the padding row of the word
    # embeddings (nn.Embedding padding_idx, as in transformers) gets no
    # gradient from the lookup, which finite differences cannot reproduce
    # when a padded position's output counts in the loss. (The goldens do
    # label a padded position, to pin that torch behaviour.)
    labels = torch.tensor([[-100, 3, -100, -100, 10, -100], [1, -100, 4, -100, -100, -100]])
    from torch.nn.utils import stateless

    def f(*ps):
        sd = dict(zip(names, ps))
        sd["vocab_projector.weight"] = sd["distilbert.embeddings.word_embeddings.weight"]
        return stateless.functional_call(m, sd, (ids, mask, labels))[0]

    ps = tuple(p.detach().clone().requires_grad_(True) for _, p in params_of(m))
    assert torch.autograd.gradcheck(f, ps, eps=1e-6, atol=1e-7, rtol=1e-5)
    # The loss is the mean cross entropy over labelled positions.
    loss, logits = m(ids, mask, labels)
    lp = torch.log_softmax(logits, -1)
    sel = labels != -100
    manual = -lp[sel].gather(1, labels[sel].unsqueeze(1)).mean()
    assert torch.allclose(loss, manual, rtol=1e-12), (loss, manual)
    # Padded keys get exactly zero attention: changing padded input ids
    # leaves the unpadded positions' logits unchanged.
    ids2 = ids.clone()
    ids2[1, 3:] = 7
    _, logits2 = m(ids2, mask)
    assert torch.equal(logits[1, :3], logits2[1, :3])
    print("selfcheck: gradcheck over all %d parameters (float64) passed; loss and padding checks passed" % len(names))


def main(outdir):
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    selfcheck()
    gen_detinit(outdir)
    gen_tiny(outdir)
    gen_tiny_relu(outdir)
    gen_train(outdir)
    gen_hf_dir(outdir)
    gen_full(outdir)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "distilbert", "testdata"))
