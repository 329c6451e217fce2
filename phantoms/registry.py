"""The phantom registry: named builders, looked up by :func:`get`.

A builder is a function with keyword-only parameters, each with a default in
physical units, among them ``voxel_nm`` and ``seed``; it returns a
:class:`~phantoms.phantom.Phantom`. Its signature is its option schema:
unknown names are refused with the list of what is allowed. Built-ins
register themselves with :func:`register`; other packages can add builders
through the ``nanotomo.phantoms`` entry-point group (each entry point names a
builder function; its name is the phantom's name, the first line of its
docstring the description).
"""

from __future__ import annotations

import functools
import inspect
from importlib.metadata import entry_points

from sim.errors import ValidationError

ENTRY_POINT_GROUP = "nanotomo.phantoms"

_BUILDERS: dict[str, "Builder"] = {}
_PLUGINS_LOADED = False


class Builder:
    """A registered builder: its name, one-line description and parameter defaults."""

    def __init__(self, name: str, description: str, function):
        self.name, self.description, self.function = name, description, function
        signature = inspect.signature(function)
        bad = [p.name for p in signature.parameters.values() if p.kind is not p.KEYWORD_ONLY or p.default is p.empty]
        if bad:
            raise TypeError(f"phantom builder {name!r}: parameters {bad} must be keyword-only with defaults")
        self.defaults = {p.name: p.default for p in signature.parameters.values()}
        for required in ("voxel_nm", "seed"):
            if required not in self.defaults:
                raise TypeError(f"phantom builder {name!r} must take a {required!r} parameter")

    def check(self, params: dict) -> None:
        """Refuse parameters the builder does not take, listing those it does."""
        for key in params:
            if key not in self.defaults:
                allowed = ", ".join(f"{k}={v!r}" for k, v in self.defaults.items())
                raise ValidationError(key, params[key], f"a parameter of phantom {self.name!r}: {allowed}")


def register(name: str, description: str):
    """Decorator: register a builder under ``name`` with a one-line ``description``.

    The decorated function refuses unknown or positional arguments with a
    :class:`~sim.errors.ValidationError`.

    >>> @register("doc_example_cube", "A 4-voxel cube of Si (documentation example).")
    ... def _cube(*, side_nm=4.0, voxel_nm=1.0, seed=0):
    ...     from phantoms.library import material
    ...     from phantoms.painter import Painter
    ...     from phantoms.shapes import Box
    ...     painter = Painter((6, 6, 6), voxel_nm, [material("Si")])
    ...     painter.paint(Box((0, 0, 0), (side_nm,) * 3), "Si")
    ...     return painter.phantom("doc_example_cube", {"side_nm": side_nm}, seed)
    >>> float(get("doc_example_cube").fractions.sum())
    64.0
    >>> unregister("doc_example_cube")
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValidationError("name", name, "a Python identifier, e.g. 'battery_particle'")
    if not isinstance(description, str) or not description.strip() or "\n" in description.strip():
        raise ValidationError("description", description, "a one-line description")

    def decorate(function):
        @functools.wraps(function)
        def builder(*args, **params):
            if args:
                raise ValidationError("args", args, f"keyword arguments only: {', '.join(entry.defaults)}")
            entry.check(params)
            return function(**params)

        entry = Builder(name, description.strip(), function)
        if name in _BUILDERS and _BUILDERS[name].function is not function:
            raise ValidationError("name", name, f"a name not already registered ({sorted(_BUILDERS)})")
        _BUILDERS[name] = entry
        builder.phantom_name = name
        return builder

    return decorate


def unregister(name: str) -> None:
    """Remove a registered builder (for tests and interactive use)."""
    _BUILDERS.pop(name, None)


def get(name: str, **params):
    """Build the phantom ``name`` with keyword ``params`` (physical units, see :func:`parameters`).

    >>> p = get("nanoplate", width_nm=60.0, thickness_nm=10.0, voxel_nm=2.0)
    >>> p.name, p.material_names, p.shape
    ('nanoplate', ('NiO',), (40, 6, 34))
    """
    entry = _entry(name)
    entry.check(params)
    return entry.function(**params)


def available() -> dict[str, str]:
    """Every registered phantom: ``{name: one-line description}``, sorted by name."""
    _load_plugins()
    return {name: _BUILDERS[name].description for name in sorted(_BUILDERS)}


def parameters(name: str) -> dict:
    """The parameters of phantom ``name`` with their defaults.

    >>> parameters("kirkendall_nanoparticle")["diameter_nm"]
    80.0
    """
    return dict(_entry(name).defaults)


def _entry(name: str) -> Builder:
    _load_plugins()
    if not isinstance(name, str) or name not in _BUILDERS:
        raise ValidationError("name", name, f"one of {sorted(_BUILDERS)}")
    return _BUILDERS[name]


def _load_plugins() -> None:
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in _BUILDERS:
            continue
        function = point.load()
        if point.name in _BUILDERS:  # it registered itself on import
            continue
        doc = (inspect.getdoc(function) or f"Phantom {point.name!r} from {point.value}").splitlines()[0]
        register(point.name, doc)(function)
