"""From recorded counts to line integrals: flat/dark correction and −log."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim.errors import ValidationError
from sim.tiltseries import TiltSeries

MIN_COUNTS = 0.5


def to_line_integrals(series: TiltSeries) -> TiltSeries:
    """Flat- and dark-corrected ``−log(I/I₀)`` of a series of counts.

    ``T = (I − D)/(F − D)`` with ``F`` and ``D`` the mean flat (white) and dark
    frames; ``−log T`` is the line integral of μ (dimensionless). Where the
    beam was fully absorbed (``I − D < 0.5`` counts, a log of ≤ 0 otherwise)
    the signal is floored at half a count: that is the measurement's own
    limit, and it is documented in the returned provenance
    (``"floored_pixels"``).

    Examples
    --------
    >>> import numpy as np
    >>> s = TiltSeries(np.full((1, 1, 2), 50.0), angles_deg=[0], pixel_nm=1.0, values="counts",
    ...                unit="counts", flat=np.full((2, 1, 2), 100.0), dark=np.zeros((1, 1, 2)))
    >>> li = to_line_integrals(s)
    >>> li.values, round(float(li.data[0, 0, 0]), 4)   # −log(1/2)
    ('-log transmission', 0.6931)
    """
    if series.values != "counts":
        raise ValidationError("series.values", series.values, "'counts' (this converts counts to −log transmission)")
    if series.flat is None:
        raise ValidationError("series.flat", None, "flat (white) frames recorded with the series")
    dark = series.dark.mean(axis=0) if series.dark is not None else np.zeros(series.data.shape[1:], np.float32)
    beam = series.flat.mean(axis=0) - dark
    if np.any(beam <= 0):
        raise ValidationError("series.flat", "<flat <= dark somewhere>", "flat frames brighter than dark frames everywhere")
    signal = series.data - dark
    floored = int(np.count_nonzero(signal < MIN_COUNTS))
    np.maximum(signal, MIN_COUNTS, out=signal)
    line = -np.log(signal / beam)
    provenance = {**series.provenance, "converted": "to_line_integrals", "floored_pixels": floored}
    return replace(series, data=line.astype(np.float32), values="-log transmission", unit="1", provenance=provenance)
