import gzip
import hashlib
import pickle

import numpy as np
import pytest

from reproduce.data import mnist as data
from reproduce.data.mnist import DataError, ensure_mnist, idx_from_pickle, read_idx, verify


def test_real_mnist_verifies_and_loads(mnist_root, mnist_cpu):
    assert verify(data.raw_dir(mnist_root)) == data.SHA256
    assert mnist_cpu.train_x.shape == (60_000, 1, 28, 28)
    assert mnist_cpu.test_x.shape == (10_000, 1, 28, 28)
    assert abs(mnist_cpu.train_x.mean().item()) < 0.01
    assert abs(mnist_cpu.train_x.std().item() - 1) < 0.01
    assert mnist_cpu.test_y[:5].tolist() == [7, 2, 1, 0, 4]  # the canonical first test labels


def test_idx_from_pickle_round_trips_pixels_and_order(tmp_path):
    rng = np.random.default_rng(0)
    pix = lambda n: rng.integers(0, 256, (n, 784)).astype(np.uint8)
    tr, va, te = pix(5), pix(3), pix(2)
    y = lambda n: rng.integers(0, 10, n)
    ytr, yva, yte = y(5), y(3), y(2)
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as f:  # the published format: x = pixel / 256 as float32
        pickle.dump((((tr / 256).astype(np.float32), ytr), ((va / 256).astype(np.float32), yva),
                     ((te / 256).astype(np.float32), yte)), f)
    files = idx_from_pickle(path)
    for name, blob in files.items():
        (tmp_path / name).write_bytes(blob)
    images = read_idx(tmp_path / "train-images-idx3-ubyte")
    assert images.shape == (8, 28, 28)
    assert (images.reshape(8, 784) == np.concatenate([tr, va])).all()   # train then valid, in order
    assert (read_idx(tmp_path / "train-labels-idx1-ubyte") == np.concatenate([ytr, yva])).all()
    assert (read_idx(tmp_path / "t10k-images-idx3-ubyte").reshape(2, 784) == te).all()
    assert files["t10k-labels-idx1-ubyte"][:8] == b"\x00\x00\x08\x01\x00\x00\x00\x02"  # magic 2049, N = 2


def _copy_raw(src_root, dst_root):
    raw = data.raw_dir(dst_root)
    raw.mkdir(parents=True)
    for name in data.SHA256:
        (raw / name).write_bytes((data.raw_dir(src_root) / name).read_bytes())
    return raw


def test_a_corrupted_file_is_refused_and_named_and_left_alone(mnist_root, tmp_path):
    raw = _copy_raw(mnist_root, tmp_path)
    target = raw / "t10k-labels-idx1-ubyte"
    blob = bytearray(target.read_bytes())
    blob[100] ^= 1
    target.write_bytes(bytes(blob))
    with pytest.raises(DataError) as e:
        ensure_mnist(tmp_path)
    msg = str(e.value)
    assert "t10k-labels-idx1-ubyte" in msg
    assert data.SHA256["t10k-labels-idx1-ubyte"] in msg
    assert hashlib.sha256(bytes(blob)).hexdigest() in msg
    assert target.read_bytes() == bytes(blob)  # not overwritten behind the user's back


def test_a_truncated_or_missing_file_is_refused(mnist_root, tmp_path):
    raw = _copy_raw(mnist_root, tmp_path)
    (raw / "train-images-idx3-ubyte").write_bytes((raw / "train-images-idx3-ubyte").read_bytes()[:1000])
    with pytest.raises(DataError, match="train-images-idx3-ubyte"):
        ensure_mnist(tmp_path)
    (raw / "train-images-idx3-ubyte").unlink()
    with pytest.raises(DataError, match="missing.*train-images-idx3-ubyte"):
        ensure_mnist(tmp_path)


def test_data_command_prints_source_and_hashes(cli, mnist_root):
    done = cli("data", "--data-dir", mnist_root)
    assert done.returncode == 0, done.stderr
    assert "source: local" in done.stdout
    for digest in data.SHA256.values():
        assert digest in done.stdout


def test_data_command_on_a_bad_folder_says_one_line_and_exits_2(cli, mnist_root, tmp_path):
    raw = _copy_raw(mnist_root, tmp_path)
    (raw / "t10k-images-idx3-ubyte").write_bytes(b"not mnist")
    done = cli("data", "--data-dir", tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "t10k-images-idx3-ubyte" in done.stderr
    assert "Traceback" not in done.stderr
