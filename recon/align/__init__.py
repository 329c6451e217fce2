"""Tilt-series alignment: per-view shifts, tilt-axis offset and in-plane axis angle.

- :func:`crosscorr_shifts`: coarse shifts by cross-correlating neighbouring
  views with cosine stretching (Guckenberger 1982; IMOD ``tiltxcorr``); see
  :mod:`recon.align.crosscorr` for the lattice trap, its known failure mode
  on crystals at atomic resolution;
- :func:`axis_angle_deg` (common line) and :func:`axis_offset_px`
  (centre-of-mass sinusoid): the tilt axis (:mod:`recon.align.axis`);
- :func:`projection_matching`: refinement against reprojections
  (:mod:`recon.align.matching`);
- :func:`align` → :class:`Alignment`: all of it; ``alignment.aligned(series)``
  gives a series any reconstruction method takes as it is;
- :func:`score_shifts` → :class:`ShiftScore` and :func:`score_alignment_file`
  (IMOD ``.xf``, AreTomo ``.aln``): shift errors against the truth a
  simulated series carries (:mod:`recon.align.score`).

Shifts follow ``TiltSeries.shifts_px``: ``(row, col)`` [px], the translation
of each recorded view (positive towards higher indices). A rigid translation
of the volume (a constant row shift and column shifts ``x·cos θ + z·sin θ``)
is not observable; the cross-correlation fixes it with the 0° view, and
projection matching keeps it.

>>> import recon.align
>>> sorted(recon.align.METHODS)
['crosscorr', 'crosscorr+matching', 'matching']
"""

from recon.align.alignment import METHODS, Alignment, align, split_axis_offset
from recon.align.axis import axis_angle_deg, axis_offset_px
from recon.align.crosscorr import crosscorr_shifts
from recon.align.matching import projection_matching, remove_translation
from recon.align.score import ShiftScore, score_alignment_file, score_shifts

__all__ = [
    "METHODS",
    "Alignment",
    "ShiftScore",
    "align",
    "axis_angle_deg",
    "axis_offset_px",
    "crosscorr_shifts",
    "projection_matching",
    "remove_translation",
    "score_alignment_file",
    "score_shifts",
    "split_axis_offset",
]
