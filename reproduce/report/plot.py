"""`report --plot FILE.png`: accuracy per epoch for every run with the target line, and a histogram of final
accuracies, on the test set (or with --on validation, the validation split). matplotlib is an optional extra
(pip install '.[plot]'), imported only here and only then."""
import io
import os
from pathlib import Path

from reproduce.files.atomic import write_bytes
from reproduce.record.schema import ReportError
from reproduce.report.check import Verdict
from reproduce.report.splits import VALIDATION


def require_matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise ReportError("--plot needs matplotlib, which is not installed: pip install 'mnist-20k-suite[plot]' "
                          "(or pip install matplotlib)") from None
    matplotlib.use("Agg")   # files only: never open a window, work without a display
    return matplotlib


def check_writable(path: Path) -> None:
    """Before anything is drawn: the folder must exist and be writable, and the path must not be a folder."""
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise ReportError(f"--plot {path}: is a folder, not a file")
    if not folder.is_dir():
        raise ReportError(f"--plot {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ReportError(f"--plot {path}: folder {folder} is not writable")
    kinds = writable_kinds()
    kind = path.suffix.lower().lstrip(".")
    if kind not in kinds:
        said = f"extension .{kind}" if kind else "no extension"
        raise ReportError(f"--plot {path}: {said}; matplotlib writes {', '.join('.' + k for k in sorted(kinds))}")


def writable_kinds() -> set:
    """The file extensions matplotlib can write here (png, pdf, svg...)."""
    require_matplotlib()
    from matplotlib.backend_bases import FigureCanvasBase
    return set(FigureCanvasBase.get_supported_filetypes())


def draw(v: Verdict):
    require_matplotlib()
    import matplotlib.pyplot as plt

    split = "validation" if v.on == VALIDATION else "test"
    fig, (curves, hist) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    finals = []
    for m in v.models:
        for i, r in enumerate(m.runs):
            epochs = range(1, len(r.test_accs) + 1)
            curves.plot(epochs, r.test_accs, lw=1, alpha=0.7, color=f"C{v.models.index(m) % 10}",
                        label=m.title if i == 0 else None)
        finals.append((m.title, [r.final for r in m.runs if r.final is not None]))
    curves.axhline(v.target, color="black", ls="--", lw=1, label=f"target {v.target}%")
    curves.set(xlabel="epoch", ylabel=f"{split} accuracy (%)", title=f"{split} accuracy per epoch, every run")
    every = [a for m in v.models for r in m.runs for a in r.test_accs]
    if every:   # the early epochs would squash the interesting part near the target
        curves.set_ylim(max(min(every), v.target - 1.0) - 0.05, max(every + [v.target]) + 0.1)
    curves.legend(loc="lower right", fontsize=8)
    for k, (name, values) in enumerate(finals):
        if values:
            hist.hist(values, bins=min(20, max(5, len(values))), alpha=0.6, color=f"C{k % 10}", label=name)
    hist.axvline(v.target, color="black", ls="--", lw=1)
    hist.set(xlabel=f"final {split} accuracy (%)", ylabel="runs", title="final accuracy (last epoch)")
    hist.yaxis.get_major_locator().set_params(integer=True)   # counts of runs
    hist.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot(v: Verdict, path: Path) -> None:
    """Draw into memory, in the format the extension names, then write the file atomically: a failed write
    leaves no half-written file."""
    check_writable(path)
    fig = draw(v)
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format=Path(path).suffix.lower().lstrip("."), dpi=110)
    finally:
        plt.close(fig)
    try:
        write_bytes(Path(path), buf.getvalue())
    except OSError as e:
        raise ReportError(f"--plot {path}: cannot write ({e.strerror or e})") from None
