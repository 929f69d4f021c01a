"""The persistent store bulk-loaded in a child process of its own, at a lower CPU priority.

The build needs the validation's verdict and the dumps first (a register that does not
validate must fail fast, and the dumps are what users download and publish); the store is
loaded with whatever CPU they leave, then with all of it. A child process rather than a thread
because it can be killed: a build that fails stops the load at once instead of waiting minutes
for RocksDB to finish a store that will be thrown away. On Linux the nice value is per thread
and inherited by the threads the loader starts, so the whole load runs at the lower priority.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

NICE = 10  # CFS weight 110 against 1024 for the validation workers and the dump writer


class LoadSyntaxError(Exception):
    """A file the store could not parse: which one (its index in the list) and the parser's
    message and line."""

    def __init__(self, index: int, message: str, lineno: int | None):
        super().__init__(message)
        self.index, self.message, self.lineno = index, message, lineno


class StoreLoad:
    """``files``: (path, format name: "nquads" or "turtle", graph IRI or None) each, loaded in
    order into a new store at ``path``, then optimised. result() waits and returns the number
    of quads in the store."""

    def __init__(self, path: Path, files: list[tuple[Path, str, str | None]], nice: int = NICE):
        self.nice: int | None = None
        self._err = tempfile.TemporaryFile()
        here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = {**os.environ,
               "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "from siberia_kg.store.bulk import _main; _main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, env=env)
        job = {"path": str(path), "nice": nice,
               "files": [[str(p), fmt, graph] for p, fmt, graph in files]}
        self._proc.stdin.write(json.dumps(job).encode())
        self._proc.stdin.close()

    def result(self) -> int:
        out = self._proc.stdout.read()
        code = self._proc.wait()
        self._proc.stdout.close()
        self._err.seek(0)
        err = self._err.read().decode("utf-8", "replace").strip().splitlines()
        self._err.close()
        try:
            answer = json.loads(out) if out else {}
        except ValueError:
            answer = {}
        if "syntax" in answer:
            s = answer["syntax"]
            raise LoadSyntaxError(s["index"], s["message"], s["lineno"])
        if code != 0 or "quads" not in answer:
            raise RuntimeError(f"loading the store failed (exit code {code}): "
                               f"{err[-1] if err else 'no message'}")
        self.nice = answer.get("nice")  # the priority it ran at, as the child saw it
        return answer["quads"]

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for f in (self._proc.stdout, self._err):
            if f and not f.closed:
                f.close()


def _main() -> None:
    import pyoxigraph as ox

    job = json.loads(sys.stdin.buffer.read())
    os.nice(job["nice"])
    formats = {"nquads": ox.RdfFormat.N_QUADS, "turtle": ox.RdfFormat.TURTLE}
    store = ox.Store(job["path"])
    for i, (path, fmt, graph) in enumerate(job["files"]):
        kwargs = {"to_graph": ox.NamedNode(graph)} if graph else {}
        try:
            store.bulk_load(path=path, format=formats[fmt], **kwargs)
        except SyntaxError as e:
            sys.stdout.write(json.dumps({"syntax": {"index": i, "message": str(e.msg),
                                                    "lineno": e.lineno}}))
            sys.stdout.flush()
            return
    store.optimize()
    quads = len(store)
    del store  # closes RocksDB before the parent opens the folder
    sys.stdout.write(json.dumps({"quads": quads, "nice": os.nice(0)}))
    sys.stdout.flush()


if __name__ == "__main__":  # pragma: no cover - run through StoreLoad
    _main()
