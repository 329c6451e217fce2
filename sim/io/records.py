"""What every nanotomo file carries besides its arrays: format name, version, writer, tokens."""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata

import numpy as np

from sim.errors import ValidationError

FORMAT_VERSION = 1
SERIES_FORMAT = "nanotomo.tiltseries"
VOLUME_FORMAT = "nanotomo.volume"


@functools.cache
def written_by() -> str:
    """``"nanotomo <version>"``, recorded in every file written.

    Examples
    --------
    >>> written_by().startswith("nanotomo ")
    True
    """
    try:
        return f"nanotomo {metadata.version('nanotomo')}"
    except metadata.PackageNotFoundError:
        return "nanotomo (version unknown: not installed)"


def content_token(array: np.ndarray) -> str:
    """A short fingerprint (16 hex digits) of an array's dtype, shape and bytes.

    Written into each file of a multi-file save and into its sidecar, so a
    load can tell when the files did not come from the same save (a stale
    companion left by an older save, or a save interrupted between renames).
    Deterministic: saving the same data twice gives the same files.

    Examples
    --------
    >>> import numpy as np
    >>> content_token(np.zeros(3, np.float32)) == content_token(np.zeros(3, np.float32))
    True
    >>> content_token(np.zeros(3, np.float32)) == content_token(np.ones(3, np.float32))
    False
    """
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()[:16]


def check_format(record_format: object, record_version: object, expected: str, shown: str) -> None:
    """Raise a ValidationError naming ``path`` unless the file is ``expected`` and readable."""
    if record_format != expected:
        raise ValidationError("path", shown, f"a {expected} file written by nanotomo (found format {record_format!r})")
    try:
        version = int(record_version)
    except (TypeError, ValueError):
        raise ValidationError("path", shown, f"a {expected} file with an integer format_version") from None
    if version > FORMAT_VERSION:
        raise ValidationError("path", shown, f"format_version <= {FORMAT_VERSION} (written by a newer nanotomo; upgrade)")
