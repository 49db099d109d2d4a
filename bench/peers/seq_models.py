"""The sequence models of bench/compare.sh's `sequence` group and of seq_same_start.py, in PyTorch.

GPT is nanoGPT's model (model.py) as Autodiff.Examples/Gpt/Gpt.cs writes it, with the same parameter names (state dict
keys): wte, wpe, h.N.ln_1, h.N.attn.c_attn, h.N.attn.c_proj, h.N.ln_2, h.N.mlp.c_fc, h.N.mlp.c_proj, ln_f (the example
has no `transformer.` prefix, and the head shares wte's weight, so there is no lm_head key). The attention is written
out (q·kᵀ/√D, causal mask, softmax, dropout, ·v): PyTorch 1.13 has no F.scaled_dot_product_attention. GELU is the exact
(erf) one, LayerNorm eps 1e-5, as nn.GELU/nn.LayerNorm and the example.

generate_recompute is nanoGPT's generate (rerun the model on the last `context` tokens for every new token);
generate_cached keeps each layer's keys and values, and when the context is full restarts the cache from the last half
context of tokens, as the example's CachedDecoder does.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class CausalSelfAttention(nn.Module):
    def __init__(self, channels, heads, context, dropout):
        super().__init__()
        self.c_attn = nn.Linear(channels, 3 * channels)
        self.c_proj = nn.Linear(channels, channels)
        self.attn_dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)
        self.heads = heads
        self.register_buffer("mask", torch.tril(torch.ones(context, context, dtype=torch.bool)), persistent=False)

    def forward(self, x, cache=None):
        b, t, c = x.shape
        d = c // self.heads
        q, k, v = (z.view(b, t, self.heads, d).transpose(1, 2) for z in self.c_attn(x).split(c, dim=2))   # [B, H, T, D]
        past = 0
        if cache is not None:
            if cache:
                past = cache[0].shape[2]
                k, v = torch.cat((cache[0], k), 2), torch.cat((cache[1], v), 2)
            cache[:] = [k, v]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d))                                           # [B, H, T, past + T]
        if t > 1:                                                  # query i (position past + i) sees keys 0..past + i
            att = att.masked_fill(~self.mask[past:past + t, :past + t], float("-inf"))
        att = self.attn_dropout(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        return self.resid_dropout(self.c_proj(y))


class Mlp(nn.Module):
    def __init__(self, channels, dropout):
        super().__init__()
        self.c_fc = nn.Linear(channels, 4 * channels)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * channels, channels)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, channels, heads, context, dropout):
        super().__init__()
        self.ln_1 = nn.LayerNorm(channels)
        self.attn = CausalSelfAttention(channels, heads, context, dropout)
        self.ln_2 = nn.LayerNorm(channels)
        self.mlp = Mlp(channels, dropout)

    def forward(self, x, cache=None):
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab=65, context=64, layers=4, heads=4, channels=128, dropout=0.1):
        super().__init__()
        self.context = context
        self.wte = nn.Embedding(vocab, channels)
        self.wpe = nn.Embedding(context, channels)
        self.drop = nn.Dropout(dropout)
        self.h = nn.ModuleList([Block(channels, heads, context, dropout) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(channels)
        # nanoGPT's _init_weights: Linear and Embedding weights N(0, 0.02²), biases 0, c_proj weights N(0, (0.02/√(2L))²).
        for name, p in self.named_parameters():
            if p.dim() < 2:
                nn.init.zeros_(p) if name.endswith("bias") else nn.init.ones_(p)
            else:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith("c_proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx, start=0, caches=None, last_only=False):
        t = idx.shape[1]
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(start, start + t)))
        for i, block in enumerate(self.h):
            x = block(x, caches[i] if caches is not None else None)
        if last_only:
            x = x[:, -1:, :]
        return F.linear(self.ln_f(x), self.wte.weight)             # weight-tied head

    def optimizer(self, lr=1e-3, weight_decay=0.1, betas=(0.9, 0.99), eps=1e-8):
        """nanoGPT's configure_optimizers: weight decay on matrices and embeddings, none on biases and norms."""
        decay = [p for p in self.parameters() if p.dim() >= 2]
        no_decay = [p for p in self.parameters() if p.dim() < 2]
        return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                                 lr=lr, betas=betas, eps=eps)


def gpt_step(model, opt, x, y, clip=1.0):
    """One training step as nanoGPT's train.py: forward, cross entropy, zero_grad, backward, clip, step; the loss."""
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return loss.item()


def draw(logits, temperature, generator):
    return torch.multinomial(F.softmax(logits / temperature, dim=-1), 1, generator=generator)


@torch.no_grad()
def generate_recompute(model, count, temperature=0.8, seed=3):
    """nanoGPT's generate from the prompt [[1]]: the model reruns on the last `context` tokens for each new token."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.ones(1, 1, dtype=torch.long)
    for _ in range(count):
        logits = model(idx[:, -model.context:], last_only=True)[:, -1, :]
        idx = torch.cat((idx, draw(logits, temperature, g)), dim=1)
    return idx[0, 1:]


@torch.no_grad()
def generate_cached(model, count, temperature=0.8, seed=3):
    """The same with a key/value cache per layer: one position of work per token; when the context is full, the cache
    restarts from the last half context of tokens (one batched recompute), as the example's CachedDecoder."""
    g = torch.Generator().manual_seed(seed)
    history = [1]
    caches, length = [[] for _ in model.h], 0
    fresh = history
    out = []
    for _ in range(count):
        if length + len(fresh) > model.context:
            keep = model.context - model.context // 2
            fresh, caches, length = history[-keep:], [[] for _ in model.h], 0
        logits = model(torch.tensor([fresh]), start=length, caches=caches, last_only=True)[:, -1, :]
        length += len(fresh)
        token = draw(logits, temperature, g).item()
        history.append(token)
        out.append(token)
        fresh = [token]
    return out
