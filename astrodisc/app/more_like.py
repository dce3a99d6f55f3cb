""" "More like these" on the Map and Label pages: from a clicked object, a box/lasso selection or an annotator's
labels, the interest model's classifier (``active_learning.more_like``) ranks every other object by how like the
examples it is, against the survey at large (or given counter-examples); the first ``SHOWN`` candidates are listed
with their likeness, exported with it, and can become the map's selection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from astrodisc.app import state as app_state
from astrodisc.app.widgets import download_buttons, samp_button
from astrodisc.discover.active_learning import more_like

ASKED_KEY = "more_like_asked"  # the example rows the last click asked about
SHOWN = 50  # candidates listed


def more_like_section(
    current: app_state.Current,
    examples: list[int],
    key: str,
    columns: list[str],
    select: Callable[[list[int]], None],
    unlike: Sequence[int] = (),
) -> None:
    """A "More like these" button for catalogue rows ``examples`` (and not like rows ``unlike``, if given); once
    clicked (and while the examples stay the same), the ``SHOWN`` most alike other objects with ``columns`` and
    their likeness 0-1, their export, and a button that hands their rows to ``select``."""
    asked = tuple(int(r) for r in examples)
    against = [int(r) for r in unlike]
    noun = "this" if len(asked) == 1 else f"these {len(asked)}"
    st.button(
        f"More like {noun}",
        key=f"{key}_ask",
        on_click=st.session_state.update,
        kwargs={ASKED_KEY: (asked, tuple(against))},
        help="Rank every other object by how like these it is (a linear classifier on everything the build "
        "knows: every embedding space, the anomaly ranks, data-quality columns, the predicted class) against the "
        "survey at large",
    )
    if st.session_state.get(ASKED_KEY) != (asked, tuple(against)):
        return
    catalog = current.artifacts.catalog
    with st.spinner("Ranking the survey…", show_time=True):
        likeness = more_like(app_state.likeness_features_of(current), list(asked), against)
    order = np.argsort(-likeness, kind="stable")
    found = order[~np.isin(order, [*asked, *against])][:SHOWN]
    table = catalog.loc[found, [c for c in columns if c in catalog]].assign(likeness=likeness[found].round(4))
    st.markdown(f"**The {len(found)} objects most like {noun}**")
    st.dataframe(table, hide_index=True, key=f"{key}_table")
    candidates = pd.DataFrame(catalog.loc[found]).assign(likeness=likeness[found])
    download_buttons(candidates, "more-like", key=f"{key}_dl")
    samp_button(candidates, "more like these", key=f"{key}_samp")
    st.button("Select them on the map", key=f"{key}_select", on_click=select, args=([int(r) for r in found],))
