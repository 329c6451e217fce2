"""From recorded counts to line integrals: flat/dark correction and −log.

Two counts models (``TiltSeries.counts_model``), each with a scale ``s``
(``TiltSeries.line_integral_scale``):

- ``"transmission"``: ``I = I₀·exp(−s·L)`` so ``L = −log(I/I₀)/s``
  (X-ray absorption, ``s = 1``; bright-field electrons);
- ``"dark field"``: ``I = I₀·(1 − exp(−s·L))`` so ``L = −log(1 − I/I₀)/s``
  (annular dark field: the detector counts the electrons scattered out of
  the incident beam ``I₀``, which is linear in ``L`` for thin samples and
  saturates for thick ones).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim.errors import ValidationError
from sim.tiltseries import TiltSeries
from sim.units import times_nm

MIN_COUNTS = 0.5
INCIDENT = "incident_per_px"
"""Per-view column of a series' ``views`` holding the incident beam [counts/px]
of each view (electron series, whose dose changes from view to view); when
present it replaces the flat frames."""


def to_line_integrals(series: TiltSeries) -> TiltSeries:
    """Flat- and dark-corrected line integrals of a series of counts.

    ``T = (I − D)/(F − D)`` with ``F`` and ``D`` the mean flat (white, the
    incident beam) and dark frames; a series whose ``views`` holds
    ``"incident_per_px"`` (the incident counts per pixel of each view) uses
    that as ``F`` instead. For ``"transmission"`` series ``−log T``
    is the line integral of μ (dimensionless); for ``"dark field"`` series
    ``−log(1 − T)`` is. Both are divided by the series'
    ``line_integral_scale``; the unit is the ground truth's times nm
    (``sim.units.times_nm``: ``"1"`` for μ, ``"1/nm^2"`` for a density in
    ``1/nm^3``), or ``"1"`` without a ground truth. Where the log's argument falls below half a
    count (beam fully absorbed, or a dark-field pixel at or above the incident
    beam) it is floored there: that is the measurement's own limit, and it is
    documented in the returned provenance (``"floored_pixels"``).

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
    dark = series.dark.mean(axis=0) if series.dark is not None else np.zeros(series.data.shape[1:], np.float32)
    if INCIDENT in series.views:
        beam = np.asarray(series.views[INCIDENT], np.float64)[:, None, None] - dark
    elif series.flat is None:
        raise ValidationError("series.flat", None, f"flat (white) frames or views[{INCIDENT!r}] recorded with the series")
    else:
        beam = series.flat.mean(axis=0) - dark
    if np.any(beam <= 0):
        raise ValidationError("series.flat", "<flat <= dark somewhere>", "flat frames brighter than dark frames everywhere")
    signal = series.data - dark
    if series.counts_model == "dark field":
        signal = beam - signal
    floored = int(np.count_nonzero(signal < MIN_COUNTS))
    np.maximum(signal, MIN_COUNTS, out=signal)
    line = -np.log(signal / beam) / series.line_integral_scale
    provenance = {**series.provenance, "converted": "to_line_integrals", "floored_pixels": floored}
    unit = "1" if series.ground_truth is None else times_nm(series.ground_truth.unit)
    return replace(series, data=line.astype(np.float32), values="-log transmission", unit=unit, provenance=provenance)
