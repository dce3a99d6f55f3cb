"""Galaxy-image models: self-supervised pretraining (SimCLR, MoCo v2, Barlow Twins) of a narrow ResNet, and
supervised heads (morphology classes, photometric redshift) trained by probe, fine-tuning or from scratch.

All share astrodisc.learn.fit.fit. A galaxy model folder holds ``weights.pt`` (the encoder's state dict, loaded
with ``weights_only=True``) and ``config.json`` (kind "galaxies", encoder and augmentation settings,
objective, training history).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from astrodisc.base.digests import dataset_digest
from astrodisc.data.galaxies import GalaxyStore
from astrodisc.errors import UserError
from astrodisc.learn.encoders.resnet import ResNetConfig, ResNetEncoder
from astrodisc.learn.fit import TrainConfig, fit, prepare_checkpoint
from astrodisc.learn.galaxy_augment import AugmentConfig, augment, inference_view
from astrodisc.learn.model_folder import load_model_folder, save_model_folder
from astrodisc.learn.objectives import barlow_twins_loss, info_nce, moco_loss, nt_xent
from astrodisc.learn.splits import pretraining_rows

OBJECTIVES = ("simclr", "moco", "barlow")
Z_BINS = np.linspace(0.0, 0.4, 181)  # 180 redshift bins over 0 < z < 0.4, as Hayat et al. 2021


@dataclass(frozen=True)
class GalaxyPretrainConfig:
    objective: str = "simclr"
    temperature: float = 0.1  # SimCLR / MoCo softmax temperature
    queue_size: int = 4096  # MoCo: negatives kept from past batches
    momentum: float = 0.99  # MoCo: key-encoder EMA
    barlow_off_diagonal: float = 1 / 128  # Barlow Twins lambda, ~1/D for a D = 128 projection
    bf16: bool = False  # training steps run the backbone in bfloat16 (ResNetEncoder.features); validation and
    # every embedding stay float32
    encoder: ResNetConfig = field(default_factory=ResNetConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)


class Inferable(Protocol):
    """What :func:`encode` reads of its cutouts: :class:`ImageData`, or an uploaded cutout held in memory."""

    def inference(self, rows: np.ndarray, config: AugmentConfig) -> torch.Tensor: ...


class ImageData:
    """A galaxy store's cutouts in memory as a float tensor, with what the augmentations need per object."""

    def __init__(self, store: GalaxyStore):
        self.store = store
        objects = store.objects
        self.is_flux = store.imaging.is_flux
        self.sky_sigma = torch.from_numpy(store.sky_sigma())
        ebv = objects["e_bv"].to_numpy(np.float32) if "e_bv" in objects else np.zeros(len(objects), np.float32)
        self.ebv = torch.from_numpy(np.nan_to_num(ebv))
        self.coeff = torch.tensor(store.imaging.extinction_coeff[: len(store.info.bands)], dtype=torch.float32)

    @cached_property
    def pixels(self) -> torch.Tensor:
        """(N, B, S, S) float32 in the store's pixel unit: a copy in RAM, for the random batches of training."""
        return torch.from_numpy(np.array(self.store.cutouts, dtype=np.float32))

    def __len__(self) -> int:
        return len(self.store)

    def view(self, rows: np.ndarray, gen: torch.Generator, config: AugmentConfig) -> torch.Tensor:
        """One augmented view (len(rows), B, crop, crop) of the given rows."""
        r = torch.from_numpy(np.asarray(rows))
        return augment(self.pixels[r], gen, config, self.sky_sigma[r], self.ebv[r], self.ebv, self.coeff)

    def pair(self, rows: np.ndarray, gen: torch.Generator, config: AugmentConfig) -> tuple[torch.Tensor, torch.Tensor]:
        """A positive pair: two augmented views of each of the given rows."""
        return self.view(rows, gen, config), self.view(rows, gen, config)

    def inference(self, rows: np.ndarray, config: AugmentConfig) -> torch.Tensor:
        """The deterministic view of the given rows, read from the memory-mapped store (embedding a survey
        never holds all its cutouts in memory)."""
        r = np.asarray(rows)
        x = torch.from_numpy(np.array(self.store.cutouts[r], dtype=np.float32))
        return inference_view(x, config, self.sky_sigma[r], self.ebv[r], self.coeff)


