"""Contrastive objectives.

``info_nce``: the symmetric InfoNCE of CLIP between two batches of paired, L2-normalised embeddings
(Radford et al. 2021, arXiv 2103.00020): row i of ``a`` should pick row i of ``b`` among all rows and
vice versa. ``trimodal_clip_loss``: its mean over the three pairs of modalities (AstroM3, arXiv 2411.08842).
``nt_xent``: SimCLR's loss over two augmented views (Chen et al. 2020, arXiv 2002.05709), every other
view of the 2B in the batch a negative. ``moco_loss``: MoCo v2's InfoNCE of queries against their keys
from a momentum encoder and a queue of past keys (He et al. 2020; Chen et al. 2020, arXiv 2003.04297).
``barlow_twins_loss``: the cross-correlation of two views' embeddings driven to the identity
(Zbontar et al. 2021, arXiv 2103.03230).

Example::

    >>> a = torch.nn.functional.normalize(torch.randn(8, 16), dim=-1)
    >>> info_nce(a, a, torch.tensor(100.0)) < info_nce(a, a.roll(1, 0), torch.tensor(100.0))
    tensor(True)
"""

from __future__ import annotations

import itertools

import torch
from torch.nn import functional as F


def info_nce(a: torch.Tensor, b: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Symmetric cross-entropy over the (B, B) similarity matrix scaled by ``scale`` (= 1/temperature)."""
    logits = scale * a @ b.T
    target = torch.arange(len(a), device=a.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def trimodal_clip_loss(
    embeddings: dict[str, torch.Tensor], logit_scale: torch.Tensor, valid: dict[str, torch.Tensor] | None = None
) -> torch.Tensor:
    """Mean InfoNCE over every pair of modalities; ``valid[m]`` (B,) bool drops rows missing modality m
    from the pairs that involve it. The scale exp(logit_scale) is clamped at 100 as in CLIP."""
    scale = logit_scale.exp().clamp(max=100.0)
    losses = []
    for m1, m2 in itertools.combinations(sorted(embeddings), 2):
        keep = torch.ones(len(embeddings[m1]), dtype=torch.bool, device=logit_scale.device)
        if valid is not None:
            keep = keep & valid.get(m1, keep) & valid.get(m2, keep)
        if keep.sum() >= 2:
            losses.append(info_nce(embeddings[m1][keep], embeddings[m2][keep], scale))
    return torch.stack(losses).mean()


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR NT-Xent of two (B, D) L2-normalised views: each of the 2B rows must find its partner among 2B - 1."""
    z = torch.cat([z1, z2])
    logits = z @ z.T / temperature
    logits = logits.masked_fill(torch.eye(len(z), dtype=torch.bool, device=z.device), float("-inf"))
    n = len(z1)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, target)


def moco_loss(q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, temperature: float) -> torch.Tensor:
    """MoCo InfoNCE: (B, D) queries, their (B, D) keys (no gradient) and a (K, D) queue of negatives."""
    positive = (q * k).sum(-1, keepdim=True)
    negative = q @ queue.T
    logits = torch.cat([positive, negative], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long, device=q.device))


def barlow_twins_loss(z1: torch.Tensor, z2: torch.Tensor, off_diagonal_weight: float) -> torch.Tensor:
    """Barlow Twins: standardise each of the D dimensions over the batch, then sum (1 - C_ii)^2 and
    ``off_diagonal_weight`` * C_ij^2 of the (D, D) cross-correlation C of the two views."""
    n = len(z1)
    a = (z1 - z1.mean(0)) / (z1.std(0) + 1e-6)
    b = (z2 - z2.mean(0)) / (z2.std(0) + 1e-6)
    c = a.T @ b / n
    on = (torch.diagonal(c) - 1).pow(2).sum()
    off = c.pow(2).sum() - torch.diagonal(c).pow(2).sum()
    return on + off_diagonal_weight * off
