"""A synthetic survey of precomputed embeddings, for scale tests: millions of objects in seconds.

No light curves or images are simulated: the survey is its catalogue plus a ready embedding space,
which ``astrodisc build --embeddings`` (:mod:`astrodisc.data.io.precomputed`) takes instead of an encoder.
The embeddings are a mixture of ``n_clusters`` groups on the unit sphere: each group is a centre
plus a spread inside its own random ``intrinsic_dim``-dimensional subspace (learned embeddings are
locally low-dimensional) with a width drawn log-uniformly between ``min_width`` and ``max_width``,
plus a little isotropic noise; group sizes follow a Dirichlet draw, and a share ``outlier_share``
of the objects is uniform on the sphere (the anomalies).

Layout written by :func:`write_synthetic`::

    dataset.json               kind "varstars", simulated, source "synthetic embeddings"
    objects.parquet            object_id, ra, dec [deg], label (a group name for ``labelled_share`` of the
                               objects, else null), mean_vmag [mag], period [d], amplitude [mag]
    truth.parquet              object_id, group (-1 = outlier): never read by the build
    embeddings/fused.npy       (N, D) float32 unit rows, row i = object i

Example::

    write_synthetic(SyntheticConfig(n=1_000_000), Path("data/synthetic-1m"))   # about 10 s
    # astrodisc build --dataset data/synthetic-1m --embeddings data/synthetic-1m/embeddings --out ...
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from astrodisc.base.atomic import save_json, save_npy, save_parquet
from astrodisc.data.store import TRUTH_FILE, DatasetInfo

EMBEDDINGS_DIR = "embeddings"
SPACE = "fused"


@dataclass(frozen=True)
class SyntheticConfig:
    """What :func:`synthetic_embeddings` draws; the same config always gives the same survey."""

    n: int = 1_000_000  # objects
    dim: int = 64  # embedding dimension D
    n_clusters: int = 50
    intrinsic_dim: int = 8  # dimension of each group's spread (at most dim)
    min_width: float = 0.05  # smallest / largest group width (radians on the sphere, roughly)
    max_width: float = 0.3
    noise: float = 0.02  # isotropic noise per coordinate
    outlier_share: float = 0.001  # objects uniform on the sphere (group -1)
    labelled_share: float = 0.05  # objects whose label (the group name) is given
    seed: int = 0


def synthetic_embeddings(config: SyntheticConfig, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``vectors`` (N, D) float32 of unit rows and their ``groups`` (N,) int64 (-1 = outlier)."""
    rng = np.random.default_rng(config.seed)
    k, dim, n = config.n_clusters, config.dim, config.n
    sub = min(config.intrinsic_dim, dim)
    centres = _unit(rng.standard_normal((k, dim)))
    widths = np.exp(rng.uniform(np.log(config.min_width), np.log(config.max_width), k))
    groups = rng.choice(k, size=n, p=rng.dirichlet(np.full(k, 2.0)))
    groups[rng.random(n) < config.outlier_share] = -1
    vectors = np.empty((n, dim), dtype=np.float32)
    for g in tqdm(range(-1, k), desc="synthetic", disable=not progress):
        rows = np.flatnonzero(groups == g)
        if g < 0:
            vectors[rows] = rng.standard_normal((rows.size, dim), dtype=np.float32)
            continue
        basis = np.linalg.qr(rng.standard_normal((dim, sub)))[0].astype(np.float32)
        spread = rng.standard_normal((rows.size, sub), dtype=np.float32) @ basis.T
        noise = rng.standard_normal((rows.size, dim), dtype=np.float32)
        vectors[rows] = centres[g] + widths[g] / np.sqrt(sub) * spread + config.noise * noise
    return _unit(vectors), groups.astype(np.int64)


def write_synthetic(config: SyntheticConfig, out: Path, progress: bool = False) -> Path:
    """Write the survey of ``config`` to the dataset folder ``out`` (layout in the module docstring); returns ``out``.

    dataset.json is written last, so a half-written folder never opens as a dataset.
    """
    out = Path(out)
    vectors, groups = synthetic_embeddings(config, progress)
    rng = np.random.default_rng([config.seed, 1])
    n = config.n
    names = np.array([f"G{g:02d}" for g in range(config.n_clusters)], dtype=object)
    labelled = (groups >= 0) & (rng.random(n) < config.labelled_share)
    label = np.full(n, None, dtype=object)
    label[labelled] = names[groups[labelled]]
    known = np.maximum(groups, 0)  # outliers take group 0's catalogue values plus scatter
    ids = pd.Series(np.arange(n)).map("SYN{:08d}".format)
    objects = pd.DataFrame(
        {
            "object_id": ids,
            "ra": rng.uniform(0.0, 360.0, n),
            "dec": np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n))),
            "label": label,
            "mean_vmag": rng.uniform(12.0, 17.0, config.n_clusters)[known] + rng.normal(0.0, 0.5, n),
            "period": np.exp(rng.uniform(-2.0, 6.0, config.n_clusters)[known] + rng.normal(0.0, 0.2, n)),
            "amplitude": rng.uniform(0.05, 2.0, config.n_clusters)[known] * rng.lognormal(0.0, 0.2, n),
        }
    )
    save_npy(out / EMBEDDINGS_DIR / f"{SPACE}.npy", vectors)
    save_parquet(out / "objects.parquet", objects)
    save_parquet(out / TRUTH_FILE, pd.DataFrame({"object_id": ids, "group": groups}))
    info = DatasetInfo(
        name=out.name,
        classes=tuple(names),
        simulated=True,
        seed=config.seed,
        source="synthetic embeddings (astrodisc.data.sim.embeddings)",
        extra={"synthetic": asdict(config)},
    )
    save_json(out / "dataset.json", asdict(info))
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` (N, D) scaled to unit L2 norm, float32."""
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
