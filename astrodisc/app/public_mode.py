"""Public mode: the app as a public demo (``ASTRODISC_PUBLIC=1``, or ``astrodisc serve --public``).

What changes (the README's threat model says why):

* nothing is trained, built or written to the shared data: labels and saved subsets go to a database of this
  browser session in a scratch folder (``session_db_path``), never to ``labels.sqlite``;
* uploads are capped at ``upload_mb`` (``upload_limit``, ``check_upload``);
* heavy actions (an upload embedded and searched, a class split into sub-clusters, a label import, an export)
  share one budget per session, a sliding window of ``heavy_actions`` per ``window_s`` (``admit``, a pure
  function over timestamps; ``allow_heavy``, ``take_heavy`` and ``heavy_blocked`` apply it to the session);
* exports are capped at ``max_export_rows`` rows and made only when clicked;
* a label import takes at most ``max_import_rows`` rows, and a session's database at most ``session_mb``
  (``import_row_limit``, ``session_db_limit``); the database is made by the session's first label or saved
  subset, not by a visit, and databases untouched for ``session_ttl_h`` are removed;
* SAMP (which talks to a hub on the *server*) is off (``offline_only``) and server paths are not shown
  (``shown_path``);
* Streamlit's own hardening (XSRF protection, CORS, no error details, viewer toolbar, upload cap, no file
  watcher) is ``streamlit_flags``, which ``astrodisc serve`` passes on the command line; ``harden_app`` re-applies
  the options a script may set and refuses to serve without XSRF protection.

Settings. The switch is an environment variable, one line in a Dockerfile or a service unit. The limits have
defaults here and may be changed in the ``[public]`` table of a TOML file at ``ASTRODISC_CONFIG`` (default
``<project>/astrodisc.toml``; absent: the defaults), e.g.::

    [public]
    upload_mb = 5
    heavy_actions = 5      # per window_s per browser session
    window_s = 60

They are not in ``.streamlit/config.toml``: Streamlit warns about every option it does not know there, and
its options are the server's, while these are the app's. ``ASTRODISC_PUBLIC`` overrides the file's ``enabled``.
"""

from __future__ import annotations

import os
import tempfile
import time
import tomllib
import uuid
from collections.abc import Hashable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit.string_util import to_snake_case

from astrodisc.errors import UserError
from astrodisc.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from streamlit.runtime import Runtime

PUBLIC_ENV, CONFIG_ENV = "ASTRODISC_PUBLIC", "ASTRODISC_CONFIG"
CONFIG_FILE = PROJECT_ROOT / "astrodisc.toml"
TRUE, FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
NOTICE = (
    "**Public demo**: labels and saved subsets stay in this browser session (a reload starts afresh); "
    "nothing is written to the shared data. Uploads, exports and sub-class splits are rate-limited."
)
SESSION_DB_KEY = "_public_session_db"  # session state: this session's database file
ACTIONS_KEY = "_public_heavy_actions"  # session state: times [s, monotonic] of the admitted heavy actions
LAST_KEY = "_public_last_"  # + action name: the request last admitted (a rerun of it is no new action)


@dataclass(frozen=True)
class PublicSettings:
    """Public-mode settings; the limits apply only when ``enabled``."""

    enabled: bool = False
    upload_mb: int = 5  # largest upload [MB]
    heavy_actions: int = 5  # heavy actions per window and browser session
    window_s: float = 60.0  # the rate limit's sliding window [s]
    max_export_rows: int = 5_000  # rows of an exported table
    max_import_rows: int = 5_000  # rows of an imported label table
    session_mb: int = 20  # largest session database (labels and saved subsets) [MB]
    session_dir: Path = Path(tempfile.gettempdir()) / "astrodisc-public"  # the sessions' label databases
    session_ttl_h: float = 24.0  # a session database untouched this long [h] is deleted


@dataclass(frozen=True)
class Admission:
    """The rate limiter's answer: ``times`` are the window's admitted actions after this request."""

    allowed: bool
    times: tuple[float, ...]
    retry_after_s: float  # until the oldest action leaves the window; 0 when allowed


def settings() -> PublicSettings:
    """The settings from ``ASTRODISC_CONFIG`` (or ``astrodisc.toml``) and ``ASTRODISC_PUBLIC``; a UserError names a
    bad value."""
    path = Path(os.environ.get(CONFIG_ENV, CONFIG_FILE))
    table = {}
    if path.is_file():
        try:
            table = tomllib.loads(path.read_text()).get("public", {})
        except tomllib.TOMLDecodeError as err:
            raise UserError(f"{path} is not valid TOML: {err}") from None
    known = [f.name for f in fields(PublicSettings)]
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise UserError(f"{path}: unknown setting public.{unknown[0]} (known: {', '.join(known)})")
    values: dict[str, Any] = {name: _typed(name, value, path) for name, value in table.items()}  # typed by _typed
    result = replace(PublicSettings(), **values)
    flag = os.environ.get(PUBLIC_ENV)
    if flag is not None:
        result = replace(result, enabled=_switch(flag))
    for name in (
        "upload_mb",
        "heavy_actions",
        "window_s",
        "max_export_rows",
        "max_import_rows",
        "session_mb",
        "session_ttl_h",
    ):
        if getattr(result, name) <= 0:
            raise UserError(f"public.{name} must be positive, got {getattr(result, name)!r}")
    return result


