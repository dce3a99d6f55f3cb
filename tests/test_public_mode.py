"""Public mode (astrodisc.app.public_mode): its settings and rate limiter, and the app run headless with AppTest as a
public demo on the fixture artifacts: labels and subsets per session and never in the shared database, heavy
actions refused past the budget, uploads capped, the served command line hardened, the artifacts shared."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from astrodisc import cli
from astrodisc.app import public_mode
from astrodisc.app import state as app_state
from astrodisc.app.public_mode import ACTIONS_KEY, SESSION_DB_KEY, PublicSettings, admit
from astrodisc.chain.artifacts import load_artifacts
from astrodisc.errors import UserError
from astrodisc.labels.database import LabelDB
from astrodisc.labels.subsets import SubsetDB
from astrodisc.paths import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
LABEL_PAGE, SUBCLASS_PAGE = "pages/label.py", "pages/subclasses.py"
SCRIPT_OPTIONS = ("client.showErrorDetails", "client.toolbarMode", "server.enableXsrfProtection")
LIMIT = 2  # heavy actions per window in these tests


@pytest.fixture()
def public(tiny_data, monkeypatch, tmp_path) -> Path:
    """Public mode on the tiny fixture, its limits from a config file; returns the shared labels.sqlite's path
    (which must never appear). Streamlit's options, which public mode sets process-wide, are restored."""
    config = tmp_path / "astrodisc.toml"
    config.write_text(
        f"[public]\nheavy_actions = {LIMIT}\nwindow_s = 600\nupload_mb = 1\nmax_export_rows = 3\n"
        f'session_dir = "{tmp_path / "sessions"}"\n'
    )
    shared = tmp_path / "shared" / "labels.sqlite"
    monkeypatch.setenv("ASTRODISC_LABELS", str(shared))
    monkeypatch.setenv(public_mode.CONFIG_ENV, str(config))
    monkeypatch.setenv(public_mode.PUBLIC_ENV, "1")
    options = {name: st_config.get_option(name) for name in SCRIPT_OPTIONS}
    yield shared
    for name, value in options.items():
        st_config.set_option(name, value)


def _session(page: str | None = None, **state) -> AppTest:
    """A new browser session, on ``page`` (default the map), with ``state`` preset."""
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _refusals(at: AppTest) -> list[str]:
    """The rate limit's messages on the page."""
    return [i.value for i in at.info if i.value.startswith(f"Public demo: at most {LIMIT} heavy actions")]


def _shown_object(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("### `")).strip("#` ")


# ---- settings and the rate limiter --------------------------------------------------------------------------


def test_the_sliding_window_admits_the_limit_then_refuses_until_the_oldest_leaves():
    times: tuple[float, ...] = ()
    for now in (0.0, 5.0, 9.0):
        answer = admit(times, now, limit=3, window_s=60.0)
        assert answer.allowed and answer.retry_after_s == 0.0
        times = answer.times
    refused = admit(times, 30.0, limit=3, window_s=60.0)
    assert not refused.allowed and refused.times == (0.0, 5.0, 9.0) and refused.retry_after_s == 30.0
    later = admit(times, 60.0, limit=3, window_s=60.0)  # the action at 0 s has left the window
    assert later.allowed and later.times == (5.0, 9.0, 60.0)


def test_settings_come_from_the_environment_and_the_config_file(tmp_path, monkeypatch):
    monkeypatch.setenv(public_mode.CONFIG_ENV, str(tmp_path / "absent.toml"))
    monkeypatch.delenv(public_mode.PUBLIC_ENV, raising=False)
    assert public_mode.settings() == PublicSettings()
    assert not public_mode.settings().enabled
    config = tmp_path / "astrodisc.toml"
    config.write_text('[public]\nenabled = true\nupload_mb = 2\nwindow_s = 30\nsession_dir = "/srv/s"\n')
    monkeypatch.setenv(public_mode.CONFIG_ENV, str(config))
    assert public_mode.settings() == PublicSettings(
        enabled=True, upload_mb=2, window_s=30.0, session_dir=Path("/srv/s")
    )
    monkeypatch.setenv(public_mode.PUBLIC_ENV, "off")  # the environment overrides the file
    assert not public_mode.settings().enabled
    for text, message in (("maybe", "ASTRODISC_PUBLIC must be one of"),):
        monkeypatch.setenv(public_mode.PUBLIC_ENV, text)
        with pytest.raises(UserError, match=message):
            public_mode.settings()
    monkeypatch.setenv(public_mode.PUBLIC_ENV, "1")
    for body, message in (
        ("upload_mb = '5'", "public.upload_mb must be a int"),
        ("uploads = 5", "unknown setting"),
        ("heavy_actions = 0", "public.heavy_actions must be positive"),
        ("[", "not valid TOML"),
    ):
        config.write_text(f"[public]\n{body}\n")
        with pytest.raises(UserError, match=message):
            public_mode.settings()


