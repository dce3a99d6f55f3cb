"""Contrastive losses on inputs whose answer is known."""

import math

import torch

from astrodisc.learn.objectives import info_nce, trimodal_clip_loss


def test_info_nce_of_uninformative_embeddings_is_log_batch():
    a = torch.nn.functional.normalize(torch.ones(8, 4), dim=-1)
    assert math.isclose(float(info_nce(a, a, torch.tensor(10.0))), math.log(8), rel_tol=1e-5)


def test_info_nce_rewards_matching_pairs():
    a = torch.eye(6)
    good = float(info_nce(a, a, torch.tensor(20.0)))
    bad = float(info_nce(a, a.roll(1, 0), torch.tensor(20.0)))
    assert good < 1e-6 and bad > 15


def test_trimodal_loss_averages_pairs_and_skips_missing_rows():
    e = torch.eye(5)
    emb = {"photometry": e, "spectra": e.roll(1, 0), "metadata": e}
    scale = torch.tensor(math.log(20.0))
    full = float(trimodal_clip_loss(emb, scale))
    pm = float(info_nce(e, e, torch.tensor(20.0)))
    ps = float(info_nce(e, e.roll(1, 0), torch.tensor(20.0)))
    assert math.isclose(full, (pm + 2 * ps) / 3, rel_tol=1e-5)
    valid = {"spectra": torch.zeros(5, dtype=torch.bool)}
    assert math.isclose(float(trimodal_clip_loss(emb, scale, valid)), pm, rel_tol=1e-5)
