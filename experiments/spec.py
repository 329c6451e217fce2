"""Experiment specs: one readable TOML (or YAML) file that says what to simulate, reconstruct and score.

::

    seed = 0
    metrics = ["rmse", "ssim", "fsc_resolution"]

    [phantom]
    name = "battery_particle"
    params = { voxel_nm = 26.0 }

    [instrument]
    name = "txm-synchrotron"          # a preset or a kind (``nanotomo list``)
    params = { fidelity = "projection" }

    [scan]
    tilt_min_deg = -90.0
    tilt_max_deg = 90.0
    n_views = 91
    photons_per_pixel = 1e4           # X-rays; electrons: dose_e_per_a2

    [methods]
    fbp = { filter = "shepp-logan" }
    sirt = { n_iter = 40 }

    [sweep]                            # optional: the axes of `nanotomo sweep`
    mode = "grid"                      # or "list" (the axes zipped)
    axes = { "scan.photons_per_pixel" = [1e3, 1e4], seed = [0, 1, 2] }

The file is validated with pydantic on load (:func:`load_spec`): unknown keys
are rejected, and every error names the field path, the value and what is
allowed, as :class:`sim.errors.ValidationError`. The spec then resolves
through :class:`experiments.run.RunSpec`, which fills every default from the
instrument (:meth:`ExperimentSpec.resolved`), so the spec a run writes into
its folder (``spec.toml``) re-runs it bit-identically.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

import pydantic
import tomli_w
import yaml
from pydantic import BaseModel, ConfigDict, Field

import phantoms
from phantoms.registry import parameters
from sim.errors import ValidationError
from sim.io.jsonio import to_jsonable

METRICS = ("rmse", "nrmse", "psnr", "ssim", "fsc_resolution")
"""Scores a spec may name (``metrics.score``)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PhantomSpec(_Strict):
    """The sample: a registered phantom and its parameters (sizes in nm)."""

    name: str = "battery_particle"
    params: dict[str, Any] = Field(default_factory=dict)


class InstrumentSpec(_Strict):
    """The instrument: a preset or a kind, with overrides (``energy_kev`` for X-rays)."""

    name: str = "txm"
    params: dict[str, Any] = Field(default_factory=dict)


class ScanSpec(_Strict):
    """The tilt series: range [deg], views, acquisition order and dose."""

    tilt_min_deg: float | None = Field(default=None, ge=-180.0, le=180.0)
    tilt_max_deg: float | None = Field(default=None, ge=-180.0, le=180.0)
    n_views: int | None = Field(default=None, ge=2, le=10_000)
    order: Literal["sequential", "dose-symmetric", "bidirectional"] = "sequential"
    photons_per_pixel: float | None = Field(default=None, gt=0.0)
    dose_e_per_a2: float | None = Field(default=None, gt=0.0)


class SweepSpec(_Strict):
    """Axes of a sweep: field path -> values, as a grid (every combination) or a list (zipped)."""

    mode: Literal["grid", "list"] = "grid"
    axes: dict[str, list[Any]] = Field(default_factory=dict)


class ExperimentSpec(_Strict):
    """What to simulate, reconstruct and score; see the module docstring for the file format."""

    phantom: PhantomSpec = Field(default_factory=PhantomSpec)
    instrument: InstrumentSpec = Field(default_factory=InstrumentSpec)
    scan: ScanSpec = Field(default_factory=ScanSpec)
    methods: dict[str, dict[str, Any]] = Field(default_factory=lambda: {"fbp": {}, "sirt": {}})
    metrics: list[Literal[METRICS]] = Field(default_factory=lambda: list(METRICS))  # type: ignore[valid-type]
    seed: int = Field(default=0, ge=0)
    out: str | None = None
    sweep: SweepSpec | None = None

    def to_run_spec(self):
        """The :class:`experiments.run.RunSpec` of this spec (validated; errors name the spec's field path)."""
        from experiments.run import RunSpec, instrument_kind

        _check_phantom(self.phantom)
        params = dict(self.instrument.params)
        energy = params.pop("energy_kev", None)
        photons = self.scan.photons_per_pixel
        kind = _at("instrument.name", lambda: instrument_kind(self.instrument.name))
        if self.scan.dose_e_per_a2 is not None:
            if kind in ("txm", "nanoprobe"):
                raise ValidationError("scan.dose_e_per_a2", self.scan.dose_e_per_a2,
                                      "unset for an X-ray instrument (use scan.photons_per_pixel)")
            params["dose_total_e_per_a2"] = self.scan.dose_e_per_a2
        return _at("", lambda: RunSpec(
            phantom=self.phantom.name, phantom_params=dict(self.phantom.params), energy_kev=energy,
            photons_per_pixel=photons, tilt_min_deg=self.scan.tilt_min_deg, tilt_max_deg=self.scan.tilt_max_deg,
            n_views=self.scan.n_views, methods=tuple(self.methods),
            method_params={m: dict(p) for m, p in self.methods.items() if p}, seed=self.seed,
            instrument=self.instrument.name, instrument_params=params, order=self.scan.order))

    def resolved(self) -> ExperimentSpec:
        """This spec with every default the run fills in written out (tilt range, views, energy, method parameters)."""
        run = self.to_run_spec()
        return from_run_spec(run, metrics=self.metrics, out=self.out, sweep=self.sweep)

    def to_toml(self) -> str:
        """The spec as TOML (unset values left out)."""
        return tomli_w.dumps(to_jsonable(self.model_dump(exclude_none=True), "spec"))


