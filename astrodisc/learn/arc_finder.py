"""The arc finder: a small network that reads galaxies at the survey's full resolution and was taught, with no
label from any survey, to tell a galaxy from the same galaxy with a lensed arc pasted in (as lens searches
train on simulated arcs added to real early types: Jacobs et al. 2019, Huang et al. 2020).

Why it exists: the shipped image encoder bins 2 x 2 and learned invariances that blur what arcs of 0.5-3 arcsec
leave, and no measurement by hand separated lenses from blue discs and neighbours (docs/galaxies.md). The finder
sees the central ``crop_px`` pixels unbinned, as two channels: the host's light nulled by its core colour in
units of the pixel noise (``data.arcs.nulled_snr``), and the r band asinh-scaled by its sky noise for context.

Its arcs are drawn by ``data.sim.galaxy_profiles.lensed_source`` (an exponential source behind a singular
isothermal sphere with shear), deliberately wider than the simulated sky's lenses in every parameter
(``ArcFinderConfig``), seen through each galaxy's own Moffat PSF (catalogue FWHM), coloured, scaled to an arc
S/N against the galaxy's sky noise and given photon noise. Every galaxy of the training store hosts them, so
the finder learns arcs, not host type; the store's own lenses, if any, are unknowing negatives.

Outputs, for a build (``arc_outputs``): the ``arcs`` embedding space (the finder's penultimate features) and
``arc_probability`` (its sigmoid), a lens score trained on injected arcs, reported apart from unsupervised
scores. The folder sits inside a galaxy model folder as ``arcs/`` (``weights.pt`` + ``config.json``).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from astrodisc.data.arcs import PIXEL_SCALE_DEFAULT, central, measurable, nulled_snr
from astrodisc.data.galaxies import CUTOUTS, GalaxyStore
from astrodisc.data.sim import galaxy_profiles as profiles
from astrodisc.errors import UserError
from astrodisc.learn.model_folder import load_model_folder, save_model_folder

ARC_FOLDER = "arcs"  # the finder's folder inside a galaxy model folder
MOFFAT_BETA = 3.5  # the PSF's wing index (Moffat 1969; ground-based seeing is 2.5-4.5)
PHOTON_GAIN = 20.0  # an arc's photon noise: var = flux * sky / PHOTON_GAIN (as data.arcs.GAIN_SKY)
INFERENCE_CHUNK = 512  # cutouts per forward pass
MARGIN_PX = 8  # pixels kept around the crop while nulling (PSF matching in Fourier space wraps at the edges)
SCALE_TOLERANCE = 0.1  # a store whose pixel scale differs more from the training cutouts' is not read


@dataclass(frozen=True)
class ArcFinderConfig:
    """How the finder is made and trained. Ranges are (low, high); log-uniform where marked."""

    crop_px: int = 32  # central pixels read, unbinned (8.4 arcsec at 0.262 arcsec/px: rings up to 4 arcsec)
    width: int = 24  # channels of the first block (doubled twice)
    feature_dim: int = 32  # the ``arcs`` embedding
    steps: int = 1100
    batch_size: int = 256
    lr: float = 3e-3  # peak of a one-cycle schedule
    seed: int = 0
    bank_size: int = 3000  # arcs drawn once, turned and mirrored at every use
    theta_e_arcsec: tuple[float, float] = (0.4, 3.5)  # log-uniform (the simulated sky: 0.5-3)
    source_offset: tuple[float, float] = (0.0, 0.8)  # source offset / theta_E (the sky: 0-0.6)
    source_re_arcsec: tuple[float, float] = (0.08, 0.4)  # (the sky: 0.1-0.35)
    shear_sigma: float = 0.06  # (the sky: 0.04)
    g_minus_r: tuple[float, float] = (0.0, 0.8)  # (the sky: 0.1-0.5)
    r_minus_z: tuple[float, float] = (-0.1, 0.5)  # (the sky: 0.0-0.4)
    arc_snr: tuple[float, float] = (5.0, 120.0)  # log-uniform, against the sky noise (the sky: 5-100)


class ArcFinder(nn.Module):
    """Three blocks of two 3x3 convolutions (full resolution, then halved twice), global average, features,
    one logit."""

    def __init__(self, config: ArcFinderConfig):
        super().__init__()
        w = config.width

        def block(c_in: int, c_out: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(c_in, c_out, 3, padding=1),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
                nn.Conv2d(c_out, c_out, 3, padding=1),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
            )

        self.body = nn.Sequential(
            block(2, w), nn.MaxPool2d(2), block(w, 2 * w), nn.MaxPool2d(2), block(2 * w, 4 * w), nn.AdaptiveAvgPool2d(1)
        )
        self.features = nn.Linear(4 * w, config.feature_dim)
        self.head = nn.Linear(config.feature_dim, 1)

    def embed(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """((N, feature_dim) features, (N,) arc logits) of (N, 2, crop, crop) finder inputs."""
        features = self.features(self.body(x).flatten(1))
        return features, self.head(F.relu(features))[:, 0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N,) arc logits."""
        return self.embed(x)[1]


