"""``astrodisc fetch`` against a local HTTP server: whole downloads, resume after a dropped connection,
checksum refusal, and a server that is not there."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from astrodisc.base import fetch as fetch_module
from astrodisc.base.fetch import REGISTRY, RemoteDataset, RemoteFile, fetch
from astrodisc.cli import main
from astrodisc.errors import UserError
from astrodisc.paths import shared_dir

PAYLOAD = np.random.default_rng(0).bytes(300_000)


class Server:
    """Serves ``files`` (URL path -> bytes) honouring Range; drops the first ``drops`` responses midway."""

    def __init__(self, files: dict[str, bytes], drops: int = 0):
        self.files, self.drops, self.ranges = files, drops, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                data = server.files.get(self.path.lstrip("/"))
                if data is None:
                    self.send_error(404)
                    return
                server.ranges.append(self.headers.get("Range"))
                start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                if server.drops:
                    server.drops -= 1
                    self.wfile.write(data[start : start + (len(data) - start) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)  # cut the connection midway
                    return
                self.wfile.write(data[start:])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def serve(monkeypatch) -> Iterator:
    monkeypatch.setattr(fetch_module, "RETRY_BACKOFF_S", 0.0)
    servers = []

    def start(files: dict[str, bytes], drops: int = 0) -> Server:
        servers.append(Server(files, drops))
        return servers[-1]

    yield start
    for server in servers:
        server.httpd.shutdown()
        server.httpd.server_close()


def registry(url: str, sha256: str | None = hashlib.sha256(PAYLOAD).hexdigest()) -> dict[str, RemoteDataset]:
    return {"blob": RemoteDataset("blob", url, (RemoteFile("dir/blob.bin", "blob.bin", sha256, len(PAYLOAD)),), "")}


def test_full_download(serve, tmp_path):
    server = serve({"dir/blob.bin": PAYLOAD})
    [path] = fetch("blob", tmp_path, registry=registry(server.url), progress=False)
    assert path.read_bytes() == PAYLOAD and not (tmp_path / "blob.bin.part").exists()
    fetch("blob", tmp_path, registry=registry(server.url), progress=False)
    assert len(server.ranges) == 1  # present with the right checksum: not fetched again


def test_resume_after_a_dropped_connection_gives_the_identical_file(serve, tmp_path):
    server = serve({"dir/blob.bin": PAYLOAD}, drops=1)
    [path] = fetch("blob", tmp_path, registry=registry(server.url), progress=False)
    assert path.read_bytes() == PAYLOAD
    assert server.ranges == [None, f"bytes={len(PAYLOAD) // 2}-"]  # the second request continued the part file


def test_a_part_file_left_by_an_earlier_run_is_resumed(serve, tmp_path):
    server = serve({"dir/blob.bin": PAYLOAD})
    (tmp_path / "blob.bin.part").write_bytes(PAYLOAD[:1000])
    [path] = fetch("blob", tmp_path, registry=registry(server.url), progress=False)
    assert path.read_bytes() == PAYLOAD and server.ranges == ["bytes=1000-"]


def test_checksum_mismatch_is_refused_and_the_part_deleted(serve, tmp_path):
    server = serve({"dir/blob.bin": PAYLOAD[:-1] + b"x"})
    with pytest.raises(UserError, match="checksum mismatch for blob.bin.*deleted"):
        fetch("blob", tmp_path, registry=registry(server.url), progress=False)
    assert list(tmp_path.iterdir()) == []


def test_unknown_checksum_needs_no_verify(serve, tmp_path):
    server = serve({"dir/blob.bin": PAYLOAD})
    with pytest.raises(UserError, match="--no-verify"):
        fetch("blob", tmp_path, registry=registry(server.url, None), progress=False)
    assert server.ranges == []
    [path] = fetch("blob", tmp_path, verify=False, registry=registry(server.url, None), progress=False)
    assert path.read_bytes() == PAYLOAD


def test_server_down_is_one_line_and_exit_2(serve, tmp_path, monkeypatch, capsys):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(fetch_module.BASE_ENV, f"http://127.0.0.1:{port}/")
    assert main(["fetch", "stripe82", "--to", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot download table1.tar.gz" in err and "no network?" in err and "\n" not in err
    assert main(["fetch", "nonesuch", "--to", str(tmp_path)]) == 2
    assert "unknown dataset 'nonesuch'" in capsys.readouterr().err


def test_registered_checksums_match_the_shared_astroml_copies(serve, tmp_path, monkeypatch):
    """The astroML-data entries, served from shared/real through ASTRODISC_FETCH_BASE, verify and import."""
    real = shared_dir() / "real" / "varstars"
    copies = {"stripe82": real / "s82_rrlyrae", "linear": real / "linear"}
    files = {f.url_path: (copies[d] / f.name).read_bytes() for d in copies for f in REGISTRY[d].files}
    server = serve(files)
    monkeypatch.setenv(fetch_module.BASE_ENV, server.url)
    assert main(["fetch", "stripe82", "--to", str(tmp_path / "s82"), "--quiet"]) == 0
    assert main(["import", "stripe82", "--source", str(tmp_path / "s82"), "--out", str(tmp_path / "store")]) == 0
    assert [p.name for p in fetch("linear", tmp_path / "linear", progress=False)] == [
        "LINEARattributesFinalApr2013.dat.gz"
    ]