class Renderings:
    """Several datasets of the same objects in the same order (the simulated sky drawn twice by viewers, or one
    galaxy sample cut from two surveys): each positive pair takes its two views from two different ones, so what
    the encoder learns to ignore is what differs between the renderings (drawing, pixel scale, compression)."""

    def __init__(self, renderings: list[ImageData]):
        first = renderings[0]
        if len({Path(r.store.root).resolve() for r in renderings}) < len(renderings):
            raise UserError("a dataset is given twice among the renderings: a pair needs two different ones")
        for other in renderings[1:]:
            same_kind = other.store.info.bands == first.store.info.bands and other.is_flux == first.is_flux
            same_size = other.store.cutouts.shape[1:] == first.store.cutouts.shape[1:]
            same_objects = np.array_equal(other.store.objects["object_id"], first.store.objects["object_id"])
            if not (same_kind and same_size and same_objects):
                raise UserError(
                    f"{other.store.info.name} is not another rendering of {first.store.info.name}: a pair needs the "
                    "same objects in the same order, with the same bands, pixel unit and cutout size"
                )
        self.renderings = renderings

    def pair(self, rows: np.ndarray, gen: torch.Generator, config: AugmentConfig) -> tuple[torch.Tensor, torch.Tensor]:
        """Two augmented views of each of the given rows, from two renderings drawn at random per row."""
        k = len(self.renderings)
        first = torch.randint(k, (len(rows),), generator=gen)
        second = (first + torch.randint(1, k, (len(rows),), generator=gen)) % k
        return self._view(rows, first, gen, config), self._view(rows, second, gen, config)

    def _view(self, rows: np.ndarray, which: torch.Tensor, gen: torch.Generator, config: AugmentConfig) -> torch.Tensor:
        """One augmented view of each row, taken from rendering ``which`` (len(rows),) of that row; a flux view is
        reddened with the first rendering's E(B-V) and coefficients (the same objects behind the same dust)."""
        r = torch.from_numpy(np.asarray(rows))
        base = self.renderings[0]
        x, sky_sigma = base.pixels[r], base.sky_sigma[r]
        for j, rendering in enumerate(self.renderings[1:], start=1):
            taken = which == j
            x[taken], sky_sigma[taken] = rendering.pixels[r[taken]], rendering.sky_sigma[r[taken]]
        return augment(x, gen, config, sky_sigma, base.ebv[r], base.ebv, base.coeff)


def augment_config_for(data: ImageData, config: AugmentConfig) -> AugmentConfig:
    """8-bit composites get no flux noise or reddening."""
    return config if data.is_flux else config.for_composites()


def encode(
    encoder: ResNetEncoder,
    data: Inferable,
    rows: np.ndarray,
    config: AugmentConfig,
    batch_size: int = 512,
    projected: bool = False,
) -> np.ndarray:
    """(len(rows), D) backbone features (or L2-normalised projections) of un-augmented centre crops."""
    encoder.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(rows), batch_size):
            x = data.inference(rows[i : i + batch_size], config)
            out.append((encoder(x) if projected else encoder.features(x)).numpy())
    return np.concatenate(out) if out else np.zeros((0, encoder.feature_dim), np.float32)


