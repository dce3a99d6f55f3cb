"""Light-curve encoder for irregular cadence: a GRU over (time, mag, error) masked to length, beside a
small 1-D CNN over the curve folded at its Lomb-Scargle period and twice it, and the auxiliary scalars.

AstroM3 uses an Informer transformer over the sequence alone (arXiv 2411.08842); on 2 CPU cores a
GRU(64) trains ~50x faster per step, and the folded view gives it the period that a GRU over a few
hundred epochs scattered across six years cannot find by itself.
"""

from __future__ import annotations

import torch
from torch import nn


class LightCurveEncoder(nn.Module):
    """(seq (B, L, 3), mask (B, L), fold (B, 2, 64), aux (B, 5)) -> (B, out_dim)."""

    def __init__(self, hidden: int = 64, out_dim: int = 128):
        super().__init__()
        self.step = nn.Linear(4, hidden)  # time, dt, mag, err
        self.gru = nn.GRU(hidden, hidden, batch_first=True)
        self.fold_cnn = nn.Sequential(
            nn.Conv1d(2, 32, 5, padding=2, padding_mode="circular"),
            nn.GELU(),
            nn.Conv1d(32, 32, 5, padding=2, stride=2, padding_mode="circular"),
            nn.GELU(),
            nn.Conv1d(32, 64, 5, padding=2, stride=2, padding_mode="circular"),
            nn.GELU(),
            nn.AdaptiveAvgPool1d(4),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Linear(2 * hidden + 64 * 4 + 5, out_dim), nn.GELU(), nn.Linear(out_dim, out_dim))

    def forward(self, seq: torch.Tensor, mask: torch.Tensor, fold: torch.Tensor, aux: torch.Tensor) -> torch.Tensor:
        dt = torch.diff(seq[..., :1], dim=1, prepend=seq[:, :1, :1]).clamp_min(0) * 100
        x = torch.relu(self.step(torch.cat([seq[..., :1], dt, seq[..., 1:]], dim=-1)))
        lengths = mask.sum(1).clamp_min(1)
        out, _ = self.gru(x)  # causal: padding after the last epoch cannot change earlier outputs
        last = out[torch.arange(len(out)), lengths - 1]
        mean = (out * mask[..., None]).sum(1) / lengths[:, None]
        return self.head(torch.cat([last, mean, self.fold_cnn(fold), aux], dim=-1))
