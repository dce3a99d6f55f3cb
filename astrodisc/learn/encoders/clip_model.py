"""The trimodal CLIP model: three encoders, projection heads into one shared space, a learnable temperature.

After AstroM3 (Rizhko & Bloom, arXiv 2411.08842), itself after CLIP (Radford et al. 2021, arXiv 2103.00020).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from astrodisc.learn.encoders.lightcurve import LightCurveEncoder
from astrodisc.learn.encoders.metadata import MetadataEncoder
from astrodisc.learn.encoders.spectrum import SpectrumEncoder

MODALITIES: tuple[str, ...] = ("photometry", "spectra", "metadata")
Batch = dict[str, torch.Tensor]  # seq, mask, fold, aux, spec, has_spec, meta


@dataclass(frozen=True)
class ModelConfig:
    hidden: int = 128  # encoder output (representation) size
    embed_dim: int = 64  # shared embedding space size
    gru_hidden: int = 64
    n_meta_inputs: int = 76


class TrimodalCLIP(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.encoders = nn.ModuleDict(
            {
                "photometry": LightCurveEncoder(config.gru_hidden, config.hidden),
                "spectra": SpectrumEncoder(config.hidden),
                "metadata": MetadataEncoder(config.n_meta_inputs, config.hidden),
            }
        )
        self.projections = nn.ModuleDict(
            {
                m: nn.Sequential(
                    nn.Linear(config.hidden, config.hidden), nn.GELU(), nn.Linear(config.hidden, config.embed_dim)
                )
                for m in MODALITIES
            }
        )
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def represent(self, batch: Batch, modality: str) -> torch.Tensor:
        """Encoder output (B, hidden) of one modality."""
        enc = self.encoders[modality]
        if modality == "photometry":
            return enc(batch["seq"], batch["mask"], batch["fold"], batch["aux"])
        if modality == "spectra":
            return enc(batch["spec"])
        return enc(batch["meta"])

    def embed(self, batch: Batch, modality: str) -> torch.Tensor:
        """L2-normalised embedding (B, embed_dim) of one modality in the shared space."""
        return F.normalize(self.projections[modality](self.represent(batch, modality)), dim=-1)

    def forward(self, batch: Batch) -> dict[str, torch.Tensor]:
        return {m: self.embed(batch, m) for m in MODALITIES}


def fuse(embeddings: dict[str, torch.Tensor], has_spec: torch.Tensor) -> torch.Tensor:
    """Fused embedding: the normalised mean of the modality embeddings (spectra left out where absent)."""
    total = embeddings["photometry"] + embeddings["metadata"] + embeddings["spectra"] * has_spec[:, None].float()
    return F.normalize(total, dim=-1)


class Classifier(nn.Module):
    """A linear head on the concatenated representations of some modalities of a TrimodalCLIP."""

    def __init__(self, backbone: TrimodalCLIP, modalities: tuple[str, ...], n_classes: int):
        super().__init__()
        self.backbone = backbone
        self.modalities = modalities
        self.head = nn.Linear(backbone.config.hidden * len(modalities), n_classes)

    def features(self, batch: Batch) -> torch.Tensor:
        return torch.cat([self.backbone.represent(batch, m) for m in self.modalities], dim=-1)

    def forward(self, batch: Batch) -> torch.Tensor:
        return self.head(self.features(batch))
