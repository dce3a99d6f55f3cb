"""Tabular encoder for catalogue-only datasets, pretrained as SCARF (Bahri et al. 2022, arXiv:2106.15147).

A view of a row replaces a random ``corruption_rate`` of its features by the same features of random rows of
the training set (draws from each feature's empirical marginal, missingness flag included), then adds Gaussian
noise to the values present. The encoder is the metadata MLP of the variable-star model
(:class:`~astrodisc.learn.encoders.metadata.MetadataEncoder`, standardised values + missingness flags); a projection
head maps its output to the unit sphere where InfoNCE pulls the two views of a row together.

Example::

    >>> x = torch.randn(32, 2 * 5)  # 5 standardised features, then 5 missing flags
    >>> view = scarf_view(x, x, torch.Generator().manual_seed(0), 0.6, 0.1)
    >>> TabularEncoder(TabularConfig(n_features=5))(view).shape
    torch.Size([32, 64])
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from astrodisc.learn.encoders.metadata import MetadataEncoder


@dataclass(frozen=True)
class TabularConfig:
    n_features: int  # F: the model reads (B, 2F) inputs, F values then F missing flags
    feature_dim: int = 128  # representation embedded into the "metadata" space
    hidden: int = 256
    proj_dim: int = 64  # projection head output, where the contrastive loss is computed
    dropout: float = 0.0


class TabularEncoder(nn.Module):
    """(B, 2F) scaled features -> (B, proj_dim) unit projections; ``features``: the (B, feature_dim) representation."""

    def __init__(self, config: TabularConfig):
        super().__init__()
        self.config = config
        self.encoder = MetadataEncoder(2 * config.n_features, config.feature_dim, config.hidden, config.dropout)
        self.head = nn.Sequential(nn.GELU(), nn.Linear(config.feature_dim, config.proj_dim))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.head(self.encoder(x)), dim=-1)


def scarf_view(
    x: torch.Tensor, pool: torch.Tensor, gen: torch.Generator, corruption_rate: float, noise_std: float
) -> torch.Tensor:
    """One SCARF view of ``x`` (B, 2F): each feature is, with probability ``corruption_rate``, replaced by that
    feature (value and missing flag) of a random row of ``pool`` (M, 2F); then N(0, ``noise_std``) is added to the
    values present (in units of each feature's standard deviation)."""
    n, f = x.shape[0], x.shape[1] // 2
    corrupt = torch.rand(n, f, generator=gen) < corruption_rate
    donor = torch.randint(len(pool), (n, f), generator=gen)  # (B, F) row of pool giving each feature
    column = torch.arange(f).expand(n, f)
    values = torch.where(corrupt, pool[donor, column], x[:, :f])
    missing = torch.where(corrupt, pool[donor, column + f], x[:, f:])
    values = values + noise_std * torch.randn(n, f, generator=gen) * (1 - missing)
    return torch.cat([values, missing], dim=1)
