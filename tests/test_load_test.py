"""The load test's session driver against a real server (short runs), and its Streamlit client against a fake
socket (a run's exception, a cached message, the widget states sent)."""

import asyncio

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from astrodisc.app.client import (
    SessionError,
    StreamlitSession,
    trigger,
    widget_value,
)
from astrodisc.ops.load_test import ROUND, LoadConfig, _tracebacks, run_load


@pytest.mark.parametrize("public", [False, True], ids=["local", "public"])
def test_two_sessions_interact_without_errors(tiny_artifacts, public):
    # one round of every interaction per session, however busy the machine (minutes is only a safety bound)
    config = LoadConfig(sessions=2, minutes=3.0, max_interactions=len(ROUND), think_s=(0.3, 0.6), public=public)
    result = run_load(tiny_artifacts.data_root, config)
    assert result["interactions"] > 0
    assert result["errors"] == 0, result["error_samples"]
    assert result["server_tracebacks"] == []
    timed = {kind: figures for kind, figures in result["latency_s"].items() if figures["n"]}
    assert set(timed) == {"all", *ROUND} - ({"save_label"} if public else set())
    assert sum(timed[kind]["n"] for kind in set(ROUND) if kind in timed) == result["interactions"] == timed["all"]["n"]
    assert all(figures["min_s"] > 0 for figures in timed.values())
    assert 0 < result["server_rss_mb"]["start"] <= result["server_rss_mb"]["max"]
    assert result["server_cpu_s_per_interaction"] > 0


class FakeSocket:
    """A server answering each BackMsg with the next list of ForwardMsgs; keeps the ClientStates it was sent."""

    def __init__(self, *answers: list[ForwardMsg]) -> None:
        self.answers, self.sent = list(answers), []
        self.inbox: asyncio.Queue[bytes] = asyncio.Queue()

    async def send(self, message: bytes) -> None:
        self.sent.append(BackMsg.FromString(message).rerun_script)
        for forward in self.answers.pop(0):
            self.inbox.put_nowait(forward.SerializeToString())

    async def recv(self) -> bytes:
        return await self.inbox.get()

    async def close(self) -> None:
        pass


def _run(run_id: str, *deltas: ForwardMsg, status: int = ForwardMsg.FINISHED_SUCCESSFULLY) -> list[ForwardMsg]:
    """A script run ``run_id`` drawing ``deltas``, finished with ``status``."""
    start, end = ForwardMsg(), ForwardMsg()
    start.new_session.page_script_hash = start.new_session.main_script_hash = "main"
    start.metadata.run.script_run_id = end.metadata.run.script_run_id = run_id
    end.script_finished = status
    return [start, *deltas, end]


def _element(path: tuple[int, ...], kind: str, **fields) -> ForwardMsg:
    """A delta drawing an element of ``kind`` (its proto's ``fields``) at ``path``."""
    message = ForwardMsg()
    message.metadata.delta_path[:] = path
    message.metadata.active_script_hash = "main"
    getattr(message.delta.new_element, kind).MergeFrom(type(getattr(message.delta.new_element, kind))(**fields))
    return message


def _runs(socket: FakeSocket, *changes) -> list:
    """The Runs of a session on ``socket``: its first run, then one rerun per ``changes`` (a function of the
    last Run giving the widget changes)."""

    async def go() -> list:
        session = StreamlitSession(socket, "dataset=d")
        runs = [await session.rerun()]
        for change in changes:
            runs.append(await session.rerun(change(runs[-1])))
        return runs

    return asyncio.run(go())


def test_an_exception_shown_by_the_script_fails_the_rerun():
    boom = _element((0, 1), "exception", type="KeyError", message="'label'")
    with pytest.raises(SessionError, match="exception shown: KeyError: 'label'"):
        _runs(FakeSocket(_run("r1", _element((0, 0), "markdown", body="hello"), boom)))


def test_a_run_cut_short_by_a_rerun_is_followed_to_the_last_run():
    cut = _run("r1", _element((0, 0), "markdown", body="first"), status=ForwardMsg.FINISHED_EARLY_FOR_RERUN)
    socket = FakeSocket(cut + _run("r2", _element((0, 0), "markdown", body="second")))
    [run] = _runs(socket)
    assert [e.proto.body for e in run.find("markdown")] == ["second"]


def test_a_rerun_sends_every_widget_value_held_and_a_trigger_once():
    colour = _element(
        (1, 0), "selectbox", id="$$ID-a-colour_by", label="Colour by", options=["label", "cluster"], default=0
    )
    save = _element((1, 1), "button", id="$$ID-b-save", label="Save")
    socket = FakeSocket(*(_run(f"r{i}", colour, save) for i in range(4)))
    _runs(
        socket,
        lambda run: [widget_value(run.one("selectbox", key="colour_by"), "cluster")],
        lambda run: [trigger(run.one("button", key="save"))],
        lambda run: [],
    )
    sent = [{w.id: w for w in rerun.widget_states.widgets} for rerun in socket.sent]
    assert socket.sent[0].query_string == "dataset=d" and sent[0] == {}
    chosen = WidgetState(id="$$ID-a-colour_by", string_value="cluster")
    pressed = WidgetState(id="$$ID-b-save", trigger_value=True)
    assert sent[1:] == [{chosen.id: chosen}, {chosen.id: chosen, pressed.id: pressed}, {chosen.id: chosen}]


def test_a_cached_element_comes_back_by_reference():
    big = _element((0, 0), "markdown", body="a large element")
    big.hash, big.metadata.cacheable = "h1", True
    reference = ForwardMsg(ref_hash="h1")
    reference.metadata.delta_path[:] = (0, 0)
    socket = FakeSocket(_run("r1", big), _run("r2", reference))
    _, second = _runs(socket, lambda run: [])
    assert list(socket.sent[1].cached_message_hashes) == ["h1"]
    assert second.one("markdown").proto.body == "a large element"


def test_the_server_logs_tracebacks_come_out_whole_and_only_them():
    log = (
        '2026-11-24 INFO starting\nTraceback (most recent call last):\n  File "page.py", line 3, in <module>\n'
        "    boom()\nKeyError: 'x'\n2026-11-24 INFO next\nTraceback (most recent call last):\n"
        '  File "b.py", line 1\nValueError: y\n'
    )
    assert _tracebacks(log) == [
        "Traceback (most recent call last):\n  File \"page.py\", line 3, in <module>\n    boom()\nKeyError: 'x'",
        'Traceback (most recent call last):\n  File "b.py", line 1\nValueError: y',
    ]
    assert _tracebacks("2026-11-24 INFO all well\n") == []
