"""Speed figures, written as JSON (speed targets live here, not in timed tests):
``astrodisc bench --parts speed --out benchmark.json`` or ``make bench``.

- period_search_ms: Lomb-Scargle search of one 500-epoch, 6-year light curve [ms, median of 10]
- simulate_galaxies_per_s: galaxies simulated per second on one worker (200 objects)
- resnet_step_s: one forward + backward pass of the galaxy ResNet at batch 256 [s, median of 3]
- resnet_step_bf16_s: the same with its backbone in bfloat16 (``astrodisc train --bf16``) [s, median of 3]
- map_click: click on the map of the variable-star demo (20,000 objects) in chromium → neighbour panel
  drawn, p50 / p95 / max over 30 clicks [s] (astrodisc.ops.click_latency; needs the demo built: ``make demo-data``;
  ``--no-app`` skips it)
"""

from __future__ import annotations

import platform
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from astrodisc.data.period_search import lomb_scargle
from astrodisc.data.sim.galaxies import GalaxySimConfig, simulate_galaxies
from astrodisc.learn.encoders.resnet import ResNetConfig, ResNetEncoder
from astrodisc.ops import click_latency
from astrodisc.paths import data_dir


def _median_seconds(func, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def run(app: bool = True) -> dict:
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 6 * 365.25, 500)) + 55000.0
    err = rng.uniform(0.02, 0.08, t.size)
    mag = 15 + 0.3 * np.sin(2 * np.pi * t / 0.5371) + rng.normal(0, err)
    lomb_scargle(t, mag, err)  # warm-up
    out: dict[str, Any] = {"period_search_ms": 1000 * _median_seconds(lambda: lomb_scargle(t, mag, err), 10)}
    with tempfile.TemporaryDirectory() as tmp:
        seconds = _median_seconds(
            lambda: simulate_galaxies(GalaxySimConfig(n=200, seed=1, workers=1), Path(tmp) / "s", progress=False), 1
        )
    out["simulate_galaxies_per_s"] = 200 / seconds
    model = ResNetEncoder(ResNetConfig())
    x = torch.randn(256, 3, 56, 56)

    for key, bf16 in (("resnet_step_s", False), ("resnet_step_bf16_s", True)):

        def step(bf16: bool = bf16) -> None:
            model(x, bf16=bf16).sum().backward()

        step()
        out[key] = _median_seconds(step, 3)
    if app:
        out["map_click"] = asdict(click_latency.measure(data_dir() / "varstars-demo" / "varstars-clip"))
    out["machine"] = {"cpu_threads": torch.get_num_threads(), "platform": platform.platform()}
    return out
