"""Hypothesis strategies for ``sim`` objects: geometries, tilt schemes, dose budgets.

For test authors who want realistic inputs in their own property-based
tests. hypothesis is a test dependency, so this module is never imported by
``sim`` itself; import it explicitly::

    from sim.strategies import dose_budgets, geometries, tilt_schemes

Everything drawn is a valid object (it went through the validators of
:mod:`sim`): angles in degrees, sizes in pixels, doses in the units their
names carry. Sizes are small by default so that examples stay cheap.

Examples
--------
>>> from hypothesis import given, settings
>>> @settings(max_examples=10, deadline=None, database=None)
... @given(tilt_schemes(holder="standard", max_views=9))
... def check(scheme):
...     assert scheme.max_tilt_deg <= 70.0 and 2 <= len(scheme) <= 9
>>> check()
"""

from __future__ import annotations

import math

import numpy as np
try:
    from hypothesis import strategies as st
except ImportError as error:  # a test dependency: say how to get it
    raise ImportError("sim.strategies needs hypothesis: pip install 'nanotomo[test]'") from error

from sim.errors import ValidationError
from sim.geometry import ParallelGeometry
from sim.holder import HOLDERS, Holder, holder as holder_named
from sim.scheme import ORDERS, TiltScheme

ELECTRON_DOSE_E_PER_A2 = (1.0, 1.0e5)
"""Range of electron dose budgets per tilt series [e⁻/Å²]: from beam-sensitive
soft matter (cryo-ET series of ~60–200 e⁻/Å² in total, Hagen et al., J. Struct.
Biol. 197, 191 (2017); a few e⁻/Å² for the most sensitive organics) to robust
inorganic nanoparticles in HAADF-STEM (1e4–1e5 e⁻/Å² per series: the presets
``stem-200kv-haadf`` and ``stem-300kv-atomic``; Midgley & Weyland,
Ultramicroscopy 96, 413 (2003))."""

XRAY_PHOTONS_PER_PIXEL = (1.0e2, 1.0e6)
"""Range of incident X-ray photons per detector pixel per view [photons]: a
lab TXM records ~1e3 in tens of seconds, a synchrotron TXM ~1e4 in 50 ms and
up to ~1e6 with longer exposures (Ge et al., J. Synchrotron Rad. 25, 1563
(2018); the presets ``txm-lab`` and ``txm-synchrotron``)."""

SCHEME_ORDERS = tuple(order for order in ORDERS if order != "as-given")
"""Acquisition orders :func:`tilt_schemes` draws (``TiltScheme.range`` orders)."""


