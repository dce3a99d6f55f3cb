"""A Streamlit session spoken over its websocket as the browser's frontend speaks it: no browser, no rendering.

A :class:`StreamlitSession` is one browser tab's connection to ``streamlit run``: it connects, reruns the script
with the widget states a person's clicks and typing would give, and returns the elements of the last script run
(a :class:`Run`), or raises :class:`SessionError` on a timeout, a closed connection, an exception the script
showed, a run that did not finish successfully, or an element looked for and missing. Example::

    session, run = await StreamlitSession.open("http://127.0.0.1:8501", "dataset=varstars-demo")
    run = await session.rerun([trigger(run.one("button", key="save"))])
    await session.close()

The protocol as Streamlit 1.67 speaks it (server: ``streamlit/web/server/starlette/starlette_websocket.py`` and
``streamlit/runtime/app_session.py``; frontend: the App and WebsocketConnection code bundled in ``static/``):

* Connecting. The frontend first asks ``/_stcore/health``, whose answer sets the ``_streamlit_xsrf`` cookie
  when XSRF protection is on (``astrodisc serve --public``), then opens ``/_stcore/stream`` with the
  subprotocols ``streamlit, <the cookie's token, else PLACEHOLDER_AUTH_TOKEN>``, the cookie and its own
  origin. The server refuses a foreign origin (same origin passes, also with CORS protection on) and selects
  ``streamlit``; the token only unlocks an authentication cookie, so it refuses no connection, but it is sent
  as the frontend sends it.
* Running. A ``rerun_script`` BackMsg carries the ClientState: the query string (the URL's, afterwards the one
  the server last set with ``page_info_changed``, as the address bar follows it), the page
  (``page_script_hash``; empty with an empty ``page_name`` for the URL's page "/", the default page), the
  widget states and the hashes of the cached messages. The server answers ``new_session`` (a run starts; it
  names the page and the main script), ``navigation`` (the pages and their hashes), deltas (``new_element``
  or ``add_block`` at ``metadata.delta_path``: root container 0 main, 1 sidebar, then child indices) and
  ``script_finished``: FINISHED_SUCCESSFULLY, or FINISHED_EARLY_FOR_RERUN when ``st.rerun`` cut the run short
  and another follows; ``session_status_changed`` says the same for a status bar. An uncaught exception in
  the script is an ``exception`` element in a successful run, not a status.
* Widget states. Like the frontend's WidgetStateManager, the session holds a value for every widget drawn:
  its default when first drawn, the server's when a delta says ``set_value`` (a callback or session state
  set it), the person's once changed. Each rerun sends them all, a button's ``trigger_value`` only in the
  rerun it causes; a finished run drops the widgets it no longer drew. Changing page keeps only the widgets of
  the main script and drops the query string, as the sidebar navigation does.
* Message cache. Elements of ``global.minCachedMessageSize`` or more come ``cacheable``: the session keeps
  them by hash and lists the hashes in every rerun, and the server then sends a ``ref_hash`` for an element
  the session holds. As in the frontend, a message not seen for ``max_cached_message_age`` successful runs
  (``new_session.config``) is forgotten.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import urlsplit

import numpy as np
from google.protobuf.message import Message
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.runtime.state.common import user_key_from_element_id
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Origin, Subprotocol

XSRF_COOKIE = "_streamlit_xsrf"
NO_TOKEN = "PLACEHOLDER_AUTH_TOKEN"  # the frontend's second subprotocol without an XSRF cookie
QUIET_S = 0.3  # no new script run for this long after the last one finished: the rerun has settled [s]
TIMEOUT_S = 60.0  # longest wait for a rerun to settle [s]
DEFAULT_CACHE_AGE = 2  # global.maxCachedMessageAge until new_session says otherwise [successful runs]
# The widget state a drawn widget holds (the value type the server registers it with); others hold none until
# changed (a plotly chart's selection) or only for the rerun they cause (a button's trigger).
VALUE_TYPES = {
    "checkbox": "bool_value",
    "number_input": "double_value",
    "slider": "double_array_value",
    "text_input": "string_value",
    "text_area": "string_value",
    "selectbox": "string_value",
    "radio": "string_value",
    "multiselect": "string_array_value",
    "button_group": "string_array_value",
}


class SessionError(RuntimeError):
    """A rerun that failed: a timeout, a closed connection, an exception shown, a run that did not finish
    successfully, or an element looked for and missing."""


class Socket(Protocol):
    """The websocket a session speaks over (``websockets``' client connection; a fake one in tests)."""

    async def send(self, message: bytes) -> None: ...

    async def recv(self) -> str | bytes: ...  # a text frame is str (Streamlit sends binary ones only)

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Element:
    """One element of a script run: its ``path`` (delta path: root container, 0 main or 1 sidebar, then child
    indices), its ``kind`` (``button``, ``plotly_chart``, ...), its own ``proto`` (``Element.<kind>``) and the
    hash of the script that drew it (the main script's or the page's)."""

    path: tuple[int, ...]
    kind: str
    proto: Message
    script_hash: str

    @property
    def id(self) -> str:
        """The widget's id, computed by Streamlit from its key and parameters ("" for a non-widget)."""
        return getattr(self.proto, "id", "")

    @property
    def key(self) -> str | None:
        """The widget's user key (None without one)."""
        return user_key_from_element_id(self.id) if self.id else None

    @property
    def label(self) -> str:
        return getattr(self.proto, "label", "")


@dataclass(frozen=True)
class Run:
    """The elements the last script run of a rerun drew, the containers given a key (path -> key), and the
    rerun's latency [s]: from sending it to the finish of that last run."""

    elements: dict[tuple[int, ...], Element]
    blocks: dict[tuple[int, ...], str]
    latency_s: float

    def find(
        self, kind: str, *, key: str | None = None, label: str | None = None, within: str | None = None
    ) -> list[Element]:
        """The elements of ``kind`` with user key ``key`` and ``label`` inside the container of key ``within``
        (each None: any), in drawing order."""
        inside = [path for path, block_key in self.blocks.items() if block_key == within]
        return [
            e
            for path, e in sorted(self.elements.items())
            if e.kind == kind
            and key in (None, e.key)
            and label in (None, e.label)
            and (within is None or any(path[: len(p)] == p for p in inside))
        ]

    def one(self, kind: str, **how: str) -> Element:
        """The first element :meth:`find` finds; SessionError if there is none."""
        found = self.find(kind, **how)
        if not found:
            where = ", ".join(f"{name} {value!r}" for name, value in how.items())
            raise SessionError(f"no {kind} ({where}) among the run's {len(self.elements)} elements")
        return found[0]


@dataclass(frozen=True)
class Marker:
    """One marker of a plotly chart: its trace (``curve``), index in the trace, position and ``customdata``."""

    curve: int
    index: int
    x: Any
    y: Any
    customdata: Any
    legendgroup: str


async def connect(url: str, timeout_s: float = TIMEOUT_S) -> Socket:
    """The websocket of the Streamlit server at ``url`` (``http://host:port``), opened as the frontend opens it."""
    cookie = await asyncio.to_thread(_xsrf_cookie, url, timeout_s)
    parts = urlsplit(url)
    return await ws_connect(
        f"ws://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream",
        subprotocols=[Subprotocol("streamlit"), Subprotocol(cookie.split("=", 1)[1] if cookie else NO_TOKEN)],
        origin=Origin(f"{parts.scheme}://{parts.netloc}"),
        additional_headers={"Cookie": cookie} if cookie else None,
        proxy=None,
        max_size=None,
        open_timeout=timeout_s,
    )


def _xsrf_cookie(url: str, timeout_s: float) -> str | None:
    """``name=token`` of the XSRF cookie the health check sets; None when XSRF protection is off."""
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout_s) as answer:
        for header in answer.headers.get_all("Set-Cookie") or []:
            pair = header.split(";", 1)[0].strip()
            if pair.startswith(f"{XSRF_COOKIE}="):
                return pair
    return None


