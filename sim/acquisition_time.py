"""How long a tilt series takes, from the per-step times of the microscope.

Every view: tilt to the angle (``|Δθ|`` at the goniometer's tilt speed, from 0°
for the first view), wait for the stage to settle, then, with tilt-by-tilt
tracking, centre and focus, and finally expose and read out the record image.

- Tilt-by-tilt tracking (the traditional scheme; Ziese et al., J. Microsc. 211,
  179 (2003); Mastronarde, J. Struct. Biol. 152, 36 (2005)): ``tracking_iterations``
  cycles of a low-dose tracking image on the ROI (exposure, readout,
  cross-correlation and image-shift correction); then a switch to the focus
  areas, ``focus_iterations`` autofocus cycles on each of ``focus_areas`` areas
  (``focus_images`` beam-tilted images, readout each, then computation and
  correction), and a switch back. Focusing is done off the ROI, so only the
  tracking images dose it.
- Predictive tracking (Ziese et al. 2003; Zheng et al., J. Struct. Biol. 147,
  91 (2004)): no images during the series. Before it, one calibration run
  tilts from 0° to the series' lowest tilt, up to the highest and back down,
  stopping every ``Tracking.calibration_step_deg`` for a settle and one
  tracking image (exposure, readout, computation), then returns to 0°. It is
  done on an area along the tilt axis beside the ROI (same distance from the
  axis, so the same displacement curve), which receives no dose on the ROI.
- No tracking: move, settle, record.

Defaults, each a typical value for an automated CCD-era setup (assumed from the
descriptions in the references above; change them for your microscope): record
exposure 1 s; readout 1 s per image (a 2k × 2k CCD); tracking image 0.5 s,
two cycles (measure and correct, then confirm); focus images 0.5 s, two per
measurement (beam tilted both ways), three cycles to converge, on two areas on
either side of the ROI along the tilt axis (their mean height is the ROI's even
on a sloping specimen); 2 s of computation and microscope communication per
correction; 2 s for each switch between the record and the focus areas (beam
shift and lens normalisation in low-dose mode); settle and tilt speed from the
:class:`sim.stage.Stage`.

With these, −70°…+70° at 1° (141 views) takes 1.79 h tilt-by-tilt (46 s a
view, most of it focusing) and 17.4 min predictively, 6.2× faster including a
fresh 6.3 min calibration and 9.6× faster when a calibration is reused
(``total_s − calibration_s``): the field's "1–3 h" and "about 10×" (MRS
Bulletin 45, 2020) come out of the per-step numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.stage import Stage, Tracking, as_tracking, calibration_angles


@dataclass(frozen=True)
class AcquisitionTiming:
    """Per-step times of an automated tilt-series acquisition (defaults: module docstring).

    Parameters
    ----------
    exposure_s, readout_s : float
        Record exposure [s]; camera readout of any image [s].
    tracking_exposure_s : float
        Exposure of one tracking image [s].
    tracking_iterations : int
        Tracking cycles per view (tilt-by-tilt), >= 1.
    focus_exposure_s : float
        Exposure of one autofocus image [s].
    focus_images : int
        Images per autofocus measurement (beam tilted each way), >= 1.
    focus_iterations : int
        Autofocus cycles per area and view (tilt-by-tilt), >= 1.
    focus_areas : int
        Focus areas per view (tilt-by-tilt), >= 1.
    computation_s : float
        Computation and microscope communication per correction [s].
    area_switch_s : float
        One switch between the record and the focus areas [s].
    tracking_dose_e_per_a2 : float
        Electron dose one tracking image puts on the ROI [e⁻/Å²]. Default 0.1,
        a small fraction of a record's dose (assumed).

    Examples
    --------
    >>> AcquisitionTiming(readout_s=0.5).readout_s
    0.5
    """

    exposure_s: float = 1.0
    readout_s: float = 1.0
    tracking_exposure_s: float = 0.5
    tracking_iterations: int = 2
    focus_exposure_s: float = 0.5
    focus_images: int = 2
    focus_iterations: int = 3
    focus_areas: int = 2
    computation_s: float = 2.0
    area_switch_s: float = 2.0
    tracking_dose_e_per_a2: float = 0.1

    def __post_init__(self):
        for name in ("exposure_s", "readout_s", "tracking_exposure_s", "focus_exposure_s", "computation_s", "area_switch_s"):
            object.__setattr__(self, name, validate.non_negative(name, getattr(self, name), "s"))
        dose = validate.non_negative("tracking_dose_e_per_a2", self.tracking_dose_e_per_a2, "e/Å²")
        object.__setattr__(self, "tracking_dose_e_per_a2", dose)
        for name in ("tracking_iterations", "focus_images", "focus_iterations", "focus_areas"):
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) or int(value) != value or value < 1:
                raise ValidationError(name, value, "an integer >= 1")
            object.__setattr__(self, name, int(value))


@dataclass(frozen=True, eq=False)
class AcquisitionTime:
    """Where the time of a tilt series goes.

    Attributes
    ----------
    tilt_moves_s, settling_s, exposures_s, readouts_s : float
        Series totals [s] of goniometer moves, settling waits, record
        exposures and record readouts.
    tracking_s, focusing_s : float
        Tilt-by-tilt tracking and autofocus, their images included [s].
    calibration_s : float
        The predictive calibration run before the series [s].
    times_s : ndarray, shape (n,)
        Start of each record exposure [s], from the start of the series (after
        the calibration, when the ROI was centred at 0°).
    position_lag_s, focus_lag_s : ndarray, shape (n,)
        Tilt-by-tilt: time from the last position / focus measurement (middle
        of its images) to the record's start [s]; zero otherwise.
    tracking_dose_e_per_a2 : ndarray, shape (n,)
        Dose the tracking images put on the ROI at each view [e⁻/Å²].
    """

    tilt_moves_s: float
    settling_s: float
    exposures_s: float
    readouts_s: float
    tracking_s: float
    focusing_s: float
    calibration_s: float
    times_s: np.ndarray
    position_lag_s: np.ndarray
    focus_lag_s: np.ndarray
    tracking_dose_e_per_a2: np.ndarray

    def __post_init__(self):
        for name in ("times_s", "position_lag_s", "focus_lag_s", "tracking_dose_e_per_a2"):
            object.__setattr__(self, name, validate.frozen(np.asarray(getattr(self, name), dtype=np.float64)))

    def parts(self) -> dict:
        """The named parts [s] (they sum to :attr:`total_s`)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), float)}

    @property
    def total_s(self) -> float:
        """Total time [s], calibration included."""
        return float(sum(self.parts().values()))


