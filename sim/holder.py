"""Specimen holders and the tilt range each allows.

A side-entry holder sits in the gap between the objective pole pieces (a few mm
wide); at high tilt its tip or the grid's rim touches a pole piece or shadows the
beam, so the geometry of the tip sets the largest tilt (Midgley & Weyland,
Ultramicroscopy 96, 413 (2003)). The field's figures (MRS Bulletin 45, 2020):

- ``"standard"``: a tomography holder carrying a 3 mm grid, about ±70°;
- ``"high-tilt"``: a narrow tip for a 3 mm grid, ±75° at most in a 1–6 mm
  pole-piece gap;
- ``"on-axis"``: a needle-shaped sample on the holder's axis, nothing to shadow
  the beam, ±90° (on-axis rotation holders turn through a full 360°; ±90° is
  all a single-axis series needs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import validate
from sim.errors import ValidationError


@dataclass(frozen=True)
class Holder:
    """A specimen holder and its largest tilt.

    Parameters
    ----------
    name : str
        Short name, e.g. ``"standard"``.
    tilt_limit_deg : float
        Largest ``|tilt|`` the holder reaches [deg], in (0, 90].
    description : str
        What the holder carries and why its limit is what it is.

    Examples
    --------
    >>> holder("standard").check([-70, 0, 70])
    >>> holder("standard").check([-72, 0])
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: angles_deg = -72.0 is not allowed; allowed: |tilt| <= 70° for the 'standard' holder
    """

    name: str
    tilt_limit_deg: float
    description: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValidationError("name", self.name, "a non-empty string")
        object.__setattr__(self, "tilt_limit_deg", validate.in_range("tilt_limit_deg", self.tilt_limit_deg, 1e-9, 90, "deg"))

    def check(self, angles_deg) -> None:
        """Raise :class:`ValidationError` if any tilt [deg] is beyond the holder's limit.

        The error names the field ``angles_deg``, the worst angle and the
        holder with its limit.
        """
        angles = validate.angles("angles_deg", angles_deg)
        worst = float(angles[int(np.argmax(np.abs(angles)))])
        if abs(worst) > self.tilt_limit_deg:
            raise ValidationError("angles_deg", worst, f"|tilt| <= {self.tilt_limit_deg:g}° for the {self.name!r} holder")


HOLDERS = {
    holder.name: holder
    for holder in (
        Holder("standard", 70.0, "tomography holder for a 3 mm grid; the grid rim and tip shadow the beam beyond about 70°"),
        Holder("high-tilt", 75.0, "narrow tip for a 3 mm grid in a small (1–6 mm) pole-piece gap; ±75° at most"),
        Holder("on-axis", 90.0, "needle-shaped sample on the rotation axis; rotates further, ±90° covers a single-axis series"),
    )
}


def holder(name: str) -> Holder:
    """The holder called ``name`` (one of :data:`HOLDERS`).

    Examples
    --------
    >>> holder("high-tilt").tilt_limit_deg
    75.0
    """
    if name not in HOLDERS:
        raise ValidationError("holder", name, f"one of {sorted(HOLDERS)}")
    return HOLDERS[name]