class StreamlitSession:
    """One Streamlit session over ``socket``, at first with the URL's ``query_string`` (without "?")."""

    def __init__(self, socket: Socket, query_string: str = "") -> None:
        self.query_string = query_string
        self.page_script_hash = ""  # the page shown ("" before the first run: the URL's)
        self.main_script_hash = ""
        self.pages: dict[str, str] = {}  # title in the navigation -> page_script_hash
        self._socket = socket
        self._elements: dict[tuple[int, ...], Element] = {}
        self._blocks: dict[tuple[int, ...], str] = {}
        self._widgets: dict[str, WidgetState] = {}  # id -> the value held
        self._scripts: dict[str, str] = {}  # widget id -> hash of the script that drew it
        self._cache: dict[str, tuple[ForwardMsg, int]] = {}  # hash -> (message, successful runs when last seen)
        self._runs = 0  # successful runs so far
        self._cache_age = DEFAULT_CACHE_AGE

    @classmethod
    async def open(cls, url: str, query_string: str = "", timeout_s: float = TIMEOUT_S) -> tuple[StreamlitSession, Run]:
        """Connect to the server at ``url`` and run the default page with ``query_string``, as a browser opening
        ``url/?query_string``; the session and its first Run, whose latency counts from the connection."""
        started = time.monotonic()
        try:
            socket = await connect(url, timeout_s)
        except (OSError, TimeoutError, WebSocketException) as err:
            raise SessionError(f"cannot connect: {type(err).__name__}: {err}") from err
        session, connected = cls(socket, query_string), time.monotonic()
        try:
            run = await session.rerun(timeout_s=timeout_s - (connected - started))
        except BaseException:
            await session.close()
            raise
        return session, replace(run, latency_s=connected - started + run.latency_s)

    async def close(self) -> None:
        await self._socket.close()

    def held(self, element: Element) -> WidgetState | None:
        """The value the session holds for widget ``element`` (None if none)."""
        return self._widgets.get(element.id)

    async def rerun(
        self, changes: Sequence[WidgetState] = (), page: str | None = None, timeout_s: float = TIMEOUT_S
    ) -> Run:
        """Rerun the script with ``changes`` to the widget states, on the page titled ``page`` in the navigation
        (None: the page shown), and wait until it has settled; the last script run."""
        started = time.monotonic()
        message = BackMsg()
        message.rerun_script.CopyFrom(self._client_state(changes, page))
        try:
            await self._socket.send(message.SerializeToString())
        except (ConnectionClosed, OSError) as err:
            raise SessionError(f"connection lost: {err}") from err
        return await self._settle(started, timeout_s)

    def _client_state(self, changes: Sequence[WidgetState], page: str | None) -> ClientState:
        state = ClientState(
            query_string=self.query_string,
            page_script_hash=self.page_script_hash,
            cached_message_hashes=list(self._cache),
        )
        if page is not None:
            if page not in self.pages:
                raise SessionError(f"no page {page!r} in the navigation ({', '.join(self.pages)})")
            if self.pages[page] != self.page_script_hash:
                self.query_string = state.query_string = ""
                self._widgets = {
                    i: w for i, w in self._widgets.items() if self._scripts.get(i) == self.main_script_hash
                }
            state.page_script_hash = self.pages[page]
        self._widgets.update((c.id, c) for c in changes if c.WhichOneof("value") != "trigger_value")
        sent = {**self._widgets, **{c.id: c for c in changes}}
        state.widget_states.widgets.extend(sent.values())
        return state

    async def _settle(self, started: float, timeout_s: float) -> Run:
        """Read the server's messages until the last run the rerun caused has finished and QUIET_S passed
        without a new one; SessionError on whatever went wrong in any of its runs."""
        deadline, problems = started + timeout_s, []
        run_started = finished = None
        while True:
            try:
                message = await asyncio.wait_for(
                    self._receive(),
                    max(0.0, (deadline if finished is None else min(deadline, finished + QUIET_S)) - time.monotonic()),
                )
            except TimeoutError:
                if finished is None:
                    raise SessionError(f"no script run finished within {timeout_s:.0f} s") from None
                break
            kind = message.WhichOneof("type")
            if kind == "new_session":
                run_started, finished = message.metadata.run.script_run_id, None
                self._start_run(message)
            elif run_started is None:
                continue  # left over from before this rerun
            elif kind == "delta":
                problems += self._take_delta(message)
            elif kind == "script_finished" and message.metadata.run.script_run_id == run_started:
                problems += self._finish_run(message.script_finished)
                if message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    finished = time.monotonic()
            else:
                problems += self._take_other(message)
        if problems:
            raise SessionError("; ".join(problems))
        return Run(dict(self._elements), dict(self._blocks), finished - started)

    async def _receive(self) -> ForwardMsg:
        try:
            data = await self._socket.recv()
        except ConnectionClosed as err:
            raise SessionError(f"connection closed: {err}") from err
        if isinstance(data, str):
            raise SessionError(f"the server sent a text frame, not a ForwardMsg: {data[:300]!r}")
        message = ForwardMsg()
        message.ParseFromString(data)
        return self._through_cache(message)

    def _through_cache(self, message: ForwardMsg) -> ForwardMsg:
        """``message``, or the cached message a ``ref_hash`` names (with the reference's metadata); keeps
        cacheable messages."""
        if message.WhichOneof("type") == "ref_hash":
            if message.ref_hash not in self._cache:
                raise SessionError(f"the server referred to message {message.ref_hash}, which is not cached")
            cached = ForwardMsg()
            cached.CopyFrom(self._cache[message.ref_hash][0])
            cached.metadata.CopyFrom(message.metadata)
            self._cache[message.ref_hash] = (self._cache[message.ref_hash][0], self._runs)
            return cached
        if message.metadata.cacheable:
            self._cache[message.hash] = (message, self._runs)
        return message

    def _start_run(self, message: ForwardMsg) -> None:
        new_session = message.new_session
        self.page_script_hash = new_session.page_script_hash
        self.main_script_hash = new_session.main_script_hash
        self._cache_age = new_session.config.max_cached_message_age or DEFAULT_CACHE_AGE
        if not message.metadata.run.fragment_ids:  # a whole run draws everything again
            self._elements.clear()
            self._blocks.clear()

    def _take_delta(self, message: ForwardMsg) -> list[str]:
        """Keep the element or keyed container ``message`` adds; the exception it shows, if one."""
        path, delta = tuple(message.metadata.delta_path), message.delta
        if delta.WhichOneof("type") == "add_block" and delta.add_block.id:
            block_key = user_key_from_element_id(delta.add_block.id)
            if block_key is None:  # a container without a user key: none to find it by
                self._blocks.pop(path, None)
            else:
                self._blocks[path] = block_key
        if delta.WhichOneof("type") != "new_element":
            return []
        kind = delta.new_element.WhichOneof("type")
        if kind is None:  # an element without content: nothing drawn
            return []
        element = Element(path, kind, getattr(delta.new_element, kind), message.metadata.active_script_hash)
        self._elements[path] = element
        if element.id:
            self._scripts[element.id] = element.script_hash
            if getattr(element.proto, "set_value", False) or element.id not in self._widgets:
                drawn = _drawn_value(element)
                if drawn is None:
                    self._widgets.pop(element.id, None)
                else:
                    self._widgets[element.id] = drawn
        if kind == "exception":
            shown = element.proto
            return [f"{'warning' if shown.is_warning else 'exception'} shown: {shown.type}: {shown.message[:300]}"]
        return []

    def _finish_run(self, status: int) -> list[str]:
        """After a successful run: drop the widgets it did not draw and age the cache; the problem if it failed."""
        if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
            return ["the script did not compile"]
        if status == ForwardMsg.FINISHED_SUCCESSFULLY:
            drawn = {e.id for e in self._elements.values() if e.id}
            self._widgets = {i: w for i, w in self._widgets.items() if i in drawn}
            self._scripts = {i: h for i, h in self._scripts.items() if i in drawn}
            self._runs += 1
            self._cache = {h: (m, seen) for h, (m, seen) in self._cache.items() if self._runs - seen <= self._cache_age}
        return []

    def _take_other(self, message: ForwardMsg) -> list[str]:
        """Follow the navigation and the query string; the problem a page-not-found or session event reports."""
        kind = message.WhichOneof("type")
        if kind == "navigation":
            self.pages = {p.page_name: p.page_script_hash for p in message.navigation.app_pages}
            self.page_script_hash = message.navigation.page_script_hash or self.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = message.page_info_changed.query_string
        elif kind == "page_not_found":
            return [f"page not found: {message.page_not_found.page_name!r}"]
        elif kind == "session_event" and message.session_event.WhichOneof("type") == "script_compilation_exception":
            error = message.session_event.script_compilation_exception
            return [f"script compilation exception: {error.type}: {error.message[:300]}"]
        return []


