"""``./run lab``: a real JupyterLab server on notebooks/, its presales-analytics kernel this checkout's.

The server is started as a user would (``./run lab --no-browser --port P``, from another folder, with
the token given on the command line and Jupyter's own folders in a temporary directory), asked over its
REST API for its kernelspecs and its root folder, then a session is opened on ``explore.ipynb`` with
the presales-analytics kernel (what JupyterLab does when the notebook is opened) and code is executed
in it over the kernel's websocket. The server is always shut down.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import websocket  # websocket-client, a dependency of jupyter-server

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, port: int, token: str, log: Path):
        self.base, self.token, self.log = f"127.0.0.1:{port}", token, log

    def api(self, path: str, body: dict | None = None):
        request = urllib.request.Request(f"http://{self.base}{path}", method="POST" if body is not None else "GET",
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            text = r.read().decode()
        return json.loads(text) if text else None

    def execute(self, kernel_id: str, code: str, timeout: float = 30) -> tuple[str, dict]:
        """Run ``code`` in the kernel; return its stdout and the execute_reply's content."""
        session = uuid.uuid4().hex
        ws = websocket.create_connection(f"ws://{self.base}/api/kernels/{kernel_id}/channels?session_id={session}",
                                         header=[f"Authorization: token {self.token}"], timeout=timeout)
        try:
            msg_id = uuid.uuid4().hex
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "username": "test", "session": session, "msg_type": "execute_request",
                           "version": "5.3", "date": ""},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True}}))
            stdout, reply, idle = [], None, False
            deadline = time.monotonic() + timeout
            while not (reply is not None and idle) and time.monotonic() < deadline:
                msg = json.loads(ws.recv())
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind = msg["header"]["msg_type"]
                if kind == "stream" and msg["content"]["name"] == "stdout":
                    stdout.append(msg["content"]["text"])
                elif kind == "execute_reply":
                    reply = msg["content"]
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
            assert reply is not None and idle, f"no reply from the kernel in {timeout} s"
            return "".join(stdout), reply
        finally:
            ws.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    home = tmp_path_factory.mktemp("lab")
    env = {k: v for k, v in os.environ.items() if k not in ("PRESALES_DB", "PRESALES_CONFIG")}
    env.update({name: str(home / folder) for name, folder in (
        ("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"))})
    server = Lab(free_port(), secrets.token_hex(16), home / "lab.log")
    port = server.base.rsplit(":", 1)[1]
    with open(server.log, "wb") as log:
        proc = subprocess.Popen([str(ROOT / "run"), "lab", "--no-browser", "--port", port, "--ip", "127.0.0.1",
                                 "--ServerApp.port_retries=0", f"--IdentityProvider.token={server.token}"],
                                cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"./run lab exited {proc.returncode}:\n{server.log.read_text()}"
            try:
                server.api("/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, f"no server after 60 s:\n{server.log.read_text()}"
                time.sleep(0.3)
        yield server
    finally:
        try:
            server.api("/api/shutdown", {})          # stops the kernels too
            proc.wait(timeout=20)
        except Exception:
            pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)      # the group ./run lab started, nothing else
            proc.wait(timeout=10)


def test_kernelspec_is_this_venvs_python_and_the_root_is_notebooks(lab):
    specs = lab.api("/api/kernelspecs")["kernelspecs"]
    spec = specs["presales-analytics"]["spec"]
    assert spec["display_name"] == "presales-analytics"
    argv0 = Path(spec["argv"][0])
    assert (argv0.name, argv0.parent.resolve()) == ("python", VENV_BIN.resolve())
    assert spec["argv"][-4:] == ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
    listed = {item["name"] for item in lab.api("/api/contents")["content"] if item["type"] == "notebook"}
    assert listed == {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert "explore.ipynb" in listed


def test_the_kernel_imports_this_checkout(lab):
    session = lab.api("/api/sessions", {"path": "explore.ipynb", "type": "notebook", "name": "",
                                        "kernel": {"name": "presales-analytics"}})
    assert session["kernel"]["name"] == "presales-analytics"
    out, reply = lab.execute(session["kernel"]["id"],
                             "import json, os, presales_analytics, sys; print(presales_analytics.__file__); "
                             "print(json.dumps([sys.executable, os.getcwd(), os.environ.get('PRESALES_DB'), "
                             "presales_analytics.metrics()[0]]))")
    assert reply["status"] == "ok", reply
    module_file, rest = out.strip().split("\n")
    assert Path(module_file).resolve() == ROOT / "presales_analytics" / "__init__.py"
    executable, cwd, db, first_metric = json.loads(rest)
    assert Path(executable).parent.resolve() == VENV_BIN.resolve()
    # a kernel starts in the notebook's folder; the default database stays the project's
    assert Path(cwd).resolve() == ROOT / "notebooks"
    assert Path(db).resolve() == ROOT / "data" / "presales.duckdb"
    assert first_metric == "win-rate"
