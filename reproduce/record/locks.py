"""One lock per run file, so two sweeps on one folder never train (or write) the same run at once.

A run's lock is an exclusive, non-blocking `fcntl.flock` on `.<model>-seed<k>.lock` next to its report, held
from the moment a sweep decides what to do with the run until the run is finished or stopped. The kernel drops
it when the process dies, however it dies (SIGKILL included), so a lock is never stale.

The holder deletes the lock file when it lets go, so a finished sweep leaves none behind. That is safe because a
lock only counts if, once taken, the path still names the locked file: a process that opened the file just
before the holder deleted it finds its lock on a file no longer there, and starts over on a fresh one. A lock
file left in a folder is one whose process was killed (harmless: the next sweep takes it and removes it).
"""
import contextlib
import fcntl
import os
from pathlib import Path


def lock_path(report_path: Path) -> Path:
    report_path = Path(report_path)
    return report_path.with_name(f".{report_path.stem}.lock")


class RunLock:
    def __init__(self, path: Path, fd: int):
        self.path = path
        self.fd: int | None = fd   # None once released

    def release(self) -> None:
        if self.fd is not None:
            # Delete while still holding the lock, then close (which releases it): whoever opened the file
            # meanwhile sees it gone once it gets the lock, and tries again (try_lock).
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def _still_named(path: Path, fd: int) -> bool:
    """Whether `path` is still the file open as fd (not deleted, nor replaced by a newer lock file)."""
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)


def try_lock(report_path: Path) -> RunLock | None:
    """The run's lock, or None when another process holds it. OSError when the folder cannot be written."""
    path = lock_path(report_path)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        if _still_named(path, fd):
            break
        os.close(fd)   # the holder we waited for deleted this file on release: lock the current one
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())  # for the user who wonders who holds it
    return RunLock(path, fd)


def holder(report_path: Path) -> str:
    """The pid written by the process that holds the run's lock, as text ('' when unknown)."""
    try:
        return lock_path(report_path).read_text().strip()
    except OSError:
        return ""