def finder_input(
    cutouts: np.ndarray, psf_fwhm: np.ndarray, sky_sigma: np.ndarray, pixel_scale: float, crop_px: int
) -> torch.Tensor:
    """(N, 2, crop_px, crop_px) float32: the nulled S/N image and asinh(r / 3 sky) of (N, 3, S, S) g, r, z flux
    cutouts, central crop (PSF FWHM (N, 3) [arcsec], sky sigma (N, 3) [flux per pixel])."""
    cutouts = central(np.asarray(cutouts, np.float32), crop_px + 2 * MARGIN_PX)
    window = slice(MARGIN_PX, MARGIN_PX + crop_px)
    nulled = nulled_snr(cutouts, psf_fwhm, sky_sigma, pixel_scale)[:, window, window]
    red = np.arcsinh(cutouts[:, 1, window, window] / (3.0 * np.asarray(sky_sigma, np.float32)[:, 1, None, None]))
    return torch.from_numpy(np.stack([nulled, red], axis=1).astype(np.float32))


def arc_bank(config: ArcFinderConfig, stamp_px: int, pixel_scale: float, rng: np.random.Generator) -> np.ndarray:
    """(bank_size, S, S) float32 lensed arcs of unit total flux on the stamp's pixel grid, before any PSF."""
    grid = profiles.Grid(stamp_px, pixel_scale)
    out = np.empty((config.bank_size, stamp_px, stamp_px), np.float32)
    lo, hi = np.log(config.theta_e_arcsec)
    for i in range(config.bank_size):
        theta_e = float(np.exp(rng.uniform(lo, hi)))
        offset, angle = theta_e * rng.uniform(*config.source_offset), rng.uniform(0.0, 2 * np.pi)
        arc = profiles.bin_pixels(
            profiles.lensed_source(
                grid,
                theta_e,
                float(rng.uniform(*config.source_re_arcsec)),
                (offset * np.cos(angle), offset * np.sin(angle)),
                tuple(rng.normal(0.0, config.shear_sigma, 2)),
            )
        )
        out[i] = arc / max(float(arc.sum()), 1e-12)
    return out


def _moffat(fwhm_px: torch.Tensor, size: int) -> torch.Tensor:
    """(N, B, S, S) Moffat kernels of FWHM (N, B) [px], centred on pixel (S // 2, S // 2), each summing to 1."""
    span = torch.arange(size, dtype=torch.float32) - size // 2
    r2 = span[:, None] ** 2 + span[None, :] ** 2
    alpha = fwhm_px / (2.0 * np.sqrt(2.0 ** (1.0 / MOFFAT_BETA) - 1.0))
    kernel = (1.0 + r2 / alpha[..., None, None] ** 2) ** -MOFFAT_BETA
    return kernel / kernel.sum(dim=(-2, -1), keepdim=True)


