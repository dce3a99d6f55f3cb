"""The hidden truth of a simulated survey. Only evaluation imports this module (a test enforces it)."""

from __future__ import annotations

import pandas as pd

from astrodisc.data.open_store import Store
from astrodisc.data.store import TRUTH_FILE
from astrodisc.errors import UserError


def has_truth(store: Store) -> bool:
    return (store.root / TRUTH_FILE).is_file()


def read_truth(store: Store) -> pd.DataFrame:
    """Truth rows aligned with ``store.objects`` (variable stars: true_class, subclass, wrong_label, rare_type,
    true_period; galaxies: label, subclass, z, anomaly, theta_e, arc_snr, duplicate_of, ...)."""
    path = store.root / TRUTH_FILE
    if not has_truth(store):
        raise UserError(f"{store.info.name} has no hidden truth (only simulated surveys do)")
    truth = pd.read_parquet(path).set_index("object_id")
    return truth.loc[store.objects["object_id"].astype(str)].reset_index()
