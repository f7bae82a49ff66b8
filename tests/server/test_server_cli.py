"""`tact serve` options: TCP transport and one-line errors."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def frame(obj: dict) -> bytes:
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


_pending: dict[int, bytes] = {}  # bytes read past the last frame, per socket


def read_frame(conn: socket.socket) -> dict:
    """The next JSON-RPC message; keeps whatever arrived after it for the next call
    (two messages often come in one segment)."""
    data = _pending.pop(conn.fileno(), b"")
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        assert chunk, "connection closed"
        data += chunk
    header, _, rest = data.partition(b"\r\n\r\n")
    length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    while len(rest) < length:
        chunk = conn.recv(4096)
        assert chunk, "connection closed"
        rest += chunk
    _pending[conn.fileno()] = rest[length:]
    return json.loads(rest[:length])


def test_tcp_initialize_round_trip(tmp_path: Path) -> None:
    port = free_port()
    url = f"sqlite:///{tmp_path / 't.db'}"
    server = subprocess.Popen(
        [sys.executable, "-m", "tact", "serve", "--tcp", f"127.0.0.1:{port}", "--telemetry", url],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, (
                    "server did not listen"
                )
                time.sleep(0.1)
        with conn:
            conn.sendall(
                frame(
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "initialize",
                        "params": {"capabilities": {}},
                    }
                )
            )
            reply = read_frame(conn)
            while reply.get("id") != 1:  # skip notifications sent while initializing
                reply = read_frame(conn)
            assert (
                "tact.accept"
                in reply["result"]["capabilities"]["executeCommandProvider"]["commands"]
            )
            conn.sendall(frame({"jsonrpc": "2.0", "id": 2, "method": "tact/status", "params": {}}))
            status = read_frame(conn)
            while status.get("id") != 2:  # skip notifications (log messages)
                status = read_frame(conn)
            assert status["result"]["telemetryUrl"] == url  # --telemetry is the default store
            garbage = b"{not json!"
            conn.sendall(b"Content-Length: %d\r\n\r\n" % len(garbage) + garbage)
            error = read_frame(conn)
            while "error" not in error:  # skip notifications
                error = read_frame(conn)
            assert error["id"] is None and error["error"]["code"] == -32700
            conn.sendall(frame({"jsonrpc": "2.0", "id": 3, "method": "tact/status", "params": {}}))
            again = read_frame(conn)
            while again.get("id") != 3:
                again = read_frame(conn)
            assert again["result"]["telemetryUrl"] == url  # still serving after the garbage
    finally:
        server.kill()
        _, stderr = server.communicate(timeout=10)
    # One line of our own for the malformed message, no pygls traceback.
    assert b"Traceback" not in stderr, stderr.decode(errors="replace")


def test_bad_serve_arguments_are_one_line_errors() -> None:
    for args in (["--tcp", "nope"], ["--tcp", "host:99999"], ["--telemetry", "mysql://x"]):
        result = subprocess.run(
            [sys.executable, "-m", "tact", "serve", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("tact serve: error:"), result.stderr
        assert "Traceback" not in result.stderr


def test_malformed_json_gets_a_parse_error_and_the_server_stays_up(tmp_path: Path) -> None:
    """Garbage on stdin: a JSON-RPC ParseError (-32700, id null), then business as usual."""
    garbage = b"{not json!"
    payload = (
        b"Content-Length: %d\r\n\r\n" % len(garbage) + garbage
        + frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                 "params": {"processId": None, "rootUri": None, "capabilities": {}}})
        + frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
        + frame({"jsonrpc": "2.0", "method": "exit"})
    )
    proc = subprocess.run(
        [sys.executable, "-m", "tact", "serve", "--telemetry", f"sqlite:///{tmp_path / 't.db'}"],
        input=payload, capture_output=True, timeout=60,
    )
    messages = []
    out = proc.stdout
    while out:
        header, _, rest = out.partition(b"\r\n\r\n")
        length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        messages.append(json.loads(rest[:length]))
        out = rest[length:]
    errors = [m for m in messages if "error" in m]
    assert errors and errors[0]["id"] is None and errors[0]["error"]["code"] == -32700
    replies = {m.get("id"): m for m in messages if "result" in m}
    assert "capabilities" in replies[1]["result"]  # still serving after the garbage
    assert 2 in replies
    assert b"Traceback" not in proc.stderr
