"""The registry of reconstruction methods.

A method is any callable ``method(series: TiltSeries, **params) -> Volume``.
Built-ins register themselves with :func:`register`; other packages add
methods through the ``nanotomo.recon`` entry-point group (each entry point
names a method; its name is the method's name, the first line of its
docstring the description), loaded the first time the registry is read.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from importlib.metadata import entry_points

from sim.errors import ValidationError

ENTRY_POINT_GROUP = "nanotomo.recon"

_METHODS: dict[str, tuple[Callable, str]] = {}
_PLUGINS_LOADED = False


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
    load_plugins()
    if name not in _METHODS:
        raise ValidationError("method", name, f"one of {sorted(_METHODS)}")
    return _METHODS[name][0]


def available() -> dict[str, str]:
    """Registered method names with their one-line descriptions."""
    load_plugins()
    return {name: description for name, (_, description) in sorted(_METHODS.items())}


def check_params(method: Callable, params: dict) -> None:
    """Raise if ``params`` holds a keyword ``method`` does not take (typos must not pass)."""
    accepted = [p.name for p in inspect.signature(method).parameters.values() if p.kind == p.KEYWORD_ONLY]
    for key in params:
        if key not in accepted:
            raise ValidationError(f"{method.__name__}.{key}", params[key], f"a parameter among {accepted}")


def load_plugins(*, reload: bool = False) -> None:
    """Register the methods of the ``nanotomo.recon`` entry-point group (once; again with ``reload``)."""
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED and not reload:
        return
    _PLUGINS_LOADED = True
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in _METHODS:
            continue
        method = point.load()
        if point.name not in _METHODS:
            doc = (inspect.getdoc(method) or f"method {point.name!r} from {point.value}").splitlines()[0]
            register(point.name, doc)(method)