def test_stale_session_databases_are_deleted_with_their_journals(tmp_path):
    old, new = tmp_path / "old.sqlite", tmp_path / "new.sqlite"
    for path in (old, Path(f"{old}-wal"), new, Path(f"{new}-wal")):
        path.write_bytes(b"x")
    os.utime(old, (0, 0))
    os.utime(f"{old}-wal", (0, 0))
    os.utime(new, (0, 0))  # its journal is recent: the session is alive
    assert public_mode.remove_stale(tmp_path, 3600.0, 10_000.0) == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.sqlite", "new.sqlite-wal"]


def test_a_journal_removed_by_its_session_while_stale_databases_are_sought_is_no_error(tmp_path, monkeypatch):
    """Another session's SQLite removes its -wal and -shm files when its last connection closes, at any moment:
    a file listed but gone by the time its age is read must not fail the new session that looks (a public
    load run met it once in 1,214 interactions: a fresh session's page showed an exception)."""
    live, gone = tmp_path / "live.sqlite", tmp_path / "gone.sqlite"
    for path in (live, Path(f"{live}-wal"), gone):
        path.write_bytes(b"x")
        os.utime(path, (0, 0))
    real_stat = Path.stat

    def vanishing(path, *args, **kwargs):
        if path.name in ("live.sqlite-wal", "gone.sqlite"):  # removed just after the listing
            raise FileNotFoundError(path)
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", vanishing)
    assert public_mode.remove_stale(tmp_path, 3600.0, 10_000.0) == [live]  # judged by the files still there


def test_a_public_server_has_xsrf_on_and_no_error_details(monkeypatch, tmp_path):
    monkeypatch.setenv(public_mode.CONFIG_ENV, str(tmp_path / "absent.toml"))
    monkeypatch.delenv(public_mode.PUBLIC_ENV, raising=False)
    command = cli.serve_command(8501, public=True)
    flags = dict(zip(command[5::2], command[6::2], strict=False))  # after: python -m streamlit run app.py
    assert flags["--server.enableXsrfProtection"] == "true" and flags["--server.enableCORS"] == "true"
    assert flags["--client.showErrorDetails"] == "none" and flags["--client.toolbarMode"] == "viewer"
    assert flags["--server.maxUploadSize"] == str(PublicSettings().upload_mb)
    assert flags["--server.port"] == "8501" and flags["--server.fileWatcherType"] == "none"
    for flag in flags:  # every one is an option this Streamlit knows
        assert flag.removeprefix("--") in st_config._config_options_template, flag
    assert "--client.showErrorDetails" not in cli.serve_command(8501, public=False)

    calls = []

    class Server:  # what cmd_serve starts, recorded instead of run
        def __init__(self, command, env, cwd):
            calls.append((command, env))

        def wait(self) -> int:
            return 0

    monkeypatch.setattr(cli.subprocess, "Popen", Server)
    monkeypatch.setattr(cli.signal, "signal", lambda *_: None)  # keep pytest's own SIGTERM handling
    monkeypatch.setenv(public_mode.PUBLIC_ENV, "1")  # as the container sets it: plain `serve` is public too
    with pytest.raises(SystemExit):
        cli.main(["serve", "--port", "8502", "--data", str(tmp_path), "--no-warm-up"])
    ((served, env),) = calls
    assert served == cli.serve_command(8502, public=True) and env[public_mode.PUBLIC_ENV] == "1"


