"""Closed-form physical limits of tomography: views needed, missing-wedge elongation."""

from __future__ import annotations

import math

from sim import validate
from sim.errors import ValidationError


def crowther_views(diameter_nm: float, resolution_nm: float) -> int:
    """Number of equally spaced views needed to reach a resolution: ``ceil(π·D/d)``.

    The Crowther criterion (Crowther, DeRosier & Klug, Proc. R. Soc. Lond. A
    317, 319 (1970)): projections over 180° of an object of diameter ``D``
    sample its Fourier transform on central planes whose spacing at frequency
    ``1/d`` must not exceed ``1/D``, which takes ``n = π·D/d`` views.

    Parameters
    ----------
    diameter_nm : float
        Diameter of the object (or of the reconstructed field of view) [nm].
    resolution_nm : float
        Target resolution ``d`` [nm].

    Returns
    -------
    int
        The number of views, rounded up.

    Examples
    --------
    >>> crowther_views(100.0, 1.0)      # π·100 = 314.16
    315
    >>> crowther_views(200.0, 5.0)      # a 200 nm field of view at 5 nm
    126
    """
    diameter_nm = validate.positive("diameter_nm", diameter_nm, "nm")
    resolution_nm = validate.positive("resolution_nm", resolution_nm, "nm")
    return math.ceil(math.pi * diameter_nm / resolution_nm)


def missing_wedge_elongation(max_tilt_deg: float) -> float:
    """Elongation of the point-spread function along the beam for a tilt range ±α.

    ``e(α) = sqrt((α + sin α·cos α) / (α − sin α·cos α))`` with α in radians
    (Radermacher, in *Electron Tomography*, ed. Frank, Plenum (1992), after
    Radermacher, J. Electron Microsc. Tech. 9, 359 (1988)): the ratio of the
    resolution along the beam (z) to that across it (x) when a wedge of
    ``2·(90° − α)`` is missing from Fourier space. 1 for a full ±90° range.

    Parameters
    ----------
    max_tilt_deg : float
        The largest tilt α of a symmetric range ±α [deg], in (0, 90].

    Returns
    -------
    float
        The elongation factor [dimensionless, ≥ 1].

    Examples
    --------
    >>> [round(missing_wedge_elongation(a), 2) for a in (70, 60, 45)]
    [1.31, 1.55, 2.12]
    >>> missing_wedge_elongation(90)
    1.0
    """
    try:
        tilt = float(max_tilt_deg)
    except (TypeError, ValueError):
        raise ValidationError("max_tilt_deg", max_tilt_deg, "a number in (0, 90] deg") from None
    if isinstance(max_tilt_deg, bool) or not (math.isfinite(tilt) and 0.0 < tilt <= 90.0):
        raise ValidationError("max_tilt_deg", max_tilt_deg, "a number in (0, 90] deg")
    x = 2.0 * math.radians(tilt)  # α ± sin α·cos α = (x ± sin x)/2
    # x − sin x cancels for tiny x: use its series there (relative error < 1e-16).
    deficit = x - math.sin(x) if x > 1e-3 else x**3 / 6.0 * (1.0 - x**2 / 20.0)
    return math.sqrt((x + math.sin(x)) / deficit)
