"""Write files so that a reader sees the old content or the new, never half of either."""
import contextlib
import os
import tempfile
from pathlib import Path


def _prefix(path: Path) -> str:
    return f".{path.name}."


def temporaries(path: Path):
    """The temporary files write_bytes makes for path (left behind only if the writer was killed)."""
    path = Path(path)
    return path.parent.glob(f"{_prefix(path)}*.tmp")


def umask_mode() -> int:
    """The mode a plain open() would give a new file (0o666 less the umask): mkstemp's own is 0o600, which would
    make reports unreadable to the group on a shared machine."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, umask_mode())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.filename is None:
            e.filename = str(path)  # a full disk surfaces in write or fsync, which do not name the file
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))
