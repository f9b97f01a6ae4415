"""One lock per run file, so two sweeps on one folder never train (or write) the same run at once.

A run's lock is an exclusive, non-blocking `fcntl.flock` on `.<model>-seed<k>.lock` next to its report, held
from the moment a sweep decides what to do with the run until the run is finished or stopped. The kernel drops
it when the process dies, however it dies (SIGKILL included), so a lock is never stale. The lock files stay:
deleting one while another process may be opening it would let two processes lock two different files.
"""
import fcntl
import os
from pathlib import Path
from typing import Optional


def lock_path(report_path: Path) -> Path:
    report_path = Path(report_path)
    return report_path.with_name(f".{report_path.stem}.lock")


class RunLock:
    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)   # closing the descriptor releases the flock
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def try_lock(report_path: Path) -> Optional[RunLock]:
    """The run's lock, or None when another process holds it. OSError when the folder cannot be written."""
    path = lock_path(report_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())  # for the user who wonders who holds it
    return RunLock(path, fd)


def holder(report_path: Path) -> str:
    """The pid written by the process that holds the run's lock, as text ('' when unknown)."""
    try:
        return lock_path(report_path).read_text().strip()
    except OSError:
        return ""