_FIELD_PATHS = {
    "phantom": "phantom.name", "phantom_params": "phantom.params", "instrument": "instrument.name",
    "instrument_params": "instrument.params", "energy_kev": "instrument.params.energy_kev",
    "photons_per_pixel": "scan.photons_per_pixel", "tilt_min_deg": "scan.tilt_min_deg",
    "tilt_max_deg": "scan.tilt_max_deg", "n_views": "scan.n_views", "order": "scan.order", "methods": "methods",
    "method_params": "methods", "seed": "seed", "dose_total_e_per_a2": "scan.dose_e_per_a2",
}


def _at(path: str, build):
    """Run ``build``; re-raise its ValidationError with the field given as the spec's path."""
    try:
        return build()
    except ValidationError as error:
        field = error.field
        head = field.split(".")[0]
        if path:
            field = path
        elif head in _FIELD_PATHS:
            field = _FIELD_PATHS[head] + field[len(head):]
        elif "." in field:
            field = f"methods.{field}"
        raise ValidationError(field, error.value, error.allowed) from None


def _check_phantom(phantom: PhantomSpec) -> None:
    if phantom.name not in phantoms.available():
        raise ValidationError("phantom.name", phantom.name, f"one of {sorted(phantoms.available())}")
    accepted = [name for name in parameters(phantom.name) if name != "seed"]
    for key, value in phantom.params.items():
        if key not in accepted:
            raise ValidationError(f"phantom.params.{key}", value, f"a parameter of {phantom.name!r} among {accepted}")


def from_run_spec(run, *, metrics=METRICS, out=None, sweep=None) -> ExperimentSpec:
    """The (resolved) :class:`ExperimentSpec` of a :class:`experiments.run.RunSpec`."""
    from experiments.run import instrument_kind

    kind = instrument_kind(run.instrument)
    params = dict(run.instrument_params)
    dose = params.pop("dose_total_e_per_a2", None)
    if kind in ("txm", "nanoprobe") and run.energy_kev is not None:
        params["energy_kev"] = run.energy_kev
    scan = ScanSpec(tilt_min_deg=run.tilt_min_deg, tilt_max_deg=run.tilt_max_deg, n_views=run.n_views,
                    order=run.order, photons_per_pixel=run.photons_per_pixel if kind == "txm" else None,
                    dose_e_per_a2=dose)
    return ExperimentSpec(phantom=PhantomSpec(name=run.phantom, params=dict(run.phantom_params)),
                          instrument=InstrumentSpec(name=run.instrument, params=params), scan=scan,
                          methods={m: run.params_for(m) for m in run.methods}, metrics=list(metrics), seed=run.seed,
                          out=out, sweep=sweep)


def parse_spec(data: dict, source: str = "<spec>") -> ExperimentSpec:
    """Validate a spec given as a dict; errors name the field path, the value and what is allowed."""
    if not isinstance(data, dict):
        raise ValidationError(source, type(data).__name__, "a table of spec fields")
    try:
        spec = ExperimentSpec.model_validate(data)
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        path = ".".join(str(part) for part in first["loc"] if not str(part).startswith("literal["))
        value = first.get("input")
        allowed = first["msg"]
        if first["type"] == "extra_forbidden":
            allowed = "a known field (this one is not: check the spelling)"
        raise ValidationError(path or source, value if not isinstance(value, dict) else "<table>", allowed) from None
    spec.to_run_spec()
    return spec


def load_spec(path) -> ExperimentSpec:
    """Read and validate a TOML (``.toml``) or YAML (``.yaml``/``.yml``) spec file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "s.toml").write_text('seed = 3\\n[scan]\\nn_views = 31\\n')
    >>> load_spec(folder / "s.toml").scan.n_views
    31
    >>> _ = (folder / "bad.toml").write_text('[scan]\\nn_veiws = 31\\n')
    >>> load_spec(folder / "bad.toml")
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: scan.n_veiws = 31 is not allowed; allowed: a known field (this one is not: check the spelling)
    """
    path = Path(path)
    if not path.is_file():
        raise ValidationError("spec", str(path), "an existing .toml or .yaml file")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            raise ValidationError("spec", str(path), "a file ending in .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise ValidationError("spec", str(path), f"valid {path.suffix[1:].upper()} ({error})") from None
    return parse_spec(data or {}, str(path))


def default_spec() -> ExperimentSpec:
    """The built-in default (what ``nanotomo run`` does with no arguments), resolved."""
    return ExperimentSpec().resolved()
