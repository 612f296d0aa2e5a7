"""Run ``moto_server`` as a subprocess on 127.0.0.1 and hand out boto3 clients pointed at it."""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

HOST = "127.0.0.1"
DEFAULT_REGION = "us-east-1"
"""The emulator's region unless told otherwise (``deploy-local`` deploys there)."""
DUMMY_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}


def find_free_port(host: str = HOST) -> int:
    """Return a TCP port that was free on ``host`` a moment ago (bind to port 0, then close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def find_moto_server() -> str:
    """Locate ``moto_server``: next to the running interpreter first (a venv), then on PATH."""
    beside_python = Path(sys.executable).parent / "moto_server"
    if beside_python.is_file():
        return str(beside_python)
    on_path = shutil.which("moto_server")
    if on_path is None:
        raise RuntimeError(
            "moto_server not found next to the Python interpreter nor on PATH; "
            "install the dev extra: pip install 'moto[server]'"
        )
    return on_path


class MotoServer:
    """A moto server on 127.0.0.1, for use as a context manager or via start()/stop().

    Every AWS service moto emulates is served from the one ``endpoint_url``; ``client()``
    returns boto3 clients with dummy credentials set on the client only (the process
    environment is left alone). State lives in the server process and ends with it.
    """

    def __init__(
        self,
        port: int | None = None,
        region: str = DEFAULT_REGION,
        startup_timeout_seconds: float = 15.0,
    ) -> None:
        self.region = region
        self.startup_timeout_seconds = startup_timeout_seconds
        self._requested_port = port
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._session: Any = None

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``; only while the server runs."""
        if self._process is None or self._port is None:
            raise RuntimeError("MotoServer is not running: call start() or use it in a with block")
        return f"http://{HOST}:{self._port}"

    def start(self) -> MotoServer:
        """Launch the server and wait until it answers HTTP; raise RuntimeError if it does not."""
        if self._process is not None:
            return self
        self._port = self._requested_port or find_free_port()
        # A file, not a pipe: nobody drains the request log, and a full pipe would block moto.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(
            [find_moto_server(), "-H", HOST, "-p", str(self._port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Terminate the server and wait for it to exit (kill it if it ignores SIGTERM)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def pid(self) -> int:
        """Process id of the running server."""
        if self._process is None:
            raise RuntimeError("MotoServer is not running: call start() or use it in a with block")
        return self._process.pid

    def detach(self) -> int:
        """Leave the server running after this object is done with it (``stop()`` and the
        ``with`` block no longer end it) and return its pid; the caller must end it later."""
        pid = self.pid
        self._process = None
        if self._log is not None:
            self._log.close()  # the server keeps its own descriptor of the (unlinked) log
            self._log = None
        return pid

    def client(self, service_name: str, **kwargs: Any) -> Any:
        """A boto3 client for ``service_name`` on this server (extra kwargs go to boto3)."""
        if self._session is None:
            import boto3

            self._session = boto3.session.Session(region_name=self.region, **DUMMY_CREDENTIALS)
        return self._session.client(service_name, endpoint_url=self.endpoint_url, **kwargs)

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_ready(self) -> None:
        assert self._process is not None and self._port is not None
        deadline = time.monotonic() + self.startup_timeout_seconds
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"moto_server exited with code {self._process.returncode} before answering "
                    f"on port {self._port}:\n{self._output()}"
                )
            if self._answers_http():
                return
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"moto_server did not answer on {HOST}:{self._port} within "
                    f"{self.startup_timeout_seconds:g} s:\n{self._output()}"
                )
            time.sleep(0.05)

    def _answers_http(self) -> bool:
        connection = http.client.HTTPConnection(HOST, self._port, timeout=1)
        try:
            connection.request("GET", "/moto-api/")
            connection.getresponse().read()
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()
        return True

    def _output(self) -> str:
        assert self._log is not None
        self._log.seek(0)
        return self._log.read().decode("utf-8", errors="replace").strip() or "(no output)"
