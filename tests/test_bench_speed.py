"""The speed benchmark (``astrodisc bench --parts speed``) measures what it names: no figure is missing, zero or
not a number, and a step of the ResNet with its backbone in bfloat16 is measured apart from the float32 one."""

from __future__ import annotations

import math

from astrodisc.ops import bench_speed


def test_the_speed_benchmark_measures_each_figure():
    figures = bench_speed.run(app=False)
    names = ("period_search_ms", "simulate_galaxies_per_s", "resnet_step_s", "resnet_step_bf16_s")
    assert all(math.isfinite(figures[name]) and figures[name] > 0 for name in names), figures
    assert figures["resnet_step_s"] != figures["resnet_step_bf16_s"]
    assert "map_click" not in figures  # --no-app
