"""A server's private hold on the persistent store, so that a rebuild cannot pull it away.

The build replaces dist/ whole (a new folder swapped in, the old one deleted). RocksDB opens its
table files lazily, so a server still reading the old dist/store would find files gone and fail
mid-query. Instead the server opens a *pin*: a folder beside dist/ holding hard links to every
file of dist/store (the files are immutable once built, and a read-only open writes nothing,
so linking costs milliseconds and no space). Deleting the old dist/ then removes names only;
the server, and the SPARQL workers it starts later, keep reading the same files until the server
stops and releases the pin. The next start serves the new build.

Each pin holds an exclusive flock on its ``owner.lock`` for the life of its process; a pin whose
lock can be taken belongs to a process that is gone (killed, say) and is swept away by the next
server that pins. Where hard links are not possible (no write access beside dist/, or another
file system) there is no pin: the server opens dist/store itself, and must be restarted after
a rebuild (a warning says so).
"""

from __future__ import annotations

import atexit
import errno
import fcntl
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

log = logging.getLogger("siberia_kg.store")

LOCK = "owner.lock"
ATTEMPTS = 5
STALE_UNLOCKED = 60.0  # seconds: a pin folder with no lock file yet is being made; later, debris


# dist folder (resolved) -> the store this process pinned for it, for the processes it starts
# (SPARQL workers), which must read the same files.
_PINNED: dict[str, Path] = {}


def pin_prefix(dist: Path) -> str:
    return f".{Path(dist).name}.serving-"


def pinned_for(dist: Path) -> Path | None:
    """The store this process pinned for ``dist``, if any (see sparql_exec.QueryPool)."""
    return _PINNED.get(str(Path(dist).resolve()))


class Pin:
    def __init__(self, folder: Path, lock_fd: int, dist: Path):
        self.folder = folder
        self.path = folder / "store"
        self._fd: int | None = lock_fd
        self._key = str(Path(dist).resolve())
        _PINNED[self._key] = self.path
        atexit.register(self.release)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if _PINNED.get(self._key) == self.path:
            del _PINNED[self._key]
        shutil.rmtree(self.folder, ignore_errors=True)
        try:
            os.close(fd)
        except OSError:
            pass


def sweep(dist: Path) -> None:
    """Remove the pins of processes that are gone."""
    parent = Path(dist).parent
    for folder in parent.glob(pin_prefix(dist) + "*"):
        if not folder.is_dir():
            continue
        lock = folder / LOCK
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            try:
                age = time.time() - folder.stat().st_mtime
            except OSError:
                continue
            if age > STALE_UNLOCKED:
                shutil.rmtree(folder, ignore_errors=True)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # held: a live server's
        else:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(fd)


def _link_all(src: Path, dst: Path) -> None:
    dst.mkdir()
    for name in sorted(os.listdir(src)):
        s = src / name
        if s.is_dir():
            continue  # RocksDB keeps no folders; nothing of ours either
        os.link(s, dst / name)


def pin_store(dist: Path, store: Path) -> Pin | None:
    """Hard-link ``store`` (dist/store) into a fresh pin folder beside dist/ and return the pin;
    None where that is not possible (then the caller opens ``store`` itself)."""
    dist = Path(dist)
    parent = dist.parent
    try:
        sweep(dist)
    except OSError:
        pass
    last: Exception | None = None
    for _ in range(ATTEMPTS):
        try:
            folder = Path(tempfile.mkdtemp(prefix=pin_prefix(dist), dir=parent))
        except OSError as e:
            log.warning("cannot pin the store beside %s (%s): serving %s directly; restart the "
                        "server after a rebuild", dist, e, store)
            return None
        fd = None
        try:
            fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
            _link_all(store, folder / "store")
            _check_opens(folder / "store")
            return Pin(folder, fd, dist)
        except FileNotFoundError as e:
            # dist/ was swapped and the old build deleted while we linked: take the new one.
            last = e
            _drop(folder, fd)
            continue
        except OSError as e:
            _drop(folder, fd)
            if e.errno in (errno.EXDEV, errno.EPERM, errno.EACCES, errno.EROFS, errno.EMLINK,
                           errno.ENOTSUP):
                log.warning("cannot hard-link the store into %s (%s): serving %s directly; "
                            "restart the server after a rebuild", parent, e, store)
                return None
            raise
        except BaseException:
            _drop(folder, fd)
            raise
    raise OSError(f"could not pin {store}: it kept changing while being linked ({last})")


def _check_opens(path: Path) -> None:
    """A pin made while the old build was being deleted may lack files; RocksDB checks on open
    that every file its manifest names is there."""
    import pyoxigraph as ox

    try:
        ox.Store.read_only(str(path))
    except (OSError, RuntimeError) as e:  # RocksDB reports a missing table file as corruption
        raise FileNotFoundError(str(e)) from e


def _drop(folder: Path, fd: int | None) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if fd is not None:
        os.close(fd)
