"""Session settings for `make bench`: the CPU thread count (BENCH_THREADS), and a regression report without
a traceback."""
import os

import pytest
import torch


def pytest_configure(config):
    threads = os.environ.get("BENCH_THREADS", "").strip()
    if threads:
        if not threads.isdigit() or int(threads) < 1:
            raise pytest.UsageError(f"BENCH_THREADS must be a positive integer, got {threads!r}")
        torch.set_num_threads(int(threads))



@pytest.hookimpl(wrapper=True)
def pytest_terminal_summary(terminalreporter):
    """pytest-benchmark reports a --benchmark-compare-fail regression in its summary, then raises out of the
    summary hook (a traceback). Keep its report, drop the traceback, and make the run exit 1."""
    from pytest_benchmark.session import PerformanceRegression
    try:
        return (yield)
    except PerformanceRegression:
        terminalreporter.write_line("benchmark regression beyond --benchmark-compare-fail (listed above)", red=True)
        session = getattr(terminalreporter, "_session", None)
        if session is not None:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return None