def log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats spread evenly in log10 between ``low`` and ``high`` (both > 0, inclusive).

    Physical budgets span decades; a plain ``st.floats`` would put almost
    every draw in the top decade. Shrinks towards ``low``.

    >>> from hypothesis import find
    >>> find(log_uniform(10.0, 1000.0), lambda v: v > 50.0) > 50.0
    True
    """
    if not (0 < low <= high and math.isfinite(high)):
        raise ValidationError("low/high", (low, high), "0 < low <= high < inf")
    exponents = st.floats(math.log10(low), math.log10(high), allow_nan=False, allow_infinity=False)
    # 10**log10(x) may round one ulp past either end: keep the draw inside the stated range.
    return exponents.map(lambda e: min(max(10.0**e, low), high))


def _holder(holder) -> Holder:
    if isinstance(holder, Holder):
        return holder
    return holder_named(holder)


def holders(names=tuple(HOLDERS)) -> st.SearchStrategy[Holder]:
    """A specimen holder of :data:`sim.holder.HOLDERS` (``names`` restricts the choice)."""
    return st.sampled_from(tuple(_holder(name) for name in names))


def tilt_schemes(
    holder: str | Holder | None = None,
    *,
    min_views: int = 2,
    max_views: int = 31,
    min_range_deg: float = 10.0,
    orders=SCHEME_ORDERS,
    symmetric: bool | None = None,
) -> st.SearchStrategy[TiltScheme]:
    """A :class:`~sim.scheme.TiltScheme` within a holder's tilt limit.

    Parameters
    ----------
    holder : str, Holder or None
        The holder whose limit bounds every tilt (``"standard"`` ±70°,
        ``"high-tilt"`` ±75°, ``"on-axis"`` ±90°; :mod:`sim.holder`). None:
        a holder is drawn too.
    min_views, max_views : int
        Bounds on the number of views (2 <= min_views <= max_views).
    min_range_deg : float
        Smallest tilt range ``stop − start`` [deg], in (0, 140].
    orders : sequence of str
        Acquisition orders to draw from (``"sequential"``,
        ``"dose-symmetric"``, ``"bidirectional"``).
    symmetric : bool or None
        True: ``start = −stop``; False: independent ends; None: either.

    Returns
    -------
    strategy of TiltScheme
        Evenly spaced tilts [deg] from ``start`` to ``stop`` (both included),
        ``|tilt| <= holder.tilt_limit_deg``, in the drawn order.
    """
    limits = [_holder(holder).tilt_limit_deg] if holder is not None else [h.tilt_limit_deg for h in HOLDERS.values()]
    _counts("min_views/max_views", min_views, max_views, 2)
    widest = 2 * min(limits)
    if not 0 < min_range_deg <= widest:
        raise ValidationError("min_range_deg", min_range_deg, f"in (0, {widest:g}] deg (twice the holder's limit)")
    orders = tuple(orders)
    if not orders or any(order not in SCHEME_ORDERS for order in orders):
        raise ValidationError("orders", orders, f"a non-empty subset of {SCHEME_ORDERS}")
    limit = st.sampled_from(limits)
    return _tilt_schemes(limit, int(min_views), int(max_views), float(min_range_deg), orders, symmetric)


@st.composite
def _tilt_schemes(draw, limits, min_views, max_views, min_range_deg, orders, symmetric) -> TiltScheme:
    limit = draw(limits)
    n_views = draw(st.integers(min_views, max_views))
    is_symmetric = draw(st.booleans()) if symmetric is None else bool(symmetric)
    if is_symmetric:
        stop = draw(st.floats(min_range_deg / 2, limit))
        start = -stop
    else:
        start = draw(st.floats(-limit, limit - min_range_deg))
        stop = draw(st.floats(min(start + min_range_deg, limit), limit))
    return TiltScheme.range(start, stop, n_views=n_views, order=draw(st.sampled_from(orders)))


def full_range_schemes(*, min_views: int = 2, max_views: int = 31,
                       orders=SCHEME_ORDERS) -> st.SearchStrategy[TiltScheme]:
    """Evenly spaced tilts over a half turn, ``−90° <= θ < 90°`` (no duplicate of −90° at +90°).

    A full-range series has no missing wedge; it needs a holder that turns
    through ±90° (``"on-axis"``, a needle-shaped sample) or an X-ray
    rotation stage. ``min_views``, ``max_views`` bound the number of views;
    ``orders`` as in :func:`tilt_schemes`.
    """
    _counts("min_views/max_views", min_views, max_views, 1)
    orders = tuple(orders)
    if not orders or any(order not in SCHEME_ORDERS for order in orders):
        raise ValidationError("orders", orders, f"a non-empty subset of {SCHEME_ORDERS}")
    return st.builds(
        lambda n, order: TiltScheme.from_angles(np.linspace(-90.0, 90.0, n, endpoint=False), order=order),
        st.integers(int(min_views), int(max_views)),
        st.sampled_from(orders),
    )


def geometries(
    *,
    max_views: int = 16,
    max_rows: int = 8,
    max_cols: int = 16,
    max_shift_px: float = 0.0,
    max_axis_offset_px: float = 0.0,
) -> st.SearchStrategy[ParallelGeometry]:
    """A small :class:`~sim.geometry.ParallelGeometry`.

    Angles [deg] are drawn from [−90, 90] in any order (duplicates allowed);
    1 to ``max_views`` views; detector ``n_rows`` x ``n_cols`` [px] up to the
    maxima; per-view shifts ``(row, col)`` [px] within ±``max_shift_px`` and
    a tilt-axis offset within ±``max_axis_offset_px`` [px] (both 0 by
    default: an ideal stage).
    """
    for name, value in (("max_views", max_views), ("max_rows", max_rows), ("max_cols", max_cols)):
        _counts(name, 1, value, 1)
    for name, value in (("max_shift_px", max_shift_px), ("max_axis_offset_px", max_axis_offset_px)):
        if not (math.isfinite(value) and value >= 0):
            raise ValidationError(name, value, "a finite number >= 0 [px]")
    return _geometries(int(max_views), int(max_rows), int(max_cols), float(max_shift_px), float(max_axis_offset_px))


@st.composite
def _geometries(draw, max_views, max_rows, max_cols, max_shift_px, max_axis_offset_px) -> ParallelGeometry:
    n_views = draw(st.integers(1, max_views))
    angles = draw(st.lists(st.floats(-90.0, 90.0), min_size=n_views, max_size=n_views))
    n_rows = draw(st.integers(1, max_rows))
    n_cols = draw(st.integers(1, max_cols))
    shifts = None
    if max_shift_px > 0:
        values = draw(st.lists(st.floats(-max_shift_px, max_shift_px), min_size=2 * n_views, max_size=2 * n_views))
        shifts = np.reshape(values, (n_views, 2))
    offset = draw(st.floats(-max_axis_offset_px, max_axis_offset_px)) if max_axis_offset_px > 0 else 0.0
    return ParallelGeometry(np.array(angles), n_rows, n_cols, shifts_px=shifts, axis_offset_px=offset)


def _counts(field: str, low, high, smallest: int) -> None:
    """Refuse bounds on a count that are not integers with ``smallest <= low <= high``."""
    if any(isinstance(v, bool) or int(v) != v for v in (low, high)) or not smallest <= low <= high:
        raise ValidationError(field, (low, high), f"integers with {smallest} <= low <= high")


def electron_doses_e_per_a2(low: float = ELECTRON_DOSE_E_PER_A2[0],
                            high: float = ELECTRON_DOSE_E_PER_A2[1]) -> st.SearchStrategy[float]:
    """Total electron dose of a tilt series [e⁻/Å²], log-uniform in [``low``, ``high``]."""
    return log_uniform(low, high)


def photons_per_pixel(low: float = XRAY_PHOTONS_PER_PIXEL[0],
                      high: float = XRAY_PHOTONS_PER_PIXEL[1]) -> st.SearchStrategy[float]:
    """Incident X-ray photons per pixel per view [photons], log-uniform in [``low``, ``high``]."""
    return log_uniform(low, high)


def dose_budgets(kinds=("electron", "xray")) -> st.SearchStrategy[dict]:
    """A dose budget as the instrument parameter that sets it, with its unit in the name.

    ``"electron"``: ``{"dose_total_e_per_a2": float}`` (total per series
    [e⁻/Å²], :data:`ELECTRON_DOSE_E_PER_A2`); ``"xray"``:
    ``{"photons_per_pixel": float}`` (per pixel per view [photons],
    :data:`XRAY_PHOTONS_PER_PIXEL`). The dict is ready to pass as overrides
    to an instrument of the matching kind (STEM/TEM or TXM).

    >>> from hypothesis import find
    >>> sorted(find(dose_budgets(("xray",)), lambda b: True))
    ['photons_per_pixel']
    """
    makers = {
        "electron": electron_doses_e_per_a2().map(lambda d: {"dose_total_e_per_a2": d}),
        "xray": photons_per_pixel().map(lambda n: {"photons_per_pixel": n}),
    }
    kinds = tuple(kinds)
    unknown = [kind for kind in kinds if kind not in makers]
    if not kinds or unknown:
        raise ValidationError("kinds", kinds, f"a non-empty subset of {tuple(makers)}")
    return st.one_of(*(makers[kind] for kind in kinds))