def _field(proto: Message, name: str) -> Any:
    """Field ``name`` of ``proto``; None when the field tracks presence and is unset."""
    try:
        return getattr(proto, name) if proto.HasField(name) else None
    except ValueError:  # a field without presence (or a repeated one): always has its value
        return getattr(proto, name)


def _drawn_value(element: Element) -> WidgetState | None:
    """The value the frontend holds for widget ``element`` as drawn: the server's if it sets one
    (``set_value``), else the widget's default; None for a widget holding none (see VALUE_TYPES)."""
    proto, kind = element.proto, element.kind
    if kind not in VALUE_TYPES or kind == "slider" and proto.type == Slider.SELECT_SLIDER:
        return None
    if kind in ("selectbox", "radio"):
        index = _field(proto, "default")
        value = _field(proto, "raw_value") if proto.set_value else None if index is None else options(element)[index]
    elif kind in ("multiselect", "button_group"):
        value = list(proto.raw_values) if proto.set_value else [options(element)[i] for i in proto.default]
    else:
        value = _field(proto, "value" if proto.set_value else "default")
    return None if value is None else widget_value(element, value)


def options(element: Element) -> list[str]:
    """The options of a selectbox, radio, multiselect or button group (pills, segmented control) as shown."""
    return [o if isinstance(o, str) else o.content for o in element.proto.options]


