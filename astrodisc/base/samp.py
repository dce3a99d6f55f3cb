"""Send a table to TOPCAT, Aladin or any other SAMP client over the desktop's running SAMP hub (pyvo.samp,
the successor of astropy.samp). The hub is found the standard way: $SAMP_HUB, else ~/.samp."""

from __future__ import annotations

import pandas as pd

from astrodisc.base.tables import astropy_table
from astrodisc.errors import UserError

CLIENT_NAME = "astrodisc"
MTYPE = "table.load.votable"
REPLY_TIMEOUT_S = "10"  # how long each client may take to load the table


def send_to_samp(table: pd.DataFrame, name: str) -> int:
    """Send ``table`` as a VOTable named ``name`` to every client of the running hub; returns how many got it.
    A UserError says what to start when no hub or no client is there."""
    from pyvo.samp import SAMPHubError, SAMPProxyError, accessible_table, connection  # noqa: PLC0415 - pyvo and astropy load in ~0.6 s; not on the map's first draw

    try:
        with connection(client_name=CLIENT_NAME, description="astrodisc: data discovery on embeddings") as conn:
            clients = list(conn.get_subscribed_clients(MTYPE))
            if not clients:
                raise UserError("no client of the SAMP hub takes tables: open TOPCAT or Aladin, then send again")
            with accessible_table(astropy_table(table)) as url:  # a temporary file, kept until all replied
                for client in clients:
                    conn.call_and_wait(
                        client, {"samp.mtype": MTYPE, "samp.params": {"url": url, "name": name}}, REPLY_TIMEOUT_S
                    )
            return len(clients)
    except (SAMPHubError, SAMPProxyError, ConnectionError, OSError) as err:
        raise UserError(
            f"no SAMP hub reachable ({type(err).__name__}: {err}): start TOPCAT or Aladin, then send again"
        ) from None
