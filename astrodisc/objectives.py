"""Contrastive objectives.

``info_nce``: the symmetric InfoNCE of CLIP between two batches of paired, L2-normalised embeddings
(Radford et al. 2021, arXiv 2103.00020): row i of ``a`` should pick row i of ``b`` among all rows and
vice versa. ``trimodal_clip_loss``: its mean over the three pairs of modalities (AstroM3, arXiv 2411.08842).

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


def trimodal_clip_loss(embeddings: dict[str, torch.Tensor], logit_scale: torch.Tensor,
                       valid: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
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