def _typed(name: str, value: object, path: Path) -> object:
    """``value`` of setting ``name`` from the file at ``path`` as the type of its default (an int may be a float)."""
    default = getattr(PublicSettings, name)
    default_type = type(default)
    if isinstance(default, Path):
        if isinstance(value, str):
            return Path(value)
    elif type(value) is default_type or default_type is float and type(value) is int:
        return default_type(value)
    kind = "path" if isinstance(default, Path) else type(default).__name__
    raise UserError(f"{path}: public.{name} must be a {kind}, got {value!r}")


def _switch(text: str) -> bool:
    value = text.strip().lower()
    if value not in TRUE + FALSE:
        raise UserError(f"{PUBLIC_ENV} must be one of {', '.join(TRUE)} or {', '.join(FALSE[1:])}, got {text!r}")
    return value in TRUE


def enabled() -> bool:
    """Whether the app runs as a public demo."""
    return settings().enabled


# ---- the Streamlit server -----------------------------------------------------------------------------------


def streamlit_flags(public: PublicSettings) -> list[str]:
    """The ``streamlit run`` options of a public server: XSRF and CORS protection on, no error details (generic
    messages, never a traceback), the viewer toolbar, the upload cap, no file watcher."""
    return [
        "--server.enableXsrfProtection",
        "true",
        "--server.enableCORS",
        "true",
        "--client.showErrorDetails",
        "none",
        "--client.toolbarMode",
        "viewer",
        "--server.maxUploadSize",
        str(public.upload_mb),
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
    ]


def streamlit_env(public: PublicSettings) -> dict[str, str]:
    """:func:`streamlit_flags` as Streamlit's environment variables (``--server.maxUploadSize`` ->
    ``STREAMLIT_SERVER_MAX_UPLOAD_SIZE``), for a server started with other options of its own."""
    flags = streamlit_flags(public)
    return {
        f"STREAMLIT_{to_snake_case(name.removeprefix('--').replace('.', '_')).upper()}": value
        for name, value in zip(flags[::2], flags[1::2], strict=True)
    }


def close_metrics() -> None:
    """Make Streamlit's ``/_stcore/metrics`` (every session's upload sizes, cache and memory figures, readable by
    anyone) answer 404, in a server not yet started: Streamlit has no option for it, so the route factory its
    Starlette app calls is replaced (``test_serve`` proves the route is there otherwise and gone after this)."""
    from starlette.responses import PlainTextResponse  # noqa: PLC0415 - only in the server launcher
    from starlette.routing import BaseRoute, Route
    from streamlit.web.server.starlette import starlette_app, starlette_routes

    async def closed(request: object) -> PlainTextResponse:
        return PlainTextResponse("not found", status_code=404)

    def no_metrics(runtime: Runtime, base_url: str | None) -> list[BaseRoute]:
        path = starlette_routes._with_base(starlette_routes.ROUTE_METRICS, base_url)
        return [Route(path, closed, methods=["GET", "OPTIONS"])]

    starlette_app.create_metrics_routes = no_metrics


def harden_app() -> None:
    """In public mode, at the top of every script run: no error details and the viewer toolbar (the options a
    script may set, for a server started without ``streamlit_flags``), stop unless XSRF protection is on, and
    show the public-demo notice in the sidebar."""
    if not enabled():
        return
    st.set_option("client.showErrorDetails", "none")
    st.set_option("client.toolbarMode", "viewer")
    if not st.get_option("server.enableXsrfProtection"):
        st.error("This public demo needs XSRF protection: start it with `astrodisc serve --public`.")
        st.stop()
    st.sidebar.info(NOTICE, icon=":material/public:")


def shown_path(path: Path) -> str:
    """A server path as the app shows it: in public mode its last part only."""
    return Path(path).name if enabled() else str(path)


def offline_only(what: str) -> bool:
    """False, with a note saying so, when ``what`` (an action on the server's machine) is off in public mode."""
    if not enabled():
        return True
    st.caption(f"{what} is off in this public demo: it would act on the server's machine, not yours.")
    return False


# ---- per-session labels -------------------------------------------------------------------------------------


