"""Digital twins of microscopes: validated configurations with ``acquire(phantom, scheme, seed=...)``.

>>> import instruments
>>> instruments.preset("txm-lab-5.4kev", photons_per_pixel=500).photons_per_pixel
500
"""

from __future__ import annotations

import dataclasses

from instruments.presets import PRESETS
from instruments.stem import STEM
from instruments.tem import TEM
from instruments.txm import TXM
from sim.errors import ValidationError

_INSTRUMENTS = {
    "txm": (TXM, "full-field absorption TXM (Beer-Lambert, Poisson noise, flats/darks); fidelity: projection"),
    "stem": (STEM, "HAADF-STEM (Z-contrast, probe depth of focus, dose, stage, damage); fidelity: projection, multislice"),
    "tem": (TEM, "bright-field TEM (CTF, inelastic blur, energy filter, DQE/MTF, stage, damage); "
                 "fidelity: projection, wave, multislice"),
}


def available() -> dict[str, str]:
    """Instrument kinds and presets, each with a one-line description."""
    entries = {name: description for name, (_, description) in _INSTRUMENTS.items()}
    entries.update({name: f"preset: {description}" for name, (_, _, description) in PRESETS.items()})
    return entries


def get(name: str, **params):
    """An instrument of kind ``name`` (e.g. ``"txm"``) with ``params``."""
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


__all__ = ["PRESETS", "STEM", "TEM", "TXM", "available", "get", "preset"]
