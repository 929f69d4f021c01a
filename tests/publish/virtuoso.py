"""Start and stop a throw-away Virtuoso (Debian's virtuoso-opensource-7) on loopback ports.

The package's default virtuoso.ini is copied with every file it names moved into a temporary
folder and both listeners bound to 127.0.0.1 on free ports; the server runs in the foreground
(``virtuoso-t -f``) as a child of the test process and is ready when its log says
"Server online". A fresh database has the account dba / dba, which the tests use for writes
(HTTP Digest on /sparql-auth and /sparql-graph-crud-auth).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

VIRTUOSO = shutil.which("virtuoso-t")
PACKAGE = "virtuoso-opensource-7"
DEFAULT_INI = Path("/usr/share/virtuoso-opensource-7/virtuoso.ini")
USER, PASSWORD = "dba", "dba"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _set(text: str, section: str, key: str, value: str) -> str:
    """Set key = value in [section] of an ini whose duplicate keys configparser rejects."""
    pattern = re.compile(rf"(^\[{re.escape(section)}\][ \t]*\n)(.*?)(?=^\[|\Z)", re.M | re.S)
    m = pattern.search(text)
    if not m:
        return text + f"\n[{section}]\n{key} = {value}\n"
    body = m.group(2)
    line = re.compile(rf"^[ \t]*{re.escape(key)}[ \t]*=.*$", re.M)
    if line.search(body):
        body = line.sub(f"{key} = {value}", body, count=1)
    else:
        body = f"{key} = {value}\n" + body
    return text[:m.start(2)] + body + text[m.end(2):]


@dataclass
class Virtuoso:
    folder: Path
    sql_port: int
    http_port: int
    process: subprocess.Popen | None = None
    parameters: dict | None = None  # extra [Parameters] settings, e.g. {"DefaultIsolation": "4"}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql(self) -> str:
        """Read-only, anonymous."""
        return f"{self.base}/sparql"

    @property
    def sparql_auth(self) -> str:
        """SPARQL query + update with HTTP Digest."""
        return f"{self.base}/sparql-auth"

    @property
    def graph_crud(self) -> str:
        """Graph Store HTTP Protocol with HTTP Digest."""
        return f"{self.base}/sparql-graph-crud-auth"

    @property
    def log(self) -> Path:
        return self.folder / "virtuoso.log"

    def write_ini(self, buffers: int = 20000) -> Path:
        text = DEFAULT_INI.read_text()
        d = self.folder
        for section, key, name in (("Database", "DatabaseFile", "virtuoso.db"),
                                   ("Database", "ErrorLogFile", "virtuoso.log"),
                                   ("Database", "LockFile", "virtuoso.lck"),
                                   ("Database", "TransactionFile", "virtuoso.trx"),
                                   ("Database", "xa_persistent_file", "virtuoso.pxa"),
                                   ("TempDatabase", "DatabaseFile", "virtuoso-temp.db"),
                                   ("TempDatabase", "TransactionFile", "virtuoso-temp.trx")):
            text = _set(text, section, key, str(d / name))
        text = _set(text, "Parameters", "ServerPort", f"127.0.0.1:{self.sql_port}")
        text = _set(text, "Parameters", "DirsAllowed", f"., {d}")
        text = _set(text, "Parameters", "NumberOfBuffers", str(buffers))
        text = _set(text, "Parameters", "MaxDirtyBuffers", str(buffers * 3 // 4))
        for key, value in (self.parameters or {}).items():
            text = _set(text, "Parameters", key, str(value))
        text = _set(text, "HTTPServer", "ServerPort", f"127.0.0.1:{self.http_port}")
        text = _set(text, "URIQA", "DefaultHost", f"127.0.0.1:{self.http_port}")
        ini = d / "virtuoso.ini"
        ini.write_text(text)
        return ini

    def start(self, timeout: float = 90.0) -> "Virtuoso":
        if not VIRTUOSO:
            raise RuntimeError(f"virtuoso-t is not installed (Debian package {PACKAGE})")
        self.folder.mkdir(parents=True, exist_ok=True)
        ini = self.write_ini()
        out = open(self.folder / "stdout.log", "ab")
        self.process = subprocess.Popen([VIRTUOSO, "-f", "-c", str(ini)], cwd=self.folder,
                                        stdout=out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited with {self.process.returncode}:\n"
                                   + self.tail())
            if self.log.is_file() and "Server online" in self.log.read_text(errors="replace"):
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"virtuoso-t did not come online within {timeout:.0f} s:\n" + self.tail())

    def tail(self, lines: int = 30) -> str:
        texts = []
        for f in (self.log, self.folder / "stdout.log"):
            if f.is_file():
                texts.append("\n".join(f.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(texts)

    def stop(self, timeout: float = 30.0) -> None:
        p = self.process
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)  # virtuoso-t checkpoints and exits on SIGTERM
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)


def start_virtuoso(folder: Path, parameters: dict | None = None) -> Virtuoso:
    return Virtuoso(folder=folder, sql_port=free_port(), http_port=free_port(),
                    parameters=parameters).start()


if __name__ == "__main__":  # manual use: python tests/publish/virtuoso.py FOLDER
    import sys

    v = start_virtuoso(Path(sys.argv[1]), dict(a.split("=", 1) for a in sys.argv[2:]))
    print(v.base, "pid", v.process.pid, flush=True)
    try:
        v.process.wait()
    except KeyboardInterrupt:
        v.stop()
    os._exit(0)