def widget_value(element: Element, value: Any) -> WidgetState:
    """Widget ``element`` set to ``value``, as the frontend encodes it: an option's text (see :func:`options`)
    for a selectbox or radio, a list of them for a multiselect or button group, the text of a text input, a list
    of numbers for a slider."""
    state = WidgetState(id=element.id)
    value_type = VALUE_TYPES[element.kind]
    if value_type.endswith("_array_value"):
        getattr(state, value_type).data.extend(value)
    else:
        setattr(state, value_type, value)
    return state


def trigger(element: Element) -> WidgetState:
    """A press of button ``element``."""
    return WidgetState(id=element.id, trigger_value=True)


def plotly_markers(element: Element) -> list[Marker]:
    """The markers with ``customdata`` of the figure a ``plotly_chart`` element carries (its spec's traces,
    plotly's typed arrays decoded)."""
    markers = []
    for curve, trace in enumerate(json.loads(element.proto.spec).get("data", [])):
        if "customdata" in trace and "x" in trace and "y" in trace:
            xs, ys, data = (_plotly_array(trace[name]).tolist() for name in ("x", "y", "customdata"))
            group = trace.get("legendgroup") or ""
            markers += [Marker(curve, i, x, y, d, group) for i, (x, y, d) in enumerate(zip(xs, ys, data, strict=False))]
    return markers


def _plotly_array(value: Any) -> np.ndarray:
    """A trace's array as plotly.py writes it: a list, or a typed array ``{"dtype", "bdata"[, "shape"]}``."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        return array.reshape([int(n) for n in str(shape).split(",")]) if shape else array
    return np.asarray(value)


def plotly_click(element: Element, marker: Marker) -> WidgetState:
    """The selection state the frontend sends after a click on ``marker`` of a ``plotly_chart`` (clickmode
    event+select): the point, snake-cased as in the frontend, as the one selected point."""
    point = {
        "curve_number": marker.curve,
        "point_number": marker.index,
        "point_index": marker.index,
        "x": marker.x,
        "y": marker.y,
        "customdata": marker.customdata,
    }
    if marker.legendgroup:
        point["legendgroup"] = marker.legendgroup
    selection = {"selection": {"points": [point], "point_indices": [marker.index], "box": [], "lasso": []}}
    return WidgetState(id=element.id, string_value=json.dumps(selection))
