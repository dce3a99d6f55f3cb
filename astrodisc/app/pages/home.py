"""astrodisc web app: `streamlit run app.py` (or `astrodisc serve`).

Picks an artifact set in the sidebar, loads it once (cached), flags simulated data, then runs the chosen page.
In public mode (``astrodisc.app.public_mode``) it first hardens the run and shows the public-demo notice. Before
anything reads the link, a parameter longer than ``view_link.MAX_VALUE_CHARS`` is dropped from it, with a note.
"""

import streamlit as st

from astrodisc.app import public_mode, view_link
from astrodisc.app import state as app_state
from astrodisc.app.copy_link import copy_link_button
from astrodisc.app.demo_status import show_demo_build
from astrodisc.app.widgets import link_notes
from astrodisc.errors import UserError
from astrodisc.paths import data_dir


def show() -> None:
    """Draw the app: set up the run, pick the artifact set, then run the chosen page (every run of app.py)."""
    st.set_page_config(page_title="astrodisc", page_icon=":material/auto_awesome:", layout="wide")
    try:
        public_mode.harden_app()
    except UserError as err:  # a bad ASTRODISC_PUBLIC or astrodisc.toml: refuse to serve rather than guess
        st.error(f"Cannot start: {err}")
        st.stop()

    refused = view_link.overlong({name: st.query_params.get_all(name) for name in st.query_params})
    for name in refused:  # before any use: no page sees a value longer than the bound
        st.query_params.pop(name)
    if refused:
        link_notes([view_link.overlong_note(refused)])

    sets = app_state.find_artifact_sets()
    if not sets:
        st.title("astrodisc")
        if not show_demo_build(data_dir(), compact=False):
            st.info(
                f"No built artifact set found under `{public_mode.shown_path(data_dir())}`.\n\n"
                "Build the demo (a simulated variable-star survey and its embeddings) with `make demo`, "
                "or build your own dataset with `astrodisc build`, then reload this page."
            )
        st.stop()

    with st.sidebar:
        app_state.picker(sets)
        copy_link_button()
        show_demo_build(data_dir(), compact=True)

    try:
        current = app_state.current()
    except (UserError, OSError, ValueError, KeyError) as err:
        st.error(f"Cannot open {st.session_state[app_state.PICKED_KEY]}: {err}")
        st.stop()

    if current.store.info.simulated:
        st.warning(
            f"**Simulated data** — `{current.store.info.name}` is a simulated survey, not real observations.",
            icon=":material/science:",
        )

    # Pages live in pages/, driven by st.navigation. Streamlit 1.67 has no option to turn off its old pages/-folder
    # mode: until a process's first st.navigation call (and on every AppTest run) it runs a requested page, e.g. a
    # deep link to /map on a fresh server or an AppTest rerun, without this script, i.e. without the picker. So each
    # page starts with app_state.require_app(), which hands such a run back to app.py (same page, same query).
    app_state.run_page(app_state.navigation())
