"""The registry of reconstruction methods.

A method is any callable ``method(series: TiltSeries, **params) -> Volume``.
Built-ins register themselves with :func:`register`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from sim.errors import ValidationError

_METHODS: dict[str, tuple[Callable, str]] = {}


def register(name: str, description: str):
    """Decorator: register ``method`` under ``name`` with a one-line description."""

    def decorate(method: Callable) -> Callable:
        _METHODS[name] = (method, description)
        return method

    return decorate


def get(name: str) -> Callable:
    """The method registered as ``name``.

    Examples
    --------
    >>> import recon
    >>> recon.get("fbp").__name__
    'fbp'
    """
    if name not in _METHODS:
        raise ValidationError("method", name, f"one of {sorted(_METHODS)}")
    return _METHODS[name][0]


def available() -> dict[str, str]:
    """Registered method names with their one-line descriptions."""
    return {name: description for name, (_, description) in sorted(_METHODS.items())}


def check_params(method: Callable, params: dict) -> None:
    """Raise if ``params`` holds a keyword ``method`` does not take (typos must not pass)."""
    accepted = [p.name for p in inspect.signature(method).parameters.values() if p.kind == p.KEYWORD_ONLY]
    for key in params:
        if key not in accepted:
            raise ValidationError(f"{method.__name__}.{key}", params[key], f"a parameter among {accepted}")