def pretrain_galaxies(
    dataset_dir: Path,
    out_dir: Path,
    pretrain: GalaxyPretrainConfig,
    config: TrainConfig,
    progress: bool = True,
    paired_with: tuple[Path, ...] = (),
) -> dict:
    """Self-supervised pretraining on every cutout of a galaxy dataset (labels unused); writes a model folder.
    ``paired_with``: other renderings of the same objects (:class:`Renderings`), each pair's views then come from
    two of them. The validation score is minus the objective on a seeded held-out tenth with fixed augmentations."""
    if pretrain.objective not in OBJECTIVES:
        raise UserError(f"unknown objective {pretrain.objective!r}: choose one of {', '.join(OBJECTIVES)}")
    store = GalaxyStore(dataset_dir)
    data = ImageData(store)
    others = [GalaxyStore(Path(d)) for d in paired_with]
    pairs = Renderings([data, *(ImageData(other) for other in others)]) if others else data
    aug = augment_config_for(data, pretrain.augment)
    encoder_config = ResNetConfig(
        **{**asdict(pretrain.encoder), "in_channels": len(store.info.bands), "input_px": aug.crop_px}
    )
    torch.manual_seed(config.seed)
    model = ResNetEncoder(encoder_config)
    key_encoder = copy.deepcopy(model).requires_grad_(False) if pretrain.objective == "moco" else None
    queue = F.normalize(torch.randn(pretrain.queue_size, encoder_config.embed_dim), dim=-1)
    gen = torch.Generator().manual_seed(config.seed)
    train_rows, val_rows = pretraining_rows(store.objects, config.seed, config.val_fraction)

    def loss_of(rows: np.ndarray, generator: torch.Generator = gen, training: bool = True) -> torch.Tensor:
        nonlocal queue
        v1, v2 = pairs.pair(rows, generator, aug)
        bf16 = pretrain.bf16 and training  # validation in float32, comparable with a float32 run's
        if pretrain.objective == "simclr":
            return nt_xent(model(v1, bf16=bf16), model(v2, bf16=bf16), pretrain.temperature)
        if pretrain.objective == "barlow":
            z1, z2 = model.project(v1, bf16=bf16), model.project(v2, bf16=bf16)
            return barlow_twins_loss(z1, z2, pretrain.barlow_off_diagonal)
        assert key_encoder is not None  # objective is "moco" (checked against OBJECTIVES above)
        key_encoder.train()  # keys with batch statistics, as in MoCo, also for validation (fit sets eval mode)
        with torch.no_grad():
            keys = key_encoder(v2, bf16=bf16)
        if not training:  # validation: in-batch negatives, so the score does not drift as the queue fills
            return info_nce(model(v1), keys, torch.tensor(1 / pretrain.temperature))
        loss = moco_loss(model(v1, bf16=bf16), keys, queue, pretrain.temperature)
        queue = torch.cat([keys, queue])[: pretrain.queue_size]
        return loss

    def momentum_update() -> None:
        if key_encoder is not None:
            with torch.no_grad():
                for k, q in zip(key_encoder.parameters(), model.parameters(), strict=False):
                    k.mul_(pretrain.momentum).add_(q.detach(), alpha=1 - pretrain.momentum)
                for key_buffer, buffer in zip(key_encoder.buffers(), model.buffers(), strict=False):
                    key_buffer.copy_(buffer)

    def score_of() -> float:
        val_gen = torch.Generator().manual_seed(12345)
        return -float(
            np.mean(
                [
                    float(loss_of(val_rows[i : i + config.batch_size], val_gen, False))
                    for i in range(0, len(val_rows) - 1, config.batch_size)
                ]
            )
        )

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = {
        "pretrain": {k: v for k, v in asdict(pretrain).items() if k != "bf16"},
        "train": asdict(config),
        "dataset": store.info.name,
        "n_objects": len(data),
        "data_digest": dataset_digest(dataset_dir),
    }
    if pretrain.bf16:  # said only when used, so a float32 run's checkpoint of before the flag still resumes
        settings["bf16"] = True
    if others:  # their names for the card; their digests, so a changed rendering restarts a resumed run
        settings["paired_with"] = [other.info.name for other in others]
        settings["paired_digests"] = [dataset_digest(Path(d)) for d in paired_with]
    checkpoint = prepare_checkpoint(out_dir, settings)
    # MoCo's momentum encoder is trained state too: checkpointed beside the encoder, so a resumed run goes on
    # with it (the queue is not: it refills within queue_size / batch_size steps)
    trained = model if key_encoder is None else torch.nn.ModuleDict({"encoder": model, "key_encoder": key_encoder})
    state = fit(
        trained,
        loss_of,
        score_of,
        train_rows,
        config,
        f"{pretrain.objective} pretraining",
        progress,
        checkpoint,
        after_step=momentum_update,
    )
    save_galaxy_model(
        out_dir,
        model,
        pretrain.objective,
        aug,
        store.imaging.pixel_unit,
        {
            **settings,
            "history": state["history"],
            "best_epoch": state["best_epoch"],
            "train_seconds": state["seconds"],
            "val_loss": -state["best"],
        },
    )
    return state


def save_galaxy_model(
    out_dir: Path, model: ResNetEncoder, objective: str, aug: AugmentConfig, pixel_unit: str, training: dict
) -> None:
    save_model_folder(
        out_dir,
        model,
        {
            "kind": "galaxies",
            "objective": objective,
            "encoder": asdict(model.config),
            "augment": asdict(aug),
            "pixel_unit": pixel_unit,
            "training": training,
        },
    )


def load_galaxy_model(model_dir: Path) -> tuple[ResNetEncoder, AugmentConfig, dict]:
    """Load a galaxy model folder (weights with ``weights_only=True``)."""

    def build(config: dict) -> tuple[ResNetEncoder, AugmentConfig]:
        encoder, augment_settings = config["encoder"], config["augment"]
        if augment_settings.get("size_scale") is not None:
            augment_settings["size_scale"] = tuple(augment_settings["size_scale"])
        return (
            ResNetEncoder(ResNetConfig(**{**encoder, "blocks": tuple(encoder["blocks"])})),
            AugmentConfig(**augment_settings),
        )

    model, augment_config, config = load_model_folder(model_dir, "galaxies", build)
    return model, augment_config, config