def session_db_path(public: PublicSettings) -> Path:
    """This browser session's database (labels and saved subsets) under ``public.session_dir``, named by a
    random id; naming one deletes the databases untouched for ``session_ttl_h``. The file itself is made by the
    session's first write (``sqlite_wal``): a visit that only looks leaves nothing behind."""
    path = st.session_state.get(SESSION_DB_KEY)
    if path is None:
        public.session_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        remove_stale(public.session_dir, public.session_ttl_h * 3600.0, time.time())
        path = public.session_dir / f"{uuid.uuid4().hex}.sqlite"
        st.session_state[SESSION_DB_KEY] = path
    return path


def remove_stale(folder: Path, age_s: float, now: float) -> list[Path]:
    """Delete the ``*.sqlite`` databases in ``folder`` (with their -wal and -shm files) none of whose files
    changed in the last ``age_s`` seconds before ``now``; returns the deleted databases. Other sessions' SQLite
    connections create and remove their -wal and -shm files at any moment: a file gone between listing and
    reading its time is simply not there."""
    stale = []
    for db in folder.glob("*.sqlite"):
        parts = (db, Path(f"{db}-wal"), Path(f"{db}-shm"))
        times = [t for t in map(_changed_at, parts) if t is not None]
        if times and now - max(times) > age_s:
            for part in parts:
                part.unlink(missing_ok=True)
            stale.append(db)
    return stale


def _changed_at(path: Path) -> float | None:
    """Modification time of ``path`` [s since the epoch], None if there is no such file."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return None


def session_db_limit() -> int | None:
    """The largest session database [bytes] in public mode (None outside it)."""
    public = settings()
    return public.session_mb * 2**20 if public.enabled else None


def import_row_limit() -> int | None:
    """The most rows a label import may hold in public mode (None outside it)."""
    public = settings()
    return public.max_import_rows if public.enabled else None


# ---- uploads ------------------------------------------------------------------------------------------------


def upload_limit(default_bytes: int) -> int:
    """The largest upload [bytes]: ``default_bytes``, or the public cap if smaller."""
    public = settings()
    return min(default_bytes, public.upload_mb * 2**20) if public.enabled else default_bytes


def check_upload(data: bytes, name: str, limit_bytes: int) -> None:
    """A UserError if ``data`` is larger than ``limit_bytes`` (the server checks, whatever the browser sent)."""
    if len(data) > limit_bytes:
        raise UserError(f"{name} is {len(data) / 2**20:.1f} MB; the limit here is {limit_bytes / 2**20:g} MB")


# ---- rate limit of heavy actions ----------------------------------------------------------------------------


def admit(times: tuple[float, ...], now: float, limit: int, window_s: float) -> Admission:
    """Sliding-window rate limit: admit an action at ``now`` [s] if fewer than ``limit`` of the earlier admitted
    actions (``times`` [s]) lie within the last ``window_s`` seconds.

    >>> admit((0.0, 10.0), 30.0, limit=2, window_s=60.0).retry_after_s
    30.0
    >>> admit((0.0, 10.0), 61.0, limit=2, window_s=60.0).times
    (10.0, 61.0)
    """
    recent = tuple(t for t in times if now - t < window_s)
    if len(recent) >= limit:
        return Admission(False, recent, recent[-limit] + window_s - now)
    return Admission(True, recent + (now,), 0.0)


def _session_admission(public: PublicSettings) -> Admission:
    return admit(tuple(st.session_state.get(ACTIONS_KEY, ())), time.monotonic(), public.heavy_actions, public.window_s)


def limit_message(public: PublicSettings, retry_after_s: float) -> str:
    return (
        f"Public demo: at most {public.heavy_actions} heavy actions (uploads searched, classes split, "
        f"label imports, exports) per {public.window_s:g} s in one session. Try again in "
        f"{max(1, round(retry_after_s))} s."
    )


def take_heavy() -> str | None:
    """Spend one heavy action of this session's budget: None when done (or outside public mode), else the
    message saying when to try again. Also a download button's ``on_click``."""
    public = settings()
    if not public.enabled:
        return None
    admission = _session_admission(public)
    if not admission.allowed:
        return limit_message(public, admission.retry_after_s)
    st.session_state[ACTIONS_KEY] = admission.times
    return None


def allow_heavy(action: str, request: Hashable) -> bool:
    """Whether this session may do heavy ``action`` on ``request`` now (always outside public mode). A request
    equal to the action's last admitted one is a rerun showing its result, not a new action. When refused, an
    ``st.info`` says how long to wait."""
    if not enabled() or st.session_state.get(LAST_KEY + action) == request:
        return True
    refused = take_heavy()
    if refused is not None:
        st.info(refused, icon=":material/hourglass:")
        return False
    st.session_state[LAST_KEY + action] = request
    return True


def heavy_blocked() -> str | None:
    """In public mode with this session's budget spent, the message saying when to try again; else None."""
    public = settings()
    if not public.enabled:
        return None
    admission = _session_admission(public)
    return None if admission.allowed else limit_message(public, admission.retry_after_s)
