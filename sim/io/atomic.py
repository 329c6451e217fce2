"""Atomic writes: a temporary file in the target's folder, then ``os.replace``.

Every file nanotomo writes goes through :func:`atomic_write` (one file) or
:func:`atomic_writes` (a set of files saved together, e.g. an MRC stack, its
``.tlt`` and its JSON sidecar). The caller writes to temporary paths named
``.<name>.<random>.tmp`` in the target's own folder (so the final rename never
crosses a filesystem); only when the ``with`` block finishes without an
exception is each temporary file flushed to disk and renamed over its target.
If the block raises (including ``KeyboardInterrupt``), every temporary file is
removed and the targets are left exactly as they were. A run killed outright
(SIGKILL, power loss) can leave a ``.tmp`` file behind, but never a target
that looks whole and is not.

The target path is checked *before* anything is created: its folder must
exist, be a folder and be writable, and the target must not be a folder. A bad
path raises :class:`sim.errors.ValidationError` naming ``path``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path

from sim.errors import ValidationError

_TEMP_SUFFIX = ".tmp"


def as_path(path, field: str = "path") -> Path:
    """``path`` as a :class:`~pathlib.Path`, or a ValidationError naming ``field``.

    Examples
    --------
    >>> as_path("out/series.h5").name
    'series.h5'
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ValidationError(field, path, "a file path (str or os.PathLike)")
    text = os.fspath(path)
    if not isinstance(text, str) or not text:
        raise ValidationError(field, path, "a non-empty str file path")
    return Path(text)


def writable_path(path, field: str = "path") -> Path:
    """Check that a file can be written at ``path``; return it as a Path.

    Nothing is created. Raises :class:`~sim.errors.ValidationError` naming
    ``field`` if ``path`` is a folder, if its folder does not exist or is not a
    folder (e.g. a path "under" a regular file), or if the folder is not
    writable.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     writable_path(pathlib.Path(tmp) / "a.json").name
    'a.json'
    >>> writable_path("/no/such/folder/a.json")
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: path = '/no/such/folder/a.json' is not allowed; allowed: a file in an existing folder ('/no/such/folder' does not exist)
    """
    target = as_path(path, field)
    shown = os.fspath(path)
    if target.is_dir():
        raise ValidationError(field, shown, "a file path, not a folder")
    if target.exists() and not target.is_file():
        raise ValidationError(field, shown, "a regular file path (this is a device, pipe or socket)")
    folder = target.parent
    if not folder.exists():
        raise ValidationError(field, shown, f"a file in an existing folder ({str(folder)!r} does not exist)")
    if not folder.is_dir():
        raise ValidationError(field, shown, f"a file in an existing folder ({str(folder)!r} is not a folder)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValidationError(field, shown, f"a file in a writable folder ({str(folder)!r} is not writable)")
    return target


@contextlib.contextmanager
def atomic_writes(paths: Sequence, field: str = "path") -> Iterator[list[Path]]:
    """Write several files so that each appears only once all were written.

    Yields a list of temporary paths, one per target, in the same folder as
    its target; write each completely (and close it) inside the ``with``
    block. On a clean exit every temporary file is fsynced and then renamed
    over its target, in the order given, so put the file that marks a save as
    complete (a sidecar or manifest) last. On an exception every temporary
    file is deleted and no target is touched.

    All targets are checked with :func:`writable_path` before anything is
    created.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        The final file paths, all distinct.
    field : str
        Name used in a ValidationError for a bad path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = pathlib.Path(tmp)
    ...     with atomic_writes([folder / "a.txt", folder / "b.txt"]) as (a, b):
    ...         _ = a.write_text("first")
    ...         _ = b.write_text("second")
    ...     sorted(p.name for p in folder.iterdir())
    ['a.txt', 'b.txt']
    """
    targets = [writable_path(p, field) for p in paths]
    resolved = [os.path.abspath(t) for t in targets]
    if len(set(resolved)) != len(resolved):
        raise ValidationError(field, [os.fspath(p) for p in paths], "distinct file paths")
    temps: list[Path] = []
    try:
        for target in targets:
            temps.append(_new_temp(target))
        yield list(temps)
        for temp in temps:
            _fsync(temp)
        for temp, target in zip(temps, targets):
            os.replace(temp, target)
        for folder in {t.parent for t in targets}:
            _fsync_folder(folder)
    except BaseException:
        for temp in temps:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        raise


@contextlib.contextmanager
def atomic_write(path, field: str = "path") -> Iterator[Path]:
    """Write one file atomically: yield a temporary path, then rename it.

    Write the whole file to the yielded path (any library: h5py, mrcfile,
    ``Path.write_text``) and close it inside the ``with`` block. On a clean
    exit it replaces ``path``; on an exception it is deleted and ``path`` is
    left as it was (absent, or the previous file). The new file gets the
    usual permissions (``0o666`` less the umask).

    Parameters
    ----------
    path : str or os.PathLike
        The final file path. Its folder must exist and be writable; checked
        before anything is created (ValidationError naming ``field``).
    field : str
        Name used in a ValidationError for a bad path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = pathlib.Path(tmp) / "note.txt"
    ...     with atomic_write(target) as part:
    ...         _ = part.write_text("done")
    ...     target.read_text()
    'done'
    """
    with atomic_writes([path], field) as (temp,):
        yield temp


def existing_file(path, field: str = "path") -> Path:
    """``path`` as a Path if it is an existing regular file, else ValidationError.

    Examples
    --------
    >>> existing_file("/no/such/file.h5")
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: path = '/no/such/file.h5' is not allowed; allowed: an existing file
    """
    target = as_path(path, field)
    if not target.is_file():
        raise ValidationError(field, os.fspath(path), "an existing file")
    return target


def _new_temp(target: Path) -> Path:
    """Create an empty, uniquely named temporary file beside ``target``."""
    stem = target.name[:200]  # keep within NAME_MAX once prefix and suffix are added
    for _ in range(100):
        temp = target.with_name(f".{stem}.{secrets.token_hex(4)}{_TEMP_SUFFIX}")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # mode 0o666 less the umask
        except FileExistsError:
            continue
        os.close(fd)
        return temp
    raise FileExistsError(f"could not create a temporary file beside {target}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make the renames durable; not every OS or filesystem allows it."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
