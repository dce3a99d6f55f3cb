"""The map coloured by one annotator's work: their labels (new class names included), their interest scores
and the interest the learning queue predicts from them (``active_learning.InterestModel``). The Label page
remembers the annotator's name for the session (``state.remember_annotator``); the Map page then offers the three
colourings (``colour_columns``) and adds the chosen one to the objects it draws (``with_colour``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from astrodisc.app import state as app_state


def colour_columns() -> list[str]:
    """The colourings of the session's annotator, or none before a name was given on the Label page."""
    name = app_state.remembered_annotator()
    return [f"{what} ({name})" for what in ("labels", "interest", "predicted interest")] if name else []


def with_colour(current: app_state.Current, shown: pd.DataFrame, colour: str) -> tuple[pd.DataFrame, tuple]:
    """``shown`` with the column ``colour`` (one of ``colour_columns``) added, and a token that changes when it
    does (the annotator's labels), for the map figure's cache key. Objects not labelled are NaN."""
    name = app_state.remembered_annotator()
    mine, at = app_state.annotator_labels(current, name, ("object_id", "label", "interest"))
    n = len(current.artifacts.catalog)
    if colour.startswith("labels"):
        values = pd.Series(pd.NA, index=range(n), dtype="string")
        values.iloc[at] = mine["label"].astype("string").to_numpy()
    elif colour.startswith("interest"):
        values = pd.Series(np.nan, index=range(n))
        values.iloc[at] = mine["interest"].to_numpy(dtype=float)
    else:
        model = app_state.interest_model(current, name)
        scored = mine["interest"].notna().to_numpy()
        model.update(at[scored], mine["interest"].to_numpy(dtype=float)[scored])
        values = pd.Series(np.nan if model.predicted is None else 5.0 * model.predicted, index=range(n))
    token = (name, int(pd.util.hash_pandas_object(mine, index=False).sum()) if len(mine) else 0)
    return shown.assign(**{colour: values.loc[shown.index].to_numpy()}), token