class Head(nn.Module):
    """A linear head on the encoder's backbone features: class logits or redshift-bin logits."""

    def __init__(self, encoder: ResNetEncoder, n_out: int):
        super().__init__()
        self.encoder = encoder
        self.linear = nn.Linear(encoder.feature_dim, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.encoder.features(x))


def z_bin(z: np.ndarray) -> np.ndarray:
    return np.clip(np.digitize(z, Z_BINS) - 1, 0, len(Z_BINS) - 2)


def z_from_logits(logits: np.ndarray) -> np.ndarray:
    """Median of each redshift PDF (softmax over the 180 bins), interpolated within its bin."""
    p = np.exp(logits - logits.max(1, keepdims=True))
    cdf = np.cumsum(p / p.sum(1, keepdims=True), axis=1)
    k = (cdf < 0.5).sum(1)
    below = np.where(k > 0, cdf[np.arange(len(k)), np.maximum(k - 1, 0)], 0.0)
    frac = (0.5 - below) / np.maximum(cdf[np.arange(len(k)), k] - below, 1e-12)
    return Z_BINS[k] + frac * (Z_BINS[1] - Z_BINS[0])


def targets_for(task: str, values: np.ndarray, classes: list[str]) -> tuple[torch.Tensor, int]:
    """Integer targets and the number of outputs of a task ("morphology" or "photo_z")."""
    if task == "morphology":
        return torch.tensor([classes.index(c) if c in classes else -1 for c in values]), len(classes)
    return torch.from_numpy(z_bin(values.astype(float))), len(Z_BINS) - 1


def train_head(
    encoder: ResNetEncoder,
    data: ImageData,
    task: str,
    y: torch.Tensor,
    n_out: int,
    train_rows: np.ndarray,
    val_rows: np.ndarray,
    aug: AugmentConfig,
    config: TrainConfig,
    progress: bool = False,
    initial: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[Head, dict]:
    """Fine-tune ``encoder`` with a linear head (or train it from scratch when it is new) on rotated, flipped,
    jittered views (8-bit composites also redrawn, as ``aug`` says); early-stopped on validation accuracy
    (morphology) or -sigma_MAD (photo-z). The head starts at ``initial`` ((n_out, F) weights and (n_out,) biases
    on the backbone features, e.g. a linear probe's: LP-FT, Kumar et al. 2022) when given, else at random. Returns
    the head and the training state of :func:`astrodisc.learn.fit.fit` (epochs, history, seconds)."""
    head = Head(encoder, n_out)
    if initial is not None:
        with torch.no_grad():
            head.linear.weight.copy_(torch.as_tensor(initial[0], dtype=torch.float32))
            head.linear.bias.copy_(torch.as_tensor(initial[1], dtype=torch.float32))
    supervised_aug = AugmentConfig(**{**asdict(aug), "noise": False, "redden": False, "size_scale": None})
    gen = torch.Generator().manual_seed(config.seed)

    def loss_of(rows: np.ndarray) -> torch.Tensor:
        return F.cross_entropy(head(data.view(rows, gen, supervised_aug)), y[torch.from_numpy(rows)], ignore_index=-1)

    def score_of() -> float:
        logits = head_logits(head, data, val_rows, supervised_aug)
        return score_logits(task, logits, y[torch.from_numpy(val_rows)].numpy())

    state = fit(head, loss_of, score_of, train_rows, config, f"{task} head", progress)
    return head, state


def head_logits(head: nn.Module, data: ImageData, rows: np.ndarray, aug: AugmentConfig) -> np.ndarray:
    head.eval()
    with torch.no_grad():
        return np.concatenate([head(data.inference(rows[i : i + 512], aug)).numpy() for i in range(0, len(rows), 512)])


def score_logits(task: str, logits: np.ndarray, y: np.ndarray) -> float:
    """Validation score, higher is better: accuracy, or minus the sigma_MAD of the PDF medians."""
    if task == "morphology":
        keep = y >= 0
        return float(np.mean(logits[keep].argmax(1) == y[keep]))
    z_true = (Z_BINS[y] + Z_BINS[y + 1]) / 2
    dz = (z_from_logits(logits) - z_true) / (1 + z_true)
    return -float(1.4826 * np.median(np.abs(dz - np.median(dz))))
