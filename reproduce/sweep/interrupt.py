"""Ctrl-C and SIGTERM stop a sweep cleanly: the exception unwinds through the atomic writers (which remove their
temporary file), the lock is released, and the command line says where it stopped and how to resume.

Exit codes follow the shell's 128 + signal number: 130 for Ctrl-C (SIGINT), 143 for SIGTERM. SIGKILL cannot be
caught; atomic writes and the checkpoint-before-report order make it safe all the same.
"""
import signal
import threading
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(BaseException):
    """A stop signal arrived. BaseException, like KeyboardInterrupt, so no `except Exception` swallows it."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.where = "before any run started"

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def line(self, command: str) -> str:
        return f"stopped by {signal.Signals(self.signum).name}: {self.where}; resume with: {command}"


@contextmanager
def stop_on_signals(signals=STOP_SIGNALS):
    """Within the block, each of `signals` (default SIGINT and SIGTERM) raises Stopped; a second signal while
    stopping is ignored. signals=() leaves every handler as it is (a cluster task: there submitit handles them)."""
    if threading.current_thread() is not threading.main_thread():  # signals can only be handled there
        yield
        return

    def handler(signum, frame):
        for s in signals:
            signal.signal(s, signal.SIG_IGN)
        raise Stopped(signum)

    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
