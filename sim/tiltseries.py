"""The :class:`TiltSeries`: what an instrument records, with its ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.geometry import ParallelGeometry
from sim.volume import Volume

PROJECTION_AXES = "(n_angles, n_rows, n_cols)"
VALUE_KINDS = ("counts", "-log transmission", "line integral", "intensity", "phase")
COUNTS_MODELS = ("transmission", "dark field")
LINEAR_VALUES = ("-log transmission", "line integral", "phase")
"""Values that are line integrals of the ground truth (what reconstruction methods take)."""


@dataclass(frozen=True, eq=False)
class TiltSeries:
    """A stack of projections with everything needed to interpret and score it.

    Parameters
    ----------
    data : ndarray, shape (n_angles, n_rows, n_cols)
        The recorded values (read-only float32); rows run along the tilt axis.
    angles_deg : array, shape (n_angles,)
        Tilt of each view [deg], in acquisition order.
    pixel_nm : float
        Detector pixel size referred to the sample [nm].
    values : str
        What ``data`` holds: one of ``"counts"``, ``"-log transmission"``,
        ``"line integral"``, ``"intensity"``, ``"phase"``.
    unit : str
        Unit of ``data`` (``"counts"``, ``"1"`` for dimensionless, ...).
    dose_per_view : array, shape (n_angles,), optional
        Incident dose of each view, in ``dose_unit``.
    dose_unit : str
        E.g. ``"photons/pixel"`` or ``"e/A^2"``.
    shifts_px : array, shape (n_angles, 2), optional
        True per-view image shifts ``(row, col)`` [px] (stage drift).
    axis_offset_px : float
        True column offset of the tilt axis from the detector centre [px].
    flat, dark : ndarray, shape (n_frames, n_rows, n_cols), optional
        White (beam, no sample) and dark (no beam) frames, for ``"counts"``.
    ground_truth : Volume, optional
        The quantity an ideal reconstruction of this series recovers.
    phantom : object, optional
        The sample the series was made from (a ``phantoms.Phantom``).
    provenance : dict
        Instrument, fidelity level, seed, package version, parameters.
    views : dict of str to array, optional
        Per-view table in acquisition order, one value per view for each
        named column (e.g. ``"defocus_nm"``, ``"cumulative_dose_e_per_a2"``,
        ``"time_s"``); names carry their unit.
    counts_model : str
        How ``"counts"`` relate to line integrals ``L`` of the ground truth:
        ``"transmission"`` (``I = I₀·exp(−s·L)``, bright field, absorption)
        or ``"dark field"`` (``I = I₀·(1 − exp(−s·L))``, annular dark field:
        the electrons scattered out of the beam are counted).
    line_integral_scale : float
        ``s`` in the counts model: ``−log(...)/s`` gives ``L`` in the ground
        truth's unit × nm (1 for X-ray absorption).

    Examples
    --------
    >>> import numpy as np
    >>> s = TiltSeries(np.zeros((3, 2, 5)), angles_deg=[-10, 0, 10], pixel_nm=1.5,
    ...                values="line integral", unit="1")
    >>> s.n_angles, s.geometry.n_cols
    (3, 5)
    """

    data: np.ndarray
    angles_deg: np.ndarray
    pixel_nm: float
    values: str
    unit: str = ""
    dose_per_view: np.ndarray | None = None
    dose_unit: str = ""
    shifts_px: np.ndarray | None = None
    axis_offset_px: float = 0.0
    flat: np.ndarray | None = None
    dark: np.ndarray | None = None
    ground_truth: Volume | None = None
    phantom: Any = None
    provenance: dict = field(default_factory=dict)
    views: dict = field(default_factory=dict)
    counts_model: str = "transmission"
    line_integral_scale: float = 1.0

    def __post_init__(self):
        data = validate.finite_array("data", self.data, 3, PROJECTION_AXES)
        object.__setattr__(self, "data", validate.frozen(data))
        n_angles, n_rows, n_cols = data.shape
        angles = validate.angles("angles_deg", self.angles_deg)
        if angles.size != n_angles:
            raise ValidationError("angles_deg", f"<{angles.size} angles>", f"{n_angles} angles, one per view of data")
        object.__setattr__(self, "angles_deg", validate.frozen(angles))
        object.__setattr__(self, "pixel_nm", validate.positive("pixel_nm", self.pixel_nm, "nm"))
        if self.values not in VALUE_KINDS:
            raise ValidationError("values", self.values, f"one of {VALUE_KINDS}")
        if self.dose_per_view is not None:
            dose = np.broadcast_to(np.asarray(self.dose_per_view, float), (n_angles,)).copy()
            if not np.all(np.isfinite(dose)) or np.any(dose < 0):
                raise ValidationError("dose_per_view", self.dose_per_view, "finite values >= 0, one per view")
            object.__setattr__(self, "dose_per_view", validate.frozen(dose))
        geometry = ParallelGeometry(angles, n_rows, n_cols, self.shifts_px, self.axis_offset_px)
        object.__setattr__(self, "shifts_px", geometry.shifts_px)
        object.__setattr__(self, "axis_offset_px", geometry.axis_offset_px)
        for name in ("flat", "dark"):
            frames = getattr(self, name)
            if frames is not None:
                frames = validate.finite_array(name, frames, 3, "(n_frames, n_rows, n_cols)")
                if frames.shape[1:] != (n_rows, n_cols):
                    raise ValidationError(f"{name}.shape", frames.shape, f"(n_frames, {n_rows}, {n_cols})")
                object.__setattr__(self, name, validate.frozen(frames))
        if self.ground_truth is not None and not isinstance(self.ground_truth, Volume):
            raise ValidationError("ground_truth", type(self.ground_truth).__name__, "a sim.Volume or None")
        object.__setattr__(self, "provenance", dict(self.provenance))
        object.__setattr__(self, "views", _views(self.views, n_angles))
        if self.counts_model not in COUNTS_MODELS:
            raise ValidationError("counts_model", self.counts_model, f"one of {COUNTS_MODELS}")
        object.__setattr__(self, "line_integral_scale", validate.positive("line_integral_scale", self.line_integral_scale))

    @property
    def n_angles(self) -> int:
        return int(self.data.shape[0])

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape ``(n_angles, n_rows, n_cols)``."""
        return tuple(self.data.shape)

    @property
    def geometry(self) -> ParallelGeometry:
        """The acquisition geometry with the recorded stage errors."""
        return ParallelGeometry(self.angles_deg, self.data.shape[1], self.data.shape[2], self.shifts_px, self.axis_offset_px)

    def to_line_integrals(self) -> "TiltSeries":
        """Flat/dark-corrected line integrals; see :func:`sim.transmission.to_line_integrals`."""
        from sim.transmission import to_line_integrals

        return to_line_integrals(self)

    def with_data(self, data: np.ndarray, **changes) -> "TiltSeries":
        """A copy holding ``data`` (same geometry and metadata unless changed)."""
        return replace(self, data=data, **changes)


def _views(views: dict, n_angles: int) -> dict:
    """The per-view table as read-only float64 columns of length ``n_angles``."""
    if not isinstance(views, dict):
        raise ValidationError("views", type(views).__name__, "a dict of column name -> one value per view")
    table = {}
    for name, column in views.items():
        values = np.asarray(column, dtype=np.float64)
        if values.shape != (n_angles,) or not np.all(np.isfinite(values)):
            raise ValidationError(f"views[{name!r}]", f"<shape {values.shape}>", f"{n_angles} finite values, one per view")
        table[str(name)] = validate.frozen(values)
    return table
