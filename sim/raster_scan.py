"""The raster scan of a scanning X-ray microscope: probe positions with jitter, and how long it takes.

The focused probe visits a rectangular grid over the field of view, line by
line (lines along the columns, ``x``; successive lines step in ``y``). Two
ways of moving (de Jonge & Vogt, Curr. Opin. Struct. Biol. 20, 606 (2010);
Vogt, J. Phys. IV 104, 635 (2003)):

- ``"step"`` (step scan): move, settle, trigger, count; every point costs
  ``dwell + overhead_per_point`` and every line ``overhead_per_line``
  (return to the line start).
- ``"fly"`` (fly scan, continuous motion along the line): the detectors are
  gated on the fly, so a point costs only its dwell; every line still costs
  ``overhead_per_line`` (fly-back, acceleration, arming the detectors).

The scan time of one projection is then exact arithmetic,

    t = n_points·dwell + [step] n_points·overhead_per_point + n_lines·overhead_per_line,

and a tomogram repeats it at every angle, plus ``rotation_overhead_s`` per
angle (rotate, re-centre the particle, refocus). At a hard-X-ray nanoprobe
this makes a fluorescence tomogram of a micron particle a day-long
measurement: 15 nm steps over 1.5 µm are 10⁴ points, and 180 angles at
60 ms per point are already 30 h (de Jonge & Vogt 2010 discuss these times
and fly scanning as the remedy).

Probe-position errors: the actual positions are the commanded grid plus
independent Gaussian jitter of rms ``jitter_nm`` per axis (interferometer-read
nanopositioning stages hold a few nm; Nazaretski et al., J. Synchrotron Rad.
24, 1113 (2017)); they are drawn from a seeded generator and are the ground
truth of where the probe was.

Positions are ``(y_nm, x_nm)`` = (row, column) from the field's centre, in
scan order (row-major).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.noise import generator

MODES = ("step", "fly")
_NM_PER_UM = 1e3


@dataclass(frozen=True)
class RasterScan:
    """A 2-D raster scan of a focused X-ray probe.

    Parameters
    ----------
    field_um : tuple of float
        Field of view ``(width, height)`` [µm]: ``x`` along a line, ``y`` across lines.
    step_nm : float
        Step between neighbouring points along and across lines [nm], > 0.
        ``ceil(width/step)`` points per line, ``ceil(height/step)`` lines.
    dwell_s : float
        Counting time per point [s], > 0 (XRF nanoprobes: typically 10–50 ms;
        de Jonge & Vogt 2010).
    mode : str
        ``"step"`` or ``"fly"`` (module docstring).
    overhead_per_point_s : float
        Move, settle and trigger per point in step mode [s], ≥ 0; default
        10 ms (typical piezo step-and-settle, 5–10 ms). Not spent in fly mode.
    overhead_per_line_s : float
        Per line, both modes [s], ≥ 0; default 1 s (fly-back, acceleration,
        detector arming).
    jitter_nm : float
        rms probe-position error per axis [nm], ≥ 0; default 2 nm.

    Examples
    --------
    >>> scan = RasterScan(field_um=(0.3, 0.2), step_nm=10.0, dwell_s=0.05)
    >>> scan.shape, scan.n_points
    ((20, 30), 600)
    >>> scan.scan_time()["total_s"]
    56.0
    >>> RasterScan(field_um=(1.0, 1.0), step_nm=0.0, dwell_s=0.05)
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: step_nm = 0.0 is not allowed; allowed: a finite number > 0 nm
    """

    field_um: tuple[float, float]
    step_nm: float
    dwell_s: float
    mode: str = "step"
    overhead_per_point_s: float = 0.010
    overhead_per_line_s: float = 1.0
    jitter_nm: float = 2.0

    def __post_init__(self):
        try:
            width, height = self.field_um
        except (TypeError, ValueError):
            raise ValidationError("field_um", self.field_um, "two numbers (width, height) > 0 µm") from None
        object.__setattr__(self, "field_um", (validate.positive("field_um", width, "µm"),
                                              validate.positive("field_um", height, "µm")))
        object.__setattr__(self, "step_nm", validate.positive("step_nm", self.step_nm, "nm"))
        object.__setattr__(self, "dwell_s", validate.positive("dwell_s", self.dwell_s, "s"))
        if self.mode not in MODES:
            raise ValidationError("mode", self.mode, f"one of {MODES}")
        for name in ("overhead_per_point_s", "overhead_per_line_s"):
            object.__setattr__(self, name, validate.non_negative(name, getattr(self, name), "s"))
        object.__setattr__(self, "jitter_nm", validate.non_negative("jitter_nm", self.jitter_nm, "nm"))

    @property
    def shape(self) -> tuple[int, int]:
        """Grid ``(n_lines, n_points_per_line)`` = ``(ceil(height/step), ceil(width/step))``."""
        width, height = (extent * _NM_PER_UM / self.step_nm for extent in self.field_um)
        return (max(1, math.ceil(height - 1e-9)), max(1, math.ceil(width - 1e-9)))

    @property
    def n_points(self) -> int:
        """Probe positions per projection."""
        n_lines, per_line = self.shape
        return n_lines * per_line

    def commanded_nm(self) -> np.ndarray:
        """The commanded grid ``(n_points, 2)`` of ``(y_nm, x_nm)`` from the field centre, row-major [nm].

        >>> RasterScan(field_um=(0.02, 0.01), step_nm=10.0, dwell_s=0.01).commanded_nm()
        array([[ 0., -5.],
               [ 0.,  5.]])
        """
        n_lines, per_line = self.shape
        y = (np.arange(n_lines) - (n_lines - 1) / 2.0) * self.step_nm
        x = (np.arange(per_line) - (per_line - 1) / 2.0) * self.step_nm
        grid_y, grid_x = np.meshgrid(y, x, indexing="ij")
        return np.stack([grid_y.ravel(), grid_x.ravel()], axis=1)

    def positions_nm(self, rng) -> np.ndarray:
        """Actual probe positions ``(n_points, 2)`` [nm]: the commanded grid plus seeded Gaussian jitter.

        Parameters
        ----------
        rng : int or numpy.random.Generator
            Seed or generator (:func:`sim.noise.generator`); the same seed
            gives bit-identical positions.

        Examples
        --------
        >>> scan = RasterScan(field_um=(0.1, 0.1), step_nm=10.0, dwell_s=0.01, jitter_nm=3.0)
        >>> bool(np.array_equal(scan.positions_nm(4), scan.positions_nm(4)))
        True
        """
        commanded = self.commanded_nm()
        return commanded + generator(rng).normal(0.0, self.jitter_nm, size=commanded.shape)

    def scan_time(self) -> dict[str, float]:
        """Time of one projection's raster [s], by part.

        Returns ``dwell_s``, ``point_overhead_s`` (0 in fly mode),
        ``line_overhead_s`` and their sum ``total_s``.
        """
        dwell = self.n_points * self.dwell_s
        points = self.n_points * self.overhead_per_point_s if self.mode == "step" else 0.0
        lines = self.shape[0] * self.overhead_per_line_s
        return {"dwell_s": dwell, "point_overhead_s": points, "line_overhead_s": lines,
                "total_s": dwell + points + lines}

    def tomography_time(self, n_angles: int, rotation_overhead_s: float = 10.0) -> dict[str, float]:
        """Time of a tomogram: the raster at each of ``n_angles`` angles, plus a rotation overhead per angle.

        Parameters
        ----------
        n_angles : int
            Projections, >= 1.
        rotation_overhead_s : float
            Per angle: rotate, re-centre and refocus [s], ≥ 0 (default 10 s).

        Returns
        -------
        dict
            ``dwell_s``, ``point_overhead_s``, ``line_overhead_s``,
            ``rotation_s``, ``total_s``, ``total_h`` and ``per_projection_s``
            (the raster alone).

        Examples
        --------
        >>> scan = RasterScan(field_um=(0.3, 0.2), step_nm=10.0, dwell_s=0.05)
        >>> budget = scan.tomography_time(3, rotation_overhead_s=2.0)
        >>> budget["total_s"], budget["rotation_s"]
        (174.0, 6.0)
        """
        if isinstance(n_angles, (bool, np.bool_)) or not isinstance(n_angles, (int, np.integer)) or n_angles < 1:
            raise ValidationError("n_angles", n_angles, "an integer >= 1")
        rotation = validate.non_negative("rotation_overhead_s", rotation_overhead_s, "s")
        raster = self.scan_time()
        budget = {name: n_angles * value for name, value in raster.items() if name != "total_s"}
        budget["rotation_s"] = n_angles * rotation
        total = sum(budget.values())
        budget.update(total_s=total, total_h=total / 3600.0, per_projection_s=raster["total_s"])
        return budget
