"""A thin lamella (slab) with embedded Au and Pt nanoparticles."""

from __future__ import annotations

import math

import numpy as np

from sim import validate
from sim.errors import ValidationError

from phantoms.catalog._checks import count, size_range
from phantoms.grid import generator, seed_record
from phantoms.library import material
from phantoms.painter import Painter
from phantoms.registry import register
from phantoms.shapes import Slab, Sphere

MATRICES = ("a-C", "Si", "SiO2")


@register("lamella", "Slab lamella (default 80 nm thick, normal along z) of a-C with Au fiducials and Pt catalyst particles.")
def lamella(
    *,
    thickness_nm=80.0,
    width_nm=200.0,
    matrix="a-C",
    n_au=8,
    au_radius_nm=(2.5, 5.0),
    n_pt=40,
    pt_radius_nm=(1.0, 2.5),
    voxel_nm=1.0,
    supersample=4,
    seed=0,
):
    """Slab lamella (default 80 nm thick, normal along z) of a-C with Au fiducials and Pt catalyst particles.

    An electron-transparent slab of ``matrix`` (amorphous carbon, 2.0 g/cm³,
    by default; or Si 2.33 or amorphous SiO2 2.20) ``thickness_nm`` thick with
    its normal along z, the beam direction at 0° tilt, filling the whole row
    and x extent of the grid (a piece of a larger lamella, as in the field
    of view of a TEM). Embedded wholly inside it: ``n_pt`` Pt spheres (21.45
    g/cm³, radii ``pt_radius_nm``: the 2–5 nm particles of a Pt/C fuel-cell
    catalyst layer) and ``n_au`` Au spheres (19.3 g/cm³, radii
    ``au_radius_nm``: 5–10 nm gold fiducial markers). Particles may touch or
    overlap; where they do the later one (Pt after Au) wins.

    Grid (non-cubic): ``n_rows = n_x = 2·ceil(width_nm / (2·voxel_nm))`` and
    ``n_z = 2·ceil((thickness_nm + 2·gap) / (2·voxel_nm))`` with a vacuum gap
    ``gap = max(0.1·thickness_nm, 2·voxel_nm)`` on each side, so the slab
    fits with vacuum on both faces. Tilting the slab by θ lengthens the path
    through it to ``thickness/cos θ`` (3× at 70°); the grid holds the sample,
    and an instrument sees the tilted slab through its projector.

    Parameters
    ----------
    thickness_nm : float
        Slab thickness [nm] (TEM lamellae: 30–150 nm).
    width_nm : float
        Field of view along rows and x [nm].
    matrix : str
        Slab material: one of ``"a-C"``, ``"Si"``, ``"SiO2"``.
    n_au, n_pt : int
        Number of Au and Pt particles.
    au_radius_nm, pt_radius_nm : (float, float)
        Ranges of particle radii [nm]; below half the thickness.
    voxel_nm : float
        Voxel edge [nm].
    supersample : int
        Sub-samples per voxel edge on surfaces.
    seed : int or numpy.random.Generator
        Draws particle sizes and positions.

    Examples
    --------
    >>> p = lamella(thickness_nm=20.0, width_nm=40.0, n_au=2, n_pt=3, voxel_nm=2.0)
    >>> p.shape, p.material_names
    ((20, 14, 20), ('a-C', 'Au', 'Pt'))
    >>> bool(np.all(p.fractions[:, :, 0, :] == 0))      # vacuum in front of the slab
    True
    """
    thickness = validate.positive("thickness_nm", thickness_nm, "nm")
    width = validate.positive("width_nm", width_nm, "nm")
    if matrix not in MATRICES:
        raise ValidationError("matrix", matrix, f"one of {MATRICES}")
    counts = {"Au": count("n_au", n_au), "Pt": count("n_pt", n_pt)}
    ranges = {"Au": size_range("au_radius_nm", au_radius_nm), "Pt": size_range("pt_radius_nm", pt_radius_nm)}
    for name, field in (("Au", "au_radius_nm"), ("Pt", "pt_radius_nm")):
        if ranges[name][1] >= min(thickness, width) / 2:
            raise ValidationError(field, ranges[name], f"radii < min(thickness_nm, width_nm)/2 = {min(thickness, width) / 2} nm")
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    rng = generator(seed)

    gap = max(0.1 * thickness, 2 * voxel)
    n_xy = max(2, 2 * math.ceil(width / (2 * voxel) - 1e-9))
    n_z = 2 * math.ceil((thickness + 2 * gap) / (2 * voxel) - 1e-9)
    grid = (n_xy, n_z, n_xy)
    lateral = n_xy * voxel / 2  # half the grid's row and x extent [nm]

    painter = Painter(grid, voxel, [material(matrix), material("Au"), material("Pt")], supersample=supersample)
    painter.paint(Slab((0, 0, 0), (0, 1, 0), thickness), matrix)
    particles = {}
    for name in ("Au", "Pt"):
        radii = rng.uniform(*ranges[name], counts[name])
        centres = np.stack(
            [
                rng.uniform(-1, 1, radii.size) * (lateral - radii),
                rng.uniform(-1, 1, radii.size) * (thickness / 2 - radii),
                rng.uniform(-1, 1, radii.size) * (lateral - radii),
            ],
            axis=1,
        )
        for c, r in zip(centres, radii):
            painter.paint(Sphere(c, r), name)
        particles[name] = [(tuple(float(v) for v in c), float(r)) for c, r in zip(centres, radii)]
    params = {
        "thickness_nm": thickness,
        "width_nm": width,
        "matrix": matrix,
        "n_au": counts["Au"],
        "au_radius_nm": ranges["Au"],
        "n_pt": counts["Pt"],
        "pt_radius_nm": ranges["Pt"],
        "voxel_nm": voxel,
        "supersample": supersample,
        "vacuum_gap_nm": gap,
        "particles": particles,
    }
    return painter.phantom("lamella", params, seed_record(seed))
