"""θ′ and θ Al2Cu precipitates in an aluminium matrix."""

from __future__ import annotations

import numpy as np

from sim import validate
from sim.errors import ValidationError

from phantoms.catalog._checks import count, size_range
from phantoms.grid import fit_grid, generator, seed_record
from phantoms.library import material
from phantoms.painter import Painter
from phantoms.registry import register
from phantoms.shapes import Box, Cylinder, random_rotations

CUBE_AXES = ("row", "z", "x")


@register("alcu_precipitates", "Al matrix with θ′ Al2Cu plates on the three {100} planes and blocky θ Al2Cu, ~200 nm box.")
def alcu_precipitates(
    *,
    box_nm=200.0,
    n_theta_prime=24,
    plate_diameter_nm=(30.0, 80.0),
    plate_thickness_nm=4.0,
    n_theta=3,
    theta_size_nm=(20.0, 40.0),
    voxel_nm=2.0,
    supersample=4,
    seed=0,
):
    """Al matrix with θ′ Al2Cu plates on the three {100} planes and blocky θ Al2Cu, ~200 nm box.

    A cube of fcc Al (2.70 g/cm³) of edge ``box_nm``, as cut from an aged
    Al–Cu alloy (e.g. Al–4 wt% Cu aged at ~200 °C), whose cube axes are the
    volume's ``(row, z, x)`` axes. In it:

    - ``n_theta_prime`` semi-coherent θ′-Al2Cu plates (4.12 g/cm³) lying on
      {100}_Al habit planes, each on one of the three orientations drawn at
      random (plate normal along row, z or x): discs of diameter drawn from
      ``plate_diameter_nm`` and thickness ``plate_thickness_nm`` (real θ′
      plates are 2–10 nm thick with aspect ratios of 10–50; their octagonal
      outline is idealised as a disc);
    - ``n_theta`` incoherent equilibrium θ-Al2Cu particles (4.35 g/cm³):
      randomly oriented blocks with edges drawn from ``theta_size_nm``.

    Every precipitate lies wholly inside the matrix; plates may intersect.
    ``params`` records every plate (normal axis, centre, diameter), every θ
    block (centre, edges) and ``plates_per_axis``, the number of plates whose
    normal is along row, z and x.

    Parameters
    ----------
    box_nm : float
        Edge of the Al cube [nm].
    n_theta_prime : int
        Number of θ′ plates.
    plate_diameter_nm : (float, float)
        Range of θ′ plate diameters [nm].
    plate_thickness_nm : float
        θ′ plate thickness [nm].
    n_theta : int
        Number of θ particles.
    theta_size_nm : (float, float)
        Range of θ block edge lengths [nm].
    voxel_nm : float
        Voxel edge [nm].
    supersample : int
        Sub-samples per voxel edge on surfaces.
    seed : int or numpy.random.Generator
        Draws orientations, sizes and positions.

    Examples
    --------
    >>> p = alcu_precipitates(box_nm=60.0, n_theta_prime=3, plate_diameter_nm=(10, 20), n_theta=1,
    ...                       theta_size_nm=(8, 10), voxel_nm=3.0, seed=2)
    >>> p.shape, p.material_names
    ((22, 22, 22), ('Al', 'Al2Cu-theta-prime', 'Al2Cu-theta'))
    >>> sum(p.params["plates_per_axis"].values())
    3
    """
    edge = validate.positive("box_nm", box_nm, "nm")
    plates = count("n_theta_prime", n_theta_prime)
    d_lo, d_hi = size_range("plate_diameter_nm", plate_diameter_nm)
    thickness = validate.positive("plate_thickness_nm", plate_thickness_nm, "nm")
    blocks = count("n_theta", n_theta)
    s_lo, s_hi = size_range("theta_size_nm", theta_size_nm)
    if d_hi >= edge:
        raise ValidationError("plate_diameter_nm", plate_diameter_nm, f"diameters < box_nm = {edge} nm")
    if s_hi * np.sqrt(3) >= edge:
        raise ValidationError("theta_size_nm", theta_size_nm, f"edges < box_nm/√3 = {edge / np.sqrt(3):.1f} nm")
    if thickness >= d_lo:
        raise ValidationError("plate_thickness_nm", plate_thickness_nm, f"< the smallest plate diameter {d_lo} nm")
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    rng = generator(seed)
    half = edge / 2

    axes = rng.integers(0, 3, plates)
    diameters = rng.uniform(d_lo, d_hi, plates)
    unit = rng.uniform(-1.0, 1.0, (plates, 3))
    theta_edges = rng.uniform(s_lo, s_hi, (blocks, 3))
    theta_rotations = random_rotations(rng, blocks)
    theta_unit = rng.uniform(-1.0, 1.0, (blocks, 3))

    names = ("Al", "Al2Cu-theta-prime", "Al2Cu-theta")
    painter = Painter(fit_grid((edge,) * 3, voxel), voxel, [material(n) for n in names], supersample=supersample)
    painter.paint(Box((0, 0, 0), (edge,) * 3), "Al")
    plate_list, block_list = [], []
    for axis, diameter, u in zip(axes, diameters, unit):
        reach = np.full(3, diameter / 2)
        reach[axis] = thickness / 2
        centre = u * (half - reach)
        painter.paint(Cylinder(centre, diameter / 2, thickness, axis=np.eye(3)[axis]), "Al2Cu-theta-prime")
        plate_list.append({"normal": CUBE_AXES[axis], "center_nm": _floats(centre), "diameter_nm": float(diameter)})
    for size, rotation, u in zip(theta_edges, theta_rotations, theta_unit):
        reach = 0.5 * np.linalg.norm(size)  # the block's circumscribed radius
        centre = u * (half - reach)
        painter.paint(Box(centre, size, rotation), "Al2Cu-theta")
        block_list.append({"center_nm": _floats(centre), "size_nm": _floats(size)})
    params = {
        "box_nm": edge,
        "n_theta_prime": plates,
        "plate_diameter_nm": (d_lo, d_hi),
        "plate_thickness_nm": thickness,
        "n_theta": blocks,
        "theta_size_nm": (s_lo, s_hi),
        "voxel_nm": voxel,
        "supersample": supersample,
        "plates_per_axis": {name: int(np.sum(axes == i)) for i, name in enumerate(CUBE_AXES)},
        "plates": plate_list,
        "theta_blocks": block_list,
    }
    return painter.phantom("alcu_precipitates", params, seed_record(seed))


def _floats(values) -> tuple:
    return tuple(float(v) for v in values)
