"""One experiment end to end: phantom → TXM tilt series → reconstructions → scores → files.

The built-in default (``RunSpec()``) is what ``nanotomo run`` does with no
arguments: the battery particle, absorption TXM at 8 keV, 181 views over 180°,
FBP and SIRT.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import instruments
import metrics
import phantoms
import recon
from sim import io, plot, validate
from sim.errors import ValidationError
from sim.projector import project
from sim.scheme import TiltScheme
from sim.version import __version__

COLUMN_NAMES = {"rmse": "RMSE", "nrmse": "NRMSE", "psnr": "PSNR", "ssim": "SSIM", "fsc_resolution": "FSC res."}
DEFAULT_METHOD_PARAMS = {"fbp": {"filter": "shepp-logan"}, "sirt": {"n_iter": 40}}


@dataclass(frozen=True)
class RunSpec:
    """What to simulate, reconstruct and score.

    Parameters
    ----------
    phantom : str
        A registered phantom (``nanotomo list``).
    phantom_params : dict
        Its parameters (sizes in nm).
    energy_kev : float
        Photon energy [keV].
    photons_per_pixel : float
        Incident photons per pixel per view.
    tilt_min_deg, tilt_max_deg : float
        Tilt range [deg], both ends recorded.
    n_views : int
        Number of views, evenly spaced over the range.
    methods : tuple of str
        Registered reconstruction methods to run.
    method_params : dict
        Per-method parameters, e.g. ``{"sirt": {"n_iter": 100}}``.
    seed : int
        Seed of the phantom and of the noise.
    """

    phantom: str = "battery_particle"
    phantom_params: dict = field(default_factory=dict)
    energy_kev: float = 8.0
    photons_per_pixel: float = 1.0e4
    tilt_min_deg: float = -90.0
    tilt_max_deg: float = 90.0
    n_views: int = 181
    methods: tuple[str, ...] = ("fbp", "sirt")
    method_params: dict = field(default_factory=dict)
    seed: int = 0

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
        if int(self.n_views) != self.n_views or self.n_views < 2:
            raise ValidationError("n_views", self.n_views, "an integer >= 2")
        validate.in_range("tilt_min_deg", self.tilt_min_deg, -180, 180, "deg")
        validate.in_range("tilt_max_deg", self.tilt_max_deg, self.tilt_min_deg + 1e-3, 180, "deg")
        instruments.TXM(energy_kev=self.energy_kev, photons_per_pixel=self.photons_per_pixel)

    def params_for(self, method: str) -> dict:
        """The method's parameters: the run's defaults updated by the spec's."""
        return {**DEFAULT_METHOD_PARAMS.get(method, {}), **self.method_params.get(method, {})}


@dataclass
class RunResult:
    """What a run produced: its folder, the scores per method, the timings [s] and the sample's visibility."""

    out: Path
    scores: dict
    timings_s: dict
    visibility: dict


def run(spec: RunSpec, out, *, console: Console | None = None, progress: bool = True) -> RunResult:
    """Run ``spec`` and write everything into the folder ``out``.

    Writes ``series.h5`` (Data Exchange), ``ground_truth.h5``,
    ``recon_<method>.h5``, ``metrics.json``, ``provenance.json`` and the
    figures ``orthoslices.png``, ``sinogram.png`` and ``fsc.png``. The folder
    is checked before any work: it must be creatable and writable.
    """
    console = console or Console(stderr=True, quiet=not progress)
    out = _prepare_folder(out)
    timings = {}
    clock = time.perf_counter()

    with console.status(f"building phantom {spec.phantom}"):
        phantom = phantoms.get(spec.phantom, seed=spec.seed, **spec.phantom_params)
    timings["phantom"] = time.perf_counter() - clock
    console.log(f"phantom {spec.phantom}: {phantom.shape} voxels of {phantom.voxel_nm:g} nm, {len(phantom.materials)} materials")

    clock = time.perf_counter()
    instrument = instruments.TXM(energy_kev=spec.energy_kev, photons_per_pixel=spec.photons_per_pixel)
    scheme = TiltScheme.range(spec.tilt_min_deg, spec.tilt_max_deg, n_views=spec.n_views)
    with console.status(f"acquiring {spec.n_views} views"):
        counts = instrument.acquire(phantom, scheme, seed=spec.seed)
        series = counts.to_line_integrals()
    timings["acquire"] = time.perf_counter() - clock
    console.log(f"acquired {counts.shape} at {spec.energy_kev:g} keV, {spec.photons_per_pixel:g} photons/pixel/view")
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

    truth = series.ground_truth
    volumes, scores, curves = {}, {}, {}
    for method in spec.methods:
        clock = time.perf_counter()
        params = spec.params_for(method)
        if "progress" in _keywords(recon.get(method)):
            params = {**params, "progress": progress}
        with console.status(f"reconstructing with {method}"):
            volumes[method] = recon.get(method)(series, **params)
        timings[method] = time.perf_counter() - clock
        curves[method] = metrics.fsc(volumes[method], truth)
        scores[method] = metrics.score(volumes[method], truth, fsc_curve=curves[method])

    clock = time.perf_counter()
    with console.status("writing results"):
        io.save_series(counts, out / "series.h5")
        io.save_volume(truth, out / "ground_truth.h5")
        for method, volume in volumes.items():
            io.save_volume(volume, out / f"recon_{method}.h5")
        io.write_json({m: metrics.scores_as_dict(s) for m, s in scores.items()}, out / "metrics.json")
        io.write_json({**_provenance(spec, series, volumes, timings), "visibility": visibility}, out / "provenance.json")
        plot.orthoslices({"ground truth": truth, **volumes}, out / "orthoslices.png", title=_title(spec))
        plot.sinogram(series, out / "sinogram.png")
        metrics.plot_fsc(curves, out / "fsc.png")
    timings["write"] = time.perf_counter() - clock
    return RunResult(out=out, scores=scores, timings_s=timings, visibility=visibility)


def projection_contrast(series, instrument) -> dict:
    """How visible the sample is in one projection, before any reconstruction.

    The largest noise-free optical depth ``τ = ∫μ dz`` of the sample at 0°
    against the counting noise of ``−log T`` in one pixel of a transparent
    region, ``1/√(detected photons)``: their ratio is the single-pixel
    contrast-to-noise. Below 1 the sample is hidden in the noise of each view
    (averaging many voxels and views can still recover coarse features).
    """
    depth = project(series.ground_truth, [0.0])
    noise = 1.0 / np.sqrt(instrument.photons_per_pixel * instrument.detector_efficiency)
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


def _prepare_folder(out) -> Path:
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


def _keywords(method) -> set[str]:
    return {p.name for p in inspect.signature(method).parameters.values()}


def _title(spec: RunSpec) -> str:
    return (
        f"{spec.phantom}, TXM {spec.energy_kev:g} keV, {spec.n_views} views "
        f"{spec.tilt_min_deg:g}…{spec.tilt_max_deg:g}°, {spec.photons_per_pixel:g} photons/px"
    )


def _provenance(spec: RunSpec, series, volumes, timings) -> dict:
    return {
        "nanotomo_version": __version__,
        "spec": asdict(spec),
        "series": series.provenance,
        "reconstructions": {m: v.metadata.get("params", {}) for m, v in volumes.items()},
        "timings_s": timings,
        "numpy_version": np.__version__,
    }