# ---- the app as a public demo -------------------------------------------------------------------------------


def test_labels_and_subsets_stay_in_their_session_and_out_of_the_shared_database(public):
    at = _session(LABEL_PAGE)
    assert any(
        i.value.startswith("**Public demo**: labels and saved subsets stay in this browser session")
        for i in at.sidebar.info
    )
    at.sidebar.text_input(key="annotator").input("ana").run()
    first = _shown_object(at)
    at.selectbox(key="label_class").set_value("EW").run()
    at.button(key="save").click().run()
    _ok(at)
    mine = Path(at.session_state[SESSION_DB_KEY])
    assert mine.parent == public.parent.parent / "sessions"
    assert LabelDB(mine).latest("tiny-sim", "ana")[["object_id", "label"]].values.tolist() == [[first, "EW"]]

    other = _session(LABEL_PAGE)  # another browser, same annotator name
    other.sidebar.text_input(key="annotator").input("ana").run()
    assert _shown_object(other) == first  # nothing labelled here: the queue starts afresh
    other.session_state["all_labels"] = True  # the expander of all labels opened
    other.run()
    assert any(c.value.startswith("0 standing labels") for c in other.caption)
    theirs = Path(other.session_state[SESSION_DB_KEY])
    assert theirs != mine and LabelDB(theirs).latest("tiny-sim").empty

    at.switch_page("pages/map.py").run()
    at.sidebar.text_input(key="subset_name").set_value("my pick").run()
    at.sidebar.button(key="subset_save").click().run()
    _ok(at)
    assert SubsetDB(mine).names("tiny-sim") == ["my pick"] and SubsetDB(theirs).names("tiny-sim") == []
    assert not public.exists() and not public.parent.exists()  # the shared database was never created


def test_the_heavy_action_past_the_budget_is_refused_with_a_message(public):
    at = _session(SUBCLASS_PAGE)
    for cls in ("SR", "EW", "RRAB"):  # the map's space: the build's split, read, no action
        at.selectbox(key="subclass_class").set_value(cls).run()
        _ok(at)
        assert at.get("plotly_chart") and not _refusals(at)
    assert len(at.session_state[ACTIONS_KEY]) == 0 if ACTIONS_KEY in at.session_state else True
    at = _session(SUBCLASS_PAGE)
    at.selectbox(key="subclass_space").set_value("photometry").run()  # another space: each split makes a layout
    for cls in ("EW", "RRAB"):
        at.selectbox(key="subclass_class").set_value(cls).run()
        _ok(at)
        assert at.get("plotly_chart") and not _refusals(at)  # clustered and drawn
    at.run()  # a rerun of the last split is no new action
    assert len(at.session_state[ACTIONS_KEY]) == LIMIT
    at.selectbox(key="subclass_class").set_value("DSCT").run()
    _ok(at)
    assert not at.get("plotly_chart")  # not clustered
    (refused,) = _refusals(at)
    assert "Try again in" in refused
    assert len(at.session_state[ACTIONS_KEY]) == LIMIT


def test_exports_are_capped_counted_and_disabled_past_the_budget_and_samp_is_off(public, tiny_data):
    picked = [0, 1, 2, 3, 4]
    at = _session(lasso_rows=picked)
    assert any(c.value == "Public demo: exports hold the first 3 of these 5 rows." for c in at.caption)
    assert not [b for b in at.button if b.key == "samp_send"]
    assert any(c.value.startswith("Sending to TOPCAT / Aladin (SAMP) is off in this public demo") for c in at.caption)
    for clicks in range(1, LIMIT + 1):
        assert not any(b.proto.disabled for b in at.get("download_button"))
        at.get("download_button")[0].click().run()
        _ok(at)
        assert len(at.session_state[ACTIONS_KEY]) == clicks
    buttons = at.get("download_button")
    assert len(buttons) == 3 and all(b.proto.disabled for b in buttons)
    assert len(_refusals(at)) == 1


