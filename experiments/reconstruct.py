"""Calling a reconstruction method the way a run does: the spec's parameters, progress where the method shows it."""

from __future__ import annotations

import inspect

import recon


def keywords(method) -> set[str]:
    """The names of ``method``'s parameters."""
    return {p.name for p in inspect.signature(method).parameters.values()}


def reconstruct(spec, method: str, series, *, progress: bool):
    """``method``'s reconstruction of ``series`` with ``spec.params_for(method)`` (and ``progress`` if it takes it)."""
    function = recon.get(method)
    params = spec.params_for(method)
    if "progress" in keywords(function):
        params = {**params, "progress": progress}
    return function(series, **params)
