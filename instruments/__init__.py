"""Digital twins of microscopes: validated configurations with ``acquire(phantom, scheme, seed=...)``.

>>> import instruments
>>> instruments.preset("txm-lab", photons_per_pixel=500).photons_per_pixel
500
"""

from __future__ import annotations

import dataclasses
import inspect
from importlib.metadata import entry_points

from instruments.nanoprobe import Nanoprobe
from instruments.presets import PRESETS
from instruments.stem import STEM
from instruments.tem import TEM
from instruments.txm import TXM
from sim.errors import ValidationError

_INSTRUMENTS = {
    "txm": (TXM, "full-field TXM: zone plate, partially coherent condenser, Zernike ring, camera, drifting beam; "
                 "fidelity: projection, wave, multislice"),
    "stem": (STEM, "HAADF-STEM (Z-contrast, probe depth of focus, dose, stage, damage); fidelity: projection, multislice"),
    "nanoprobe": (Nanoprobe, "scanning X-ray nanoprobe: focused probe raster-scanned; XRF with self-absorption, "
                             "transmission, DPC and ptychography at once"),
    "tem": (TEM, "bright-field TEM (CTF, inelastic blur, energy filter, DQE/MTF, stage, damage); "
                 "fidelity: projection, wave, multislice"),
}


ENTRY_POINT_GROUP = "nanotomo.instruments"
"""Other packages add instrument kinds here: each entry point names a validated
configuration class (a dataclass with ``acquire(phantom, scheme, *, seed)``);
its name is the kind, the first line of its docstring the description."""

_PLUGINS_LOADED = False


def load_plugins(*, reload: bool = False) -> None:
    """Register the instrument kinds of the ``nanotomo.instruments`` entry-point group (once)."""
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED and not reload:
        return
    _PLUGINS_LOADED = True
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name not in _INSTRUMENTS:
            kind = point.load()
            doc = (inspect.getdoc(kind) or f"instrument {point.name!r} from {point.value}").splitlines()[0]
            _INSTRUMENTS[point.name] = (kind, doc)


def available() -> dict[str, str]:
    """Instrument kinds and presets, each with a one-line description."""
    load_plugins()
    entries = {name: description for name, (_, description) in _INSTRUMENTS.items()}
    entries.update({name: f"preset: {description}" for name, (_, _, description) in PRESETS.items()})
    return entries


def get(name: str, **params):
    """An instrument of kind ``name`` (e.g. ``"txm"``) with ``params``."""
    load_plugins()
    if name not in _INSTRUMENTS:
        raise ValidationError("instrument", name, f"one of {sorted(_INSTRUMENTS)}")
    kind = _INSTRUMENTS[name][0]
    allowed = [f.name for f in dataclasses.fields(kind)]
    for key in params:
        if key not in allowed:
            raise ValidationError(f"{name}.{key}", params[key], f"a parameter among {allowed}")
    return kind(**params)


def preset(name: str, **overrides):
    """The instrument a preset names, with ``overrides`` applied on top."""
    if name not in PRESETS:
        raise ValidationError("preset", name, f"one of {sorted(PRESETS)}")
    kind, params, _ = PRESETS[name]
    return get(kind, **{**params, **overrides})


__all__ = ["Nanoprobe", "PRESETS", "STEM", "TEM", "TXM", "available", "get", "preset"]