def inject(
    x: torch.Tensor,
    psf_fwhm_px: torch.Tensor,
    sky_sigma: torch.Tensor,
    bank: torch.Tensor,
    config: ArcFinderConfig,
    gen: torch.Generator,
) -> torch.Tensor:
    """(N, 3, S, S) flux cutouts ``x`` with an arc of the bank added to each: turned by a multiple of 90 deg and
    mirrored at random, through each galaxy's Moffat PSF (FWHM (N, 3) [px]), coloured, scaled to an arc S/N
    (log-uniform in ``config.arc_snr``) against the sky noise (N, 3), with its photon noise."""
    n, _, size, _ = x.shape
    arcs = bank[torch.randint(len(bank), (n,), generator=gen)]
    arcs = torch.rot90(arcs, int(torch.randint(4, (1,), generator=gen)), (-2, -1))
    if bool(torch.rand(1, generator=gen) < 0.5):
        arcs = arcs.flip(-1)
    kernels = torch.fft.ifftshift(_moffat(psf_fwhm_px, size), dim=(-2, -1))
    seen = torch.fft.irfft2(torch.fft.rfft2(arcs[:, None]) * torch.fft.rfft2(kernels), s=(size, size))

    def uniform(low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, generator=gen)

    g_r, r_z = uniform(*config.g_minus_r), uniform(*config.r_minus_z)
    colour = torch.stack([10 ** (-0.4 * g_r), torch.ones(n), 10 ** (0.4 * r_z)], dim=1)
    seen = seen * colour[:, :, None, None]
    unit_snr = torch.sqrt((seen**2 / sky_sigma[:, :, None, None] ** 2).sum(dim=(1, 2, 3)))
    snr = torch.exp(uniform(*np.log(config.arc_snr)))
    arc = seen * (snr / unit_snr)[:, None, None, None]
    photons = torch.randn(arc.shape, generator=gen) * torch.sqrt(
        arc.clamp(min=0) * sky_sigma[:, :, None, None] / PHOTON_GAIN
    )
    return x + arc + photons


@dataclass(frozen=True)
class ArcTraining:
    """What training recorded: wall time [s], steps, and the mean loss of the first and last 100 steps."""

    seconds: float
    steps: int
    loss_first: float
    loss_last: float


def train_arc_finder(
    store: GalaxyStore, model_dir: Path, config: ArcFinderConfig, made_by: str, progress: bool = True
) -> ArcTraining:
    """Train a finder on the galaxies of ``store`` (3-band flux cutouts with PSF and sky columns) and write it
    to ``model_dir / ARC_FOLDER`` (weights, then config with the command ``made_by`` that trained it, each
    atomically)."""
    inputs = store.psf_and_sky()
    if inputs is None:
        raise UserError(
            f"{store.root.name}: the arc finder trains on 3-band flux cutouts whose catalogue gives psf_fwhm_<band> "
            "and sky_sigma_<band>"
        )
    psf_fwhm, sky_sigma = inputs
    usable = np.flatnonzero(measurable(psf_fwhm, sky_sigma))
    scale = store.imaging.pixel_scale_arcsec or PIXEL_SCALE_DEFAULT
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    worked = min(store.stamp_px, config.crop_px + 2 * MARGIN_PX)  # injected and nulled on the central pixels
    drawn = arc_bank(config, store.stamp_px, scale, np.random.default_rng(config.seed))
    bank = torch.from_numpy(np.ascontiguousarray(central(drawn, worked)))
    psf_px = torch.from_numpy(psf_fwhm.astype(np.float32) / scale)
    sky = torch.from_numpy(sky_sigma.astype(np.float32))
    net = ArcFinder(config)
    optimiser = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, config.lr, total_steps=config.steps)
    losses = []
    start = time.perf_counter()
    net.train()
    for _ in tqdm(range(config.steps), desc="train arc finder", disable=not progress):
        rows = np.sort(usable[torch.randint(len(usable), (config.batch_size,), generator=gen).numpy()])
        x = torch.from_numpy(np.ascontiguousarray(central(np.asarray(store.cutouts[rows], np.float32), worked)))
        x = torch.rot90(x, int(torch.randint(4, (1,), generator=gen)), (-2, -1))
        has_arc = torch.rand(len(rows), generator=gen) < 0.5
        x = torch.where(has_arc[:, None, None, None], inject(x, psf_px[rows], sky[rows], bank, config, gen), x)
        batch = finder_input(x.numpy(), psf_fwhm[rows], sky_sigma[rows], scale, config.crop_px)
        loss = F.binary_cross_entropy_with_logits(net(batch), has_arc.float())
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        losses.append(float(loss.detach()))
    training = ArcTraining(
        time.perf_counter() - start, config.steps, float(np.mean(losses[:100])), float(np.mean(losses[-100:]))
    )
    save_model_folder(
        Path(model_dir) / ARC_FOLDER,
        net,
        {
            "kind": "arcs",
            "finder": asdict(config),
            "training": {
                **asdict(training),
                "dataset": store.root.name,
                "n_objects": len(store),
                "pixel_scale_arcsec": scale,
                "made_by": made_by,
            },
        },
    )
    return training