def test_a_label_table_over_the_upload_limit_is_refused_and_nothing_is_stored(public):
    at = _session(LABEL_PAGE)
    at.sidebar.text_input(key="annotator").input("ana").run()
    table = pd.DataFrame({"object_id": ["TINY-0000"] * 60_000, "note": ["x" * 20] * 60_000})
    data = table.to_csv(index=False).encode()
    assert len(data) > 2**20
    at.session_state["all_labels"] = True  # the expander of all labels opened
    at.run()
    at.file_uploader(key="labels_upload").set_value(("big.csv", data, "text/csv")).run()
    at.button(key="labels_import").click().run()
    _ok(at)
    (error,) = [e.value for e in at.error]
    assert error.startswith("Nothing imported: big.csv is ") and error.endswith("; the limit is 1 MB"), error
    assert LabelDB(Path(at.session_state[SESSION_DB_KEY])).history("tiny-sim").empty and not public.exists()
    assert len(at.session_state[ACTIONS_KEY]) == 1  # an import is a heavy action, refused or not


def test_a_label_import_above_the_row_cap_is_refused_whole(public, monkeypatch, tmp_path):
    config = Path(os.environ[public_mode.CONFIG_ENV])
    config.write_text(config.read_text() + "max_import_rows = 3\n")
    at = _session(LABEL_PAGE)
    at.sidebar.text_input(key="annotator").input("ana").run()
    at.session_state["all_labels"] = True
    at.run()
    assert any("at most 3 rows here" in u.label for u in at.get("file_uploader"))
    data = pd.DataFrame({"object_id": ["TINY-0000"] * 4, "label": "EW"}).to_csv(index=False).encode()
    at.file_uploader(key="labels_upload").set_value(("four.csv", data, "text/csv")).run()
    at.button(key="labels_import").click().run()
    _ok(at)
    assert [e.value for e in at.error] == ["Nothing imported: the table has 4 rows; an import here takes at most 3"]
    assert not Path(at.session_state[SESSION_DB_KEY]).exists()  # nothing written, not even a database


def test_a_visit_that_only_looks_leaves_no_database_behind(public):
    sessions = public.parent.parent / "sessions"
    for page in (None, LABEL_PAGE, SUBCLASS_PAGE, "pages/search.py", "pages/model.py"):
        at = _session(page)
        if page == LABEL_PAGE:
            at.sidebar.text_input(key="annotator").input("ana").run()
            at.button(key="skip").click().run()
            at.button(key="undo").click().run()  # nothing to undo: still nothing to keep
            _ok(at)
    assert not list(sessions.glob("*.sqlite*")) and not public.exists()
    assert public_mode.session_db_limit() == PublicSettings().session_mb * 2**20


def test_a_public_run_shows_no_error_details_and_refuses_to_serve_without_xsrf_protection(public):
    _session()
    assert st_config.get_option("client.showErrorDetails") == "none"
    assert st_config.get_option("client.toolbarMode") == "viewer"
    st_config.set_option("server.enableXsrfProtection", False)
    at = _session()
    assert [e.value for e in at.error] == [
        "This public demo needs XSRF protection: start it with `astrodisc serve --public`."
    ]
    assert not at.get("plotly_chart")


def test_two_sessions_share_one_copy_of_the_artifacts(public, tiny_data, monkeypatch):
    loads = []

    def counted(path):
        loads.append(load_artifacts(path))
        return loads[-1]

    monkeypatch.setattr(app_state, "load_artifacts", counted)
    app_state._load.clear()
    sessions = [_session(), _session()]
    assert len(loads) == 1  # loaded once for both sessions
    (artifact_set,) = [s for s in app_state.find_artifact_sets() if s.path == tiny_data.artifact_dir]
    shared = app_state.open_set(artifact_set).artifacts  # what every session's run gets from the cache
    assert shared is loads[0]
    for space, vectors in shared.embeddings.items():  # memory-mapped, read-only: shared through the page cache
        assert isinstance(vectors, np.memmap) and not vectors.flags.writeable, space
    assert app_state.filter_catalog(shared.catalog) is shared.catalog  # an unfiltered map copies nothing
    for at in sessions:  # and no session keeps a table or an array of its own
        kept = [k for k, v in at.session_state.to_dict().items() if isinstance(v, (pd.DataFrame, np.ndarray))]
        assert not kept, kept
