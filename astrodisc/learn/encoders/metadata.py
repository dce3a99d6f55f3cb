"""Metadata encoder: an MLP over standardised columns with a missingness indicator per column."""

from __future__ import annotations

import torch
from torch import nn


class MetadataEncoder(nn.Module):
    """(meta (B, 2 * n_columns): values with 0 for missing, then 0/1 missing flags) -> (B, out_dim)."""

    def __init__(self, n_inputs: int, out_dim: int = 128, hidden: int = 256, dropout: float = 0.1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_inputs, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Linear(hidden, out_dim),
        )

    def forward(self, meta: torch.Tensor) -> torch.Tensor:
        return self.net(meta)