def acquisition_time(angles_deg, timing: AcquisitionTiming, stage: Stage, tracking: Tracking | str) -> AcquisitionTime:
    """Time breakdown of a tilt series and the start time of every exposure.

    Parameters
    ----------
    angles_deg : array, shape (n,)
        Tilts in acquisition order [deg] (``TiltScheme.angles_deg``); the
        stage starts at 0°.
    timing : AcquisitionTiming
        Per-step times.
    stage : Stage
        Gives the tilt speed and the settling wait.
    tracking : Tracking or str
        ``"tilt-by-tilt"``, ``"predictive"`` or ``"none"``.

    Returns
    -------
    AcquisitionTime

    Examples
    --------
    >>> angles = np.arange(-70.0, 71.0)
    >>> slow = acquisition_time(angles, AcquisitionTiming(), Stage(), "tilt-by-tilt")
    >>> fast = acquisition_time(angles, AcquisitionTiming(), Stage(), "predictive")
    >>> round(slow.total_s / 3600, 2), round(fast.total_s / 60, 1)   # h, min
    (1.79, 17.4)
    """
    angles = validate.angles("angles_deg", angles_deg)
    if not isinstance(timing, AcquisitionTiming):
        raise ValidationError("timing", type(timing).__name__, "an AcquisitionTiming")
    if not isinstance(stage, Stage):
        raise ValidationError("stage", type(stage).__name__, "a sim.stage.Stage")
    method = as_tracking(tracking)
    n = angles.size

    moves = np.abs(np.diff(angles, prepend=0.0)) / stage.tilt_speed_deg_per_s
    per_view = moves + stage.settle_s
    lag_position = np.zeros(n)
    lag_focus = np.zeros(n)
    dose = np.zeros(n)
    tracking_s = focusing_s = calibration_s = 0.0
    if method.method == "tilt-by-tilt":
        cycle = timing.tracking_exposure_s + timing.readout_s + timing.computation_s
        track_block = timing.tracking_iterations * cycle
        focus_images_s = timing.focus_images * (timing.focus_exposure_s + timing.readout_s)
        measure = focus_images_s + timing.computation_s
        focus_block = 2 * timing.area_switch_s + timing.focus_areas * timing.focus_iterations * measure
        per_view = per_view + track_block + focus_block
        lag_position[:] = timing.tracking_exposure_s / 2 + timing.readout_s + timing.computation_s + focus_block
        lag_focus[:] = focus_images_s / 2 + timing.computation_s + timing.area_switch_s
        dose[:] = timing.tracking_iterations * timing.tracking_dose_e_per_a2
        tracking_s, focusing_s = n * track_block, n * focus_block
    elif method.method == "predictive":
        points = calibration_angles(angles, method.calibration_step_deg)
        low, high = points[0], points[-1]
        sweep_deg = 2 * abs(low) + 2 * (high - low)
        stop = stage.settle_s + timing.tracking_exposure_s + timing.readout_s + timing.computation_s
        calibration_s = float(sweep_deg / stage.tilt_speed_deg_per_s + 2 * points.size * stop)

    record = timing.exposure_s + timing.readout_s
    starts = np.concatenate([[0.0], np.cumsum(per_view + record)[:-1]])
    return AcquisitionTime(
        tilt_moves_s=float(moves.sum()),
        settling_s=float(n * stage.settle_s),
        exposures_s=float(n * timing.exposure_s),
        readouts_s=float(n * timing.readout_s),
        tracking_s=float(tracking_s),
        focusing_s=float(focusing_s),
        calibration_s=calibration_s,
        times_s=starts + per_view,
        position_lag_s=lag_position,
        focus_lag_s=lag_focus,
        tracking_dose_e_per_a2=dose,
    )
