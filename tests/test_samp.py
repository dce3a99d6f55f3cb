"""Sending a selection over SAMP to a listening client, through a real hub run for the test."""

from __future__ import annotations

import threading

import pandas as pd
import pytest
from astropy.table import Table
from pyvo.samp import SAMPHubServer, SAMPIntegratedClient

from astrodisc.base.samp import send_to_samp
from astrodisc.errors import UserError


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """A SAMP hub on localhost whose lockfile $SAMP_HUB points at (so ~/.samp is never touched)."""
    lockfile = tmp_path / "samp.lock"
    server = SAMPHubServer(lockfile=str(lockfile), web_profile=False)
    server.start()
    monkeypatch.setenv("SAMP_HUB", f"std-lockurl:file://{lockfile}")
    yield server
    server.stop()


def test_a_selection_reaches_a_listening_client_as_a_votable(hub):
    received: dict = {}
    done = threading.Event()
    topcat = SAMPIntegratedClient(name="fake-topcat")
    topcat.connect()

    def on_table(private_key, sender_id, msg_id, mtype, params, extra):
        received["name"] = params["name"]
        received["table"] = Table.read(params["url"], format="votable").to_pandas()
        topcat.reply(msg_id, {"samp.status": "samp.ok", "samp.result": {}})
        done.set()

    topcat.bind_receive_call("table.load.votable", on_table)
    try:
        selection = pd.DataFrame({"object_id": pd.array(["G1", "G7"], dtype="string"), "ra": [10.5, 11.0]})
        assert send_to_samp(selection, "galaxies-demo selection") == 1
        assert done.wait(10)
    finally:
        topcat.disconnect()
    assert received["name"] == "galaxies-demo selection"
    assert received["table"]["object_id"].astype(str).tolist() == ["G1", "G7"]
    assert received["table"]["ra"].tolist() == [10.5, 11.0]


def test_without_a_hub_the_message_says_what_to_start(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMP_HUB", f"std-lockurl:file://{tmp_path / 'no-such.lock'}")
    with pytest.raises(UserError, match="start TOPCAT or Aladin"):
        send_to_samp(pd.DataFrame({"object_id": ["G1"]}), "x")


def test_a_hub_without_other_clients_says_so(hub):
    with pytest.raises(UserError, match="no client of the SAMP hub takes tables"):
        send_to_samp(pd.DataFrame({"object_id": ["G1"]}), "x")
