"""A narrow ResNet for N-band galaxy cutouts (He et al. 2016 basic blocks), sized for CPU training.

Input (B, C, H, W) asinh-scaled pixels; output (B, ``width * 4``) features after global average pooling,
then a projection head to the contrastive space (``embed_dim``), as in SimCLR (Chen et al. 2020).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ResNetConfig:
    in_channels: int = 3
    width: int = 32  # channels of the first stage; doubled at each of the next two
    blocks: tuple[int, ...] = (1, 1, 1)  # basic blocks per stage
    embed_dim: int = 128  # projection-head output
    input_px: int = 56  # crop fed to the network [pixels of the store]
    bin_px: int = 2  # the stem averages bin_px x bin_px pixels first (0.262" -> 0.524"): 4x less compute


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.skip = (
            nn.Identity()
            if stride == 1 and c_in == c_out
            else nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.skip(x))


class ResNetEncoder(nn.Module):
    """Backbone + projection head; ``features`` gives the backbone output (the representation probed
    downstream), ``forward`` the L2-normalised projection used by the contrastive objectives."""

    def __init__(self, config: ResNetConfig):
        super().__init__()
        self.config = config
        w = config.width
        self.stem = nn.Sequential(
            nn.AvgPool2d(config.bin_px),
            nn.Conv2d(config.in_channels, w, 3, 1, 1, bias=False),
            nn.BatchNorm2d(w),
            nn.ReLU(),
        )
        stages, c_in = [], w
        for i, n_blocks in enumerate(config.blocks):
            c_out = w * 2**i
            for j in range(n_blocks):
                stages.append(BasicBlock(c_in, c_out, stride=2 if j == 0 else 1))
                c_in = c_out
        self.stages = nn.Sequential(*stages)
        self.feature_dim = c_in
        self.head = nn.Sequential(nn.Linear(c_in, c_in), nn.ReLU(), nn.Linear(c_in, config.embed_dim))

    def features(self, x: torch.Tensor, bf16: bool = False) -> torch.Tensor:
        """(B, feature_dim) pooled backbone features, float32. ``bf16``: the backbone (convolutions, batch norm,
        pooling) runs in bfloat16 under CPU autocast — an epoch of pretraining about 1.4x faster on this machine,
        slower on some CPUs (docs/evaluation-speed.md) — and hands on float32."""
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            return self.stages(self.stem(x)).mean(dim=(2, 3)).float()

    def project(self, x: torch.Tensor, bf16: bool = False) -> torch.Tensor:
        """(B, embed_dim) projection-head output, not normalised (what Barlow Twins decorrelates); the head in
        float32 whatever ``bf16`` (:meth:`features`) says."""
        return self.head(self.features(x, bf16=bf16))

    def forward(self, x: torch.Tensor, bf16: bool = False) -> torch.Tensor:
        """(B, embed_dim) L2-normalised projection (what the contrastive objectives compare)."""
        return nn.functional.normalize(self.project(x, bf16=bf16), dim=-1)
