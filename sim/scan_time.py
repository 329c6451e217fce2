"""How long a full-field (TXM) tomography scan takes: exposures, readouts, rotation, flat fields.

A full-field scan records ``n_views`` projections while the rotation stage
turns the sample, plus flat fields with the sample moved out of the beam
(and dark fields with the shutter closed). Two ways of turning:

- ``"step"`` (step-and-shoot): rotate by the step, wait for the stage to
  settle, expose, read out; per view ``move + settle + exposure + readout``.
- ``"fly"`` (continuous rotation): the stage turns at constant speed and the
  camera runs back to back; per view ``max(exposure, readout)`` for a camera
  that reads the previous frame while exposing the next (sCMOS rolling/global
  shutter with overlap), ``exposure + readout`` otherwise. Fly scans are how
  synchrotron TXMs reach ~1 min tomograms (e.g. ~1000 views at ~50 ms; Ge et
  al., J. Synchrotron Rad. 25, 1563 (2018)).

Flats and darks: ``n_flats`` frames with the sample moved out and back
(``sample_move_s`` each way), ``n_darks`` frames with the shutter closed, at
the start of the scan.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim import validate
from sim.errors import ValidationError

MODES = ("step", "fly")


@dataclass(frozen=True)
class ScanTiming:
    """Per-step times of a full-field tomography scan.

    Parameters
    ----------
    exposure_s : float
        Exposure per projection [s], > 0.
    readout_s : float
        Camera readout per frame [s], ≥ 0 (sCMOS at full frame: ~10 ms; a
        slow-scan CCD: ~1 s).
    mode : str
        ``"step"`` or ``"fly"`` (see the module docstring).
    overlapped_readout : bool
        Fly scans: the camera reads out while exposing the next frame.
    rotation_speed_deg_per_s : float
        Rotation stage speed between steps [deg/s] (step scans).
    settle_s : float
        Wait after each step [s] (step scans).
    n_flats, n_darks : int
        Flat and dark frames recorded with the scan.
    sample_move_s : float
        Moving the sample out of the beam (and back) for the flats, each way [s].

    Examples
    --------
    >>> timing = ScanTiming(exposure_s=0.05, readout_s=0.01, mode="fly", n_flats=20, n_darks=20)
    >>> round(scan_time(timing, n_views=1000, range_deg=180.0)["total_s"], 1)
    54.4
    """

    exposure_s: float = 1.0
    readout_s: float = 0.05
    mode: str = "step"
    overlapped_readout: bool = True
    rotation_speed_deg_per_s: float = 20.0
    settle_s: float = 0.2
    n_flats: int = 10
    n_darks: int = 10
    sample_move_s: float = 1.0

    def __post_init__(self):
        validate.positive("exposure_s", self.exposure_s, "s")
        for name in ("readout_s", "settle_s", "sample_move_s"):
            validate.non_negative(name, getattr(self, name), "s")
        validate.positive("rotation_speed_deg_per_s", self.rotation_speed_deg_per_s, "deg/s")
        if self.mode not in MODES:
            raise ValidationError("mode", self.mode, f"one of {MODES}")
        for name in ("n_flats", "n_darks"):
            value = getattr(self, name)
            if isinstance(value, bool) or int(value) != value or value < 0:
                raise ValidationError(name, value, "an integer >= 0")

    def frame_s(self) -> float:
        """Time per projection once the stage is in place [s]: exposure and readout, overlapped in fly scans."""
        if self.mode == "fly" and self.overlapped_readout:
            return max(self.exposure_s, self.readout_s)
        return self.exposure_s + self.readout_s


def scan_time(timing: ScanTiming, *, n_views: int, range_deg: float) -> dict[str, float]:
    """The time budget of a scan [s], by step, and its total.

    Parameters
    ----------
    timing : ScanTiming
        The per-step times.
    n_views : int
        Projections, evenly spaced over ``range_deg``.
    range_deg : float
        Rotation range [deg], > 0.

    Returns
    -------
    dict
        ``projections_s`` (exposures and readouts), ``rotation_s`` (moves and
        settling of step scans; 0 for fly scans, which rotate while exposing),
        ``flats_darks_s``, ``total_s`` and ``total_min``.

    Examples
    --------
    >>> budget = scan_time(ScanTiming(exposure_s=1.0, readout_s=0.5, settle_s=0.5, rotation_speed_deg_per_s=10.0,
    ...                               n_flats=0, n_darks=0), n_views=181, range_deg=180.0)
    >>> budget["projections_s"], budget["rotation_s"]
    (271.5, 108.0)
    """
    if isinstance(n_views, bool) or int(n_views) != n_views or n_views < 1:
        raise ValidationError("n_views", n_views, "an integer >= 1")
    range_deg = validate.positive("range_deg", range_deg, "deg")
    projections = n_views * timing.frame_s()
    rotation = 0.0
    if timing.mode == "step" and n_views > 1:
        rotation = (n_views - 1) * (range_deg / (n_views - 1) / timing.rotation_speed_deg_per_s + timing.settle_s)
    flats = (timing.n_flats + timing.n_darks) * (timing.exposure_s + timing.readout_s)
    if timing.n_flats:
        flats += 2 * timing.sample_move_s
    total = projections + rotation + flats
    return {"projections_s": projections, "rotation_s": rotation, "flats_darks_s": flats,
            "total_s": total, "total_min": total / 60.0}
