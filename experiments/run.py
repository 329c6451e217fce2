"""One experiment end to end: phantom → tilt series → reconstructions → scores → files.

The built-in default (``RunSpec()``) is what ``nanotomo run`` does with no
arguments: the battery particle, absorption TXM at 8 keV, 181 views over 180°,
FBP and SIRT. ``RunSpec(instrument="stem-200kv-haadf", phantom="lamella")``
runs an electron instrument (a preset or the kinds ``"stem"``, ``"tem"``)
over its holder's tilt range and adds the IMOD-ready files of
:mod:`experiments.electron_outputs`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import instruments
import metrics
import phantoms
import recon
from experiments.electron_outputs import acquisition_time, write_electron_files
from experiments.nanoprobe_run import run_nanoprobe
from experiments.reconstruct import reconstruct
from experiments.report import write_run_report
from experiments.spec import from_run_spec
from sim import io, plot, validate
from sim.errors import ValidationError
from sim.io.atomic import atomic_write
from sim.holder import holder
from sim.projector import project
from sim.scheme import TiltScheme
from sim.version import __version__

COLUMN_NAMES = {"rmse": "RMSE", "nrmse": "NRMSE", "psnr": "PSNR", "ssim": "SSIM", "fsc_resolution": "FSC res."}
DEFAULT_METHOD_PARAMS = {"fbp": {"filter": "shepp-logan"}, "sirt": {"n_iter": 40}}
TXM_DEFAULTS = {"tilt_min_deg": -90.0, "tilt_max_deg": 90.0, "n_views": 181}
NANOPROBE_DEFAULTS = {"tilt_min_deg": -90.0, "tilt_max_deg": 90.0, "n_views": 61}
SCAN_KEYS = ("field_um", "step_nm", "dwell_s", "mode", "overhead_per_point_s", "overhead_per_line_s", "jitter_nm")
"""Raster-scan parameters a nanoprobe spec may set directly in ``instrument_params``."""
ELECTRON_STEP_DEG = 2.0  # 71 views over ±70°: typical electron series have 70–140 views (MRS Bulletin 45, 2020)
ORDERS = ("sequential", "dose-symmetric", "bidirectional")


@dataclass(frozen=True)
class RunSpec:
    """What to simulate, reconstruct and score.

    Unset values (None) are resolved on construction from the instrument, so
    the spec always holds the values the run uses.

    Parameters
    ----------
    phantom : str
        A registered phantom (``nanotomo list``).
    phantom_params : dict
        Its parameters (sizes in nm).
    energy_kev : float, optional
        Photon energy [keV] (TXM only; default the preset's, else 8 keV).
    photons_per_pixel : float, optional
        Incident photons per pixel per view (TXM only; default the preset's, else 1e4).
    tilt_min_deg, tilt_max_deg : float, optional
        Tilt range [deg], both ends recorded. Default: −90…90° for the TXM,
        the holder's limit (e.g. ±70° for the "standard" holder) for an
        electron instrument, whose tilts must stay within it.
    n_views : int, optional
        Number of views, evenly spaced over the range. Default: 181 for the
        TXM; for an electron instrument one view every 2° (71 over ±70°;
        typical series have 70–140 views, MRS Bulletin 45, 2020).
    methods : tuple of str
        Registered reconstruction methods to run.
    method_params : dict
        Per-method parameters, e.g. ``{"sirt": {"n_iter": 100}}``.
    seed : int
        Seed of the phantom and of the noise.
    instrument : str
        An instrument kind (``"txm"``, ``"stem"``, ``"tem"``) or a preset
        name (``nanotomo list``).
    instrument_params : dict
        Instrument parameters over the preset's (e.g. ``{"dose_total_e_per_a2": 120}``).
    order : str
        Acquisition order: ``"sequential"``, ``"dose-symmetric"`` or ``"bidirectional"``.
    """

    phantom: str = "battery_particle"
    phantom_params: dict = field(default_factory=dict)
    energy_kev: float | None = None
    photons_per_pixel: float | None = None
    tilt_min_deg: float | None = None
    tilt_max_deg: float | None = None
    n_views: int | None = None
    methods: tuple[str, ...] = ("fbp", "sirt")
    method_params: dict = field(default_factory=dict)
    seed: int = 0
    instrument: str = "txm"
    instrument_params: dict = field(default_factory=dict)
    order: str = "sequential"

    def __post_init__(self):
        if self.phantom not in phantoms.available():
            raise ValidationError("phantom", self.phantom, f"one of {sorted(phantoms.available())}")
        if not self.methods:
            raise ValidationError("methods", self.methods, "at least one of " + str(sorted(recon.available())))
        for method in self.methods:
            recon.get(method)
        for method, params in self.method_params.items():
            if method not in self.methods:
                raise ValidationError("method_params", method, f"one of the chosen methods {list(self.methods)}")
            recon.check_params(recon.get(method), params)
        if self.order not in ORDERS:
            raise ValidationError("order", self.order, f"one of {ORDERS}")
        if not isinstance(self.instrument_params, dict):
            raise ValidationError("instrument_params", self.instrument_params, "a dict of instrument parameters")
        kind = instrument_kind(self.instrument)
        if kind == "txm":
            config = self._txm()
            object.__setattr__(self, "energy_kev", config.energy_kev)
            object.__setattr__(self, "photons_per_pixel", config.photons_per_pixel)
            defaults = TXM_DEFAULTS
        elif kind == "nanoprobe":
            if self.photons_per_pixel is not None:
                raise ValidationError("photons_per_pixel", self.photons_per_pixel,
                                      f"unset for the scanning instrument {self.instrument!r} (its flux and dwell "
                                      "go in instrument_params: flux_photons_per_s, dwell_s)")
            config = self._nanoprobe()
            object.__setattr__(self, "energy_kev", config.energy_kev)
            defaults = NANOPROBE_DEFAULTS
        else:
            for name in ("energy_kev", "photons_per_pixel"):
                if getattr(self, name) is not None:
                    raise ValidationError(name, getattr(self, name), f"unset for the electron instrument {self.instrument!r} "
                                          "(its dose and optics go in instrument_params)")
            config = self.instrument_config()
            if config.fidelity == "multislice" and kind == "stem":
                raise ValidationError("instrument", self.instrument,
                                      "an instrument for voxel phantoms: the STEM multislice level images atomic models "
                                      "(ase.Atoms from phantoms.atomic) through the Python API, "
                                      "instruments.preset(...).acquire(atoms, scheme, seed=...)")
            limit = holder(config.holder).tilt_limit_deg
            low = -limit if self.tilt_min_deg is None else self.tilt_min_deg
            high = limit if self.tilt_max_deg is None else self.tilt_max_deg
            defaults = {"tilt_min_deg": -limit, "tilt_max_deg": limit,
                        "n_views": int(round((high - low) / ELECTRON_STEP_DEG)) + 1}
        for name, value in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        if int(self.n_views) != self.n_views or self.n_views < 2:
            raise ValidationError("n_views", self.n_views, "an integer >= 2")
        validate.in_range("tilt_min_deg", self.tilt_min_deg, -180, 180, "deg")
        validate.in_range("tilt_max_deg", self.tilt_max_deg, self.tilt_min_deg + 1e-3, 180, "deg")
        if self.electron:
            for name in ("tilt_min_deg", "tilt_max_deg"):
                if abs(getattr(self, name)) > limit:
                    raise ValidationError(name, getattr(self, name),
                                          f"|tilt| <= {limit:g}° for the {config.holder!r} holder of {self.instrument!r}")

    @property
    def electron(self) -> bool:
        """Whether the instrument is an electron microscope (not the TXM or the nanoprobe)."""
        return instrument_kind(self.instrument) not in ("txm", "nanoprobe")

    def instrument_config(self):
        """The validated instrument this spec names (a preset or a kind, with ``instrument_params``)."""
        kind = instrument_kind(self.instrument)
        if kind == "txm":
            return self._txm()
        if kind == "nanoprobe":
            return self._nanoprobe()
        return _build(self.instrument, self.instrument_params)

    def scheme(self) -> TiltScheme:
        """The tilt scheme this spec records: ``n_views`` over its tilt range, in its order."""
        return TiltScheme.range(self.tilt_min_deg, self.tilt_max_deg, n_views=self.n_views, order=self.order)

    def params_for(self, method: str) -> dict:
        """The method's parameters: the run's defaults updated by the spec's."""
        return {**DEFAULT_METHOD_PARAMS.get(method, {}), **self.method_params.get(method, {})}

    def _txm(self):
        params = dict(self.instrument_params)
        for name in ("energy_kev", "photons_per_pixel"):
            value = getattr(self, name)
            if value is not None:
                if name in params and params[name] != value:
                    raise ValidationError(name, value, f"given once (instrument_params also sets {name} = {params[name]!r})")
                params[name] = value
        return _build(self.instrument, params)

    def _nanoprobe(self):
        params = dict(self.instrument_params)
        if self.energy_kev is not None:
            if "energy_kev" in params and params["energy_kev"] != self.energy_kev:
                raise ValidationError("energy_kev", self.energy_kev,
                                      f"given once (instrument_params also sets energy_kev = {params['energy_kev']!r})")
            params["energy_kev"] = self.energy_kev
        scan = {key: params.pop(key) for key in SCAN_KEYS if key in params}
        config = _build(self.instrument, params)
        if "field_um" in scan:
            scan["field_um"] = tuple(scan["field_um"])
        return replace(config, scan=replace(config.scan, **scan)) if scan else config


def instrument_kind(name: str) -> str:
    """The kind (``"txm"``, ``"stem"``, ``"tem"``) of an instrument kind or preset name.

    Examples
    --------
    >>> instrument_kind("stem-200kv-haadf"), instrument_kind("txm")
    ('stem', 'txm')
    """
    if name in instruments.PRESETS:
        return instruments.PRESETS[name][0]
    kinds = sorted(set(instruments.available()) - set(instruments.PRESETS))
    if name not in kinds:
        raise ValidationError("instrument", name, f"an instrument kind {kinds} or a preset {sorted(instruments.PRESETS)}")
    return name


def _build(name: str, params: dict):
    if name in instruments.PRESETS:
        return instruments.preset(name, **params)
    return instruments.get(name, **params)


@dataclass
class RunResult:
    """What a run produced: its folder, the scores per method, the timings [s], the sample's visibility
    (TXM) and the simulated session's acquisition time [s] (electron instruments)."""

    out: Path
    scores: dict
    timings_s: dict
    visibility: dict
    acquisition_time_s: dict = field(default_factory=dict)


def run(spec: RunSpec, out, *, console: Console | None = None, progress: bool = True, metric_names=None) -> RunResult:
    """Run ``spec`` and write everything into the folder ``out``.

    Writes ``ground_truth.h5``, ``recon_<method>.h5``, ``metrics.json``,
    ``provenance.json`` and the figures ``orthoslices.png``, ``sinogram.png``
    and ``fsc.png``; the recorded series as ``series.h5`` (Data Exchange) for
    the TXM, or for an electron instrument the IMOD-ready files of
    :func:`experiments.electron_outputs.write_electron_files` (``series.mrc``,
    ``.tlt``, ``series_true.xf``, ``views.csv``, ``acquisition_time.json``,
    ``tiltseries.png``, ``dose_and_shift.png``). The reconstructions use the
    views as recorded: stage shifts are not corrected (``series_true.xf``
    holds the true alignment). The folder is checked before any work: it
    must be creatable and writable. ``spec.toml`` is the resolved spec
    (:mod:`experiments.spec`, with ``metric_names`` when given), which re-runs
    the run bit-identically; ``report.html`` shows it all in one
    self-contained page (:mod:`experiments.report`).
    """
    console = console or Console(stderr=True, quiet=not progress)
    out = prepare_folder(out)
    resolved = from_run_spec(spec, **({} if metric_names is None else {"metrics": metric_names})).to_toml()
    timings = {}
    clock = time.perf_counter()

    with console.status(f"building phantom {spec.phantom}"):
        phantom = phantoms.get(spec.phantom, seed=spec.seed, **spec.phantom_params)
    timings["phantom"] = time.perf_counter() - clock
    console.log(f"phantom {spec.phantom}: {phantom.shape} voxels of {phantom.voxel_nm:g} nm, {len(phantom.materials)} materials")

    if instrument_kind(spec.instrument) == "nanoprobe":
        done = run_nanoprobe(spec, phantom, out, console, progress)
        _write_spec(resolved, out)
        write_run_report(out)
        return RunResult(out=out, scores=done["scores"], timings_s={"phantom": timings["phantom"], **done["timings_s"]},
                         visibility={}, acquisition_time_s=done["acquisition_time_s"])

    clock = time.perf_counter()
    counts, series, extra = acquire(spec, phantom, console, progress)
    timings["acquire"] = time.perf_counter() - clock

    truth = series.ground_truth
    volumes, scores, curves = {}, {}, {}
    for method in spec.methods:
        clock = time.perf_counter()
        with console.status(f"reconstructing with {method}"):
            volumes[method] = reconstruct(spec, method, series, progress=progress)
        timings[method] = time.perf_counter() - clock
        curves[method] = metrics.fsc(volumes[method], truth)
        scores[method] = metrics.score(volumes[method], truth, fsc_curve=curves[method])

    clock = time.perf_counter()
    with console.status("writing results"):
        if spec.electron:
            write_electron_files(counts, out)
        else:
            io.save_series(counts, out / "series.h5")
        io.save_volume(truth, out / "ground_truth.h5")
        for method, volume in volumes.items():
            io.save_volume(volume, out / f"recon_{method}.h5")
        io.write_json({m: metrics.scores_as_dict(s) for m, s in scores.items()}, out / "metrics.json")
        io.write_json({**_provenance(spec, series, volumes, timings), **extra}, out / "provenance.json")
        plot.orthoslices({"ground truth": truth, **volumes}, out / "orthoslices.png", title=_title(spec, counts))
        plot.sinogram(series, out / "sinogram.png")
        metrics.plot_fsc(curves, out / "fsc.png")
        _write_spec(resolved, out)
        write_run_report(out)
    timings["write"] = time.perf_counter() - clock
    return RunResult(out=out, scores=scores, timings_s=timings, visibility=extra.get("visibility", {}),
                     acquisition_time_s=extra.get("acquisition_time_s", {}))


def acquire(spec: RunSpec, phantom, console: Console, progress: bool):
    """The recorded series (counts), its line integrals and the provenance extras of ``spec``'s acquisition."""
    return (_acquire_electron if spec.electron else _acquire_txm)(spec, phantom, console, progress)


def _acquire_txm(spec: RunSpec, phantom, console: Console, progress: bool):
    """Counts, line integrals and the provenance extras (visibility) of a TXM acquisition."""
    instrument = spec.instrument_config()
    scheme = spec.scheme()
    with console.status(f"acquiring {spec.n_views} views"):
        counts = instrument.acquire(phantom, scheme, seed=spec.seed)
        series = counts.to_line_integrals()
    console.log(f"acquired {counts.shape} at {spec.energy_kev:g} keV, {spec.photons_per_pixel:g} photons/pixel/view")
    scan, limits = counts.provenance["scan_time_s"], counts.provenance["resolution_nm"]
    console.log(f"scan time {scan['total_min']:.3g} min ({instrument.timing.mode} scan); resolution limit "
                f"{limits['achievable_nm']:.3g} nm (zone plate {limits['zone_plate_rayleigh_nm']:.3g} nm, "
                f"pixel {limits['pixel_nyquist_nm']:.3g} nm){'' if instrument.fidelity != 'projection' else ', ideal optics at this level'}")
    visibility = projection_contrast(series, instrument)
    console.log(
        f"largest optical depth {visibility['max_optical_depth']:.3g}, counting noise {visibility['noise_per_pixel']:.3g}"
        f" per pixel: contrast-to-noise {visibility['contrast_to_noise']:.3g}"
    )
    if visibility["contrast_to_noise"] < 1:
        console.print(
            "[yellow]warning:[/yellow] the sample is fainter than the counting noise in a single pixel: "
            "the reconstructions will be mostly noise. Raise the photons per pixel, or lower the energy."
        )
    return counts, series, {"visibility": visibility}


def _acquire_electron(spec: RunSpec, phantom, console: Console, progress: bool):
    """Counts, line integrals and the provenance extras (session time, alignment note) of an electron acquisition."""
    instrument = spec.instrument_config()
    scheme = spec.scheme()
    console.log(f"acquiring {spec.n_views} views {spec.tilt_min_deg:g}…{spec.tilt_max_deg:g}° ({spec.order}) "
                f"with {spec.instrument}")
    counts = instrument.acquire(phantom, scheme, seed=spec.seed, progress=progress)
    session = acquisition_time(counts)
    console.log(f"acquired {counts.shape}, {float(counts.dose_per_view.sum()):.4g} e/A^2 in all, "
                f"simulated session {session['total_h']:.2f} h")
    console.print("[yellow]note:[/yellow] the reconstructions use the views as recorded; the stage shifts are "
                  "not corrected (the true alignment is in series_true.xf).")
    alignment = "none: views reconstructed as recorded; true per-view alignment in series_true.xf"
    return counts, counts.to_line_integrals(), {"acquisition_time_s": session, "alignment": alignment}


def projection_contrast(series, instrument) -> dict:
    """How visible the sample is in one projection, before any reconstruction.

    The largest noise-free optical depth ``τ = ∫μ dz`` of the sample at 0°
    against the counting noise of ``−log T`` in one pixel of a transparent
    region, ``1/√(detected photons)``: their ratio is the single-pixel
    contrast-to-noise. Below 1 the sample is hidden in the noise of each view
    (averaging many voxels and views can still recover coarse features).
    """
    depth = project(series.ground_truth, [0.0])
    noise = 1.0 / np.sqrt(instrument.photons_per_pixel * instrument.detector.quantum_efficiency)
    tau = float(depth.max())
    return {"max_optical_depth": tau, "noise_per_pixel": float(noise), "contrast_to_noise": tau / float(noise)}


def score_table(result: RunResult) -> Table:
    """A rich table of the scores, one row per method."""
    table = Table(title=f"scores against the ground truth ({result.out})")
    first = next(iter(result.scores.values()))
    table.add_column("method")
    for name, score in first.items():
        table.add_column(escape(f"{COLUMN_NAMES.get(name, name)}\n[{score.unit or '1'}]"), justify="right")
    table.add_column(escape("time\n[s]"), justify="right")
    for method, scores in result.scores.items():
        cells = [f"{score.value:.4g}" for score in scores.values()]
        table.add_row(method, *cells, f"{result.timings_s[method]:.1f}")
    return table


def _write_spec(text: str, out: Path) -> None:
    """The resolved spec, ``spec.toml``: ``nanotomo run out/spec.toml`` repeats the run bit-identically."""
    with atomic_write(out / "spec.toml") as tmp:
        tmp.write_text(text)


def prepare_folder(out) -> Path:
    """``out`` as a Path, created and checked writable (else a clear error, before any work)."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValidationError("out", str(out), f"a folder that can be created ({error.strerror})") from None
    probe = out / ".nanotomo-write-test"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise ValidationError("out", str(out), f"a writable folder ({error.strerror})") from None
    return out


def _title(spec: RunSpec, counts) -> str:
    views = f"{spec.n_views} views {spec.tilt_min_deg:g}…{spec.tilt_max_deg:g}°"
    if spec.electron:
        return (f"{spec.phantom}, {spec.instrument}, {views} ({spec.order}), "
                f"{float(counts.dose_per_view.sum()):.4g} e/Å² in all")
    return f"{spec.phantom}, TXM {spec.energy_kev:g} keV, {views}, {spec.photons_per_pixel:g} photons/px"


def _provenance(spec: RunSpec, series, volumes, timings) -> dict:
    return {
        "nanotomo_version": __version__,
        "spec": asdict(spec),
        "series": series.provenance,
        "reconstructions": {m: v.metadata.get("params", {}) for m, v in volumes.items()},
        "timings_s": timings,
        "numpy_version": np.__version__,
    }