def has_arc_finder(model_dir: Path) -> bool:
    return (Path(model_dir) / ARC_FOLDER / "weights.pt").is_file()


def load_arc_finder(model_dir: Path) -> tuple[ArcFinder, ArcFinderConfig, float]:
    """The finder inside a galaxy model folder (weights loaded with ``weights_only=True``, eval mode), its
    config and the pixel scale [arcsec] of the cutouts it was trained on."""

    def build(config: dict) -> tuple[ArcFinder, ArcFinderConfig]:
        settings: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in config["finder"].items()}
        finder_config = ArcFinderConfig(**settings)
        return ArcFinder(finder_config), finder_config

    net, config, saved = load_model_folder(Path(model_dir) / ARC_FOLDER, "arcs", build)
    return net, config, float(saved["training"].get("pixel_scale_arcsec", PIXEL_SCALE_DEFAULT))


def arc_outputs(store: GalaxyStore, model_dir: Path, progress: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
    """((N, feature_dim) features, (N,) probability of an arc) of every galaxy of ``store`` by the finder in
    ``model_dir``; None when the folder holds no finder or the store cannot be read by it (not 3-band flux, a
    galaxy without PSF FWHM and sky sigma, or pixels more than ``SCALE_TOLERANCE`` off the training scale).
    Kept for the last store and finder asked (as they are on disk): a build's embedding and pixel-measurement
    stages ask for the features and the probability of one pass. The arrays are shared: read, do not write."""
    if not has_arc_finder(model_dir):
        return None
    root, finder = Path(store.root).resolve(), (Path(model_dir) / ARC_FOLDER).resolve()
    stamp = tuple(path.stat().st_mtime_ns for path in (root / "dataset.json", root / "objects.parquet", root / CUTOUTS))
    finder_stamp = tuple(path.stat().st_mtime_ns for path in sorted(finder.iterdir()))
    return _arc_outputs(str(root), stamp, str(finder.parent), finder_stamp, progress)


@lru_cache(maxsize=1)
def _arc_outputs(
    root: str, stamp: tuple[int, ...], model_dir: str, finder_stamp: tuple[int, ...], progress: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """``arc_outputs`` of the store at ``root`` by the finder in ``model_dir`` (the stamps: their files' times)."""
    store = GalaxyStore(Path(root))
    inputs = store.psf_and_sky()
    if inputs is None or not measurable(*inputs).all():
        return None
    psf_fwhm, sky_sigma = inputs
    net, config, trained_scale = load_arc_finder(Path(model_dir))
    scale = store.imaging.pixel_scale_arcsec or PIXEL_SCALE_DEFAULT
    if abs(scale / trained_scale - 1.0) > SCALE_TOLERANCE:
        return None  # its 32 px would cover another angle than the arcs it learned
    features, logits = [], []
    with torch.no_grad():
        for lo in tqdm(range(0, len(store), INFERENCE_CHUNK), desc="arc finder", disable=not progress):
            hi = min(lo + INFERENCE_CHUNK, len(store))
            batch = finder_input(store.cutouts[lo:hi], psf_fwhm[lo:hi], sky_sigma[lo:hi], scale, config.crop_px)
            embedded, logit = net.embed(batch)
            features.append(embedded.numpy())
            logits.append(logit.numpy())
    return np.concatenate(features), 1.0 / (1.0 + np.exp(-np.concatenate(logits).astype(np.float64)))
