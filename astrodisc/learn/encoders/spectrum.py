"""Spectrum encoder: a 1-D CNN over (flux, error) on 1,288 pixels of 4 A (3850-9000 A)."""

from __future__ import annotations

import torch
from torch import nn


class SpectrumEncoder(nn.Module):
    """(spec (B, 2, P)) -> (B, out_dim). Strided convolutions, then mean and max pooling."""

    def __init__(self, out_dim: int = 128):
        super().__init__()
        layers, channels = [], (2, 16, 32, 64, 64)
        for c_in, c_out in zip(channels, channels[1:], strict=False):
            layers += [nn.Conv1d(c_in, c_out, 7, stride=2, padding=3), nn.BatchNorm1d(c_out), nn.GELU()]
        self.conv = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(2 * channels[-1], out_dim), nn.GELU(), nn.Linear(out_dim, out_dim))

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        h = self.conv(spec)
        return self.head(torch.cat([h.mean(-1), h.amax(-1)], dim=-1))
