"""DistilBertForMaskedLM in plain PyTorch, following Hugging Face transformers'
src/transformers/models/distilbert/modeling_distilbert.py (eager attention
path) operation by operation, with the same module tree, so state_dict() keys
are transformers' exactly:

  distilbert.embeddings.word_embeddings.weight            [V, C]
  distilbert.embeddings.position_embeddings.weight        [maxPos, C]
  distilbert.embeddings.LayerNorm.{weight,bias}           [C]
  distilbert.transformer.layer.{i}.attention.{q_lin,k_lin,v_lin,out_lin}.weight [C, C], .bias [C]
  distilbert.transformer.layer.{i}.sa_layer_norm.{weight,bias}       [C]
  distilbert.transformer.layer.{i}.ffn.lin1.weight [H, C], .bias [H]
  distilbert.transformer.layer.{i}.ffn.lin2.weight [C, H], .bias [C]
  distilbert.transformer.layer.{i}.output_layer_norm.{weight,bias}   [C]
  vocab_transform.{weight [C, C], bias [C]}
  vocab_layer_norm.{weight,bias}                          [C]
  vocab_projector.weight [V, C] (tied to word_embeddings), vocab_projector.bias [V]

transformers itself cannot be installed here (no PyPI); this file is the
reference the Go model is tested against.
"""

import math

import torch
from torch import nn

LAYER_NORM_EPS = 1e-12  # hard-coded in transformers' DistilBERT


class Config:
    def __init__(self, vocab_size=30522, dim=768, n_layers=6, n_heads=12, hidden_dim=3072,
                 max_position_embeddings=512, dropout=0.1, attention_dropout=0.1, pad_token_id=0,
                 initializer_range=0.02, activation="gelu"):
        self.vocab_size = vocab_size
        self.dim = dim
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.hidden_dim = hidden_dim
        self.max_position_embeddings = max_position_embeddings
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.pad_token_id = pad_token_id
        self.initializer_range = initializer_range
        self.activation = activation

    def act(self, x):
        """transformers' get_activation(activation): "gelu" is GELUActivation
        = F.gelu (exact erf form), "relu" is nn.ReLU."""
        if self.activation == "gelu":
            return nn.functional.gelu(x)
        if self.activation == "relu":
            return nn.functional.relu(x)
        raise ValueError("activation %r" % self.activation)

    def to_hf_dict(self, transformers_version="4.46.3"):
        """config.json content as transformers' DistilBertConfig.save_pretrained
        writes it (to_diff_dict: every DistilBertConfig attribute plus the
        non-default PretrainedConfig ones we set)."""
        return {
            "activation": self.activation,
            "architectures": ["DistilBertForMaskedLM"],
            "attention_dropout": self.attention_dropout,
            "dim": self.dim,
            "dropout": self.dropout,
            "hidden_dim": self.hidden_dim,
            "initializer_range": self.initializer_range,
            "max_position_embeddings": self.max_position_embeddings,
            "model_type": "distilbert",
            "n_heads": self.n_heads,
            "n_layers": self.n_layers,
            "pad_token_id": self.pad_token_id,
            "qa_dropout": 0.1,
            "seq_classif_dropout": 0.2,
            "sinusoidal_pos_embds": False,
            "tie_weights_": True,
            "torch_dtype": "float32",
            "transformers_version": transformers_version,
            "vocab_size": self.vocab_size,
        }


class Embeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.dim, padding_idx=cfg.pad_token_id)
        self.position_embeddings = nn.Embedding(cfg.max_position_embeddings, cfg.dim)
        self.LayerNorm = nn.LayerNorm(cfg.dim, eps=LAYER_NORM_EPS)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, input_ids):
        T = input_ids.size(1)
        position_ids = torch.arange(T, dtype=torch.long, device=input_ids.device).unsqueeze(0)  # (1, T)
        x = self.word_embeddings(input_ids) + self.position_embeddings(position_ids)  # (B, T, C)
        x = self.LayerNorm(x)
        return self.dropout(x)


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_heads = cfg.n_heads
        self.dim = cfg.dim
        assert self.dim % self.n_heads == 0
        self.dropout = nn.Dropout(p=cfg.attention_dropout)
        self.q_lin = nn.Linear(cfg.dim, cfg.dim)
        self.k_lin = nn.Linear(cfg.dim, cfg.dim)
        self.v_lin = nn.Linear(cfg.dim, cfg.dim)
        self.out_lin = nn.Linear(cfg.dim, cfg.dim)

    def forward(self, x, mask):
        bs, q_length, dim = x.size()
        k_length = x.size(1)
        dim_per_head = self.dim // self.n_heads
        mask_reshp = (bs, 1, 1, k_length)

        def shape(t):  # (B, T, C) -> (B, NH, T, HS)
            return t.view(bs, -1, self.n_heads, dim_per_head).transpose(1, 2)

        def unshape(t):  # (B, NH, T, HS) -> (B, T, C)
            return t.transpose(1, 2).contiguous().view(bs, -1, self.n_heads * dim_per_head)

        q = shape(self.q_lin(x))
        k = shape(self.k_lin(x))
        v = shape(self.v_lin(x))
        q = q / math.sqrt(dim_per_head)
        scores = torch.matmul(q, k.transpose(2, 3))  # (B, NH, T, T)
        m = (mask == 0).view(mask_reshp).expand_as(scores)
        scores = scores.masked_fill(m, torch.tensor(torch.finfo(scores.dtype).min))
        weights = nn.functional.softmax(scores, dim=-1)
        weights = self.dropout(weights)
        context = torch.matmul(weights, v)  # (B, NH, T, HS)
        return self.out_lin(unshape(context))


class FFN(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.dropout = nn.Dropout(p=cfg.dropout)
        self.lin1 = nn.Linear(cfg.dim, cfg.hidden_dim)
        self.lin2 = nn.Linear(cfg.hidden_dim, cfg.dim)

    def forward(self, x):
        return self.dropout(self.lin2(self.cfg.act(self.lin1(x))))


class TransformerBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention = MultiHeadSelfAttention(cfg)
        self.sa_layer_norm = nn.LayerNorm(cfg.dim, eps=LAYER_NORM_EPS)
        self.ffn = FFN(cfg)
        self.output_layer_norm = nn.LayerNorm(cfg.dim, eps=LAYER_NORM_EPS)

    def forward(self, x, mask):
        sa = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn(sa) + sa)


class Transformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.ModuleList([TransformerBlock(cfg) for _ in range(cfg.n_layers)])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class DistilBertModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = Embeddings(cfg)
        self.transformer = Transformer(cfg)

    def forward(self, input_ids, attention_mask=None):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        return self.transformer(self.embeddings(input_ids), attention_mask)


class DistilBertForMaskedLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.distilbert = DistilBertModel(cfg)
        self.vocab_transform = nn.Linear(cfg.dim, cfg.dim)
        self.vocab_layer_norm = nn.LayerNorm(cfg.dim, eps=LAYER_NORM_EPS)
        self.vocab_projector = nn.Linear(cfg.dim, cfg.vocab_size)
        # transformers ties the output embedding to the input embedding.
        self.vocab_projector.weight = self.distilbert.embeddings.word_embeddings.weight
        self.mlm_loss_fct = nn.CrossEntropyLoss()  # ignore_index=-100, reduction mean

    def forward(self, input_ids, attention_mask=None, labels=None):
        h = self.distilbert(input_ids, attention_mask)  # (B, T, C)
        x = self.vocab_transform(h)
        x = self.cfg.act(x)
        x = self.vocab_layer_norm(x)
        logits = self.vocab_projector(x)  # (B, T, V)
        loss = None
        if labels is not None:
            loss = self.mlm_loss_fct(logits.view(-1, logits.size(-1)), labels.view(-1))
        return loss, logits


def decay_parameter_names(model):
    """Names that get weight decay under transformers' Trainer: all but biases
    and LayerNorm parameters (get_decay_parameter_names)."""
    out = []
    for mname, module in model.named_modules():
        for pname, _ in module.named_parameters(recurse=False):
            full = f"{mname}.{pname}" if mname else pname
            if isinstance(module, nn.LayerNorm) or "bias" in pname:
                continue
            out.append(full)
    # named_parameters deduplicates the tie; keep only those names.
    names = {n for n, _ in model.named_parameters()}
    return [n for n in out if n in names]


def linear_schedule(total_steps, warmup_steps=0):
    """transformers.get_linear_schedule_with_warmup's lr_lambda."""
    def lr_lambda(step):
        if step < warmup_steps:
            return float(step) / float(max(1, warmup_steps))
        return max(0.0, float(total_steps - step) / float(max(1, total_steps - warmup_steps)))
    return lr_lambda
