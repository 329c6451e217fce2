"""A 3-D resolution target: an Au Siemens star and Au line-pair groups on a membrane."""

from __future__ import annotations

import math

from sim import validate
from sim.errors import ValidationError

from phantoms.catalog._checks import count, lengths
from phantoms.grid import fit_grid, seed_record
from phantoms.library import material
from phantoms.painter import Painter
from phantoms.registry import register
from phantoms.shapes import Box, SiemensStar

GAP_NM = 20.0
"""Space between the star and the line groups, and between groups [nm]."""


@register("resolution_target", "Au Siemens star (x-z plane, extruded along rows) and Au line pairs of 5-100 nm pitch on Si3N4.")
def resolution_target(
    *,
    pitches_nm=(5.0, 10.0, 20.0, 50.0, 100.0),
    line_pairs=3,
    line_length_nm=60.0,
    line_height_nm=20.0,
    membrane_thickness_nm=20.0,
    star_diameter_nm=300.0,
    star_spokes=36,
    star_length_nm=60.0,
    voxel_nm=2.0,
    supersample=4,
    seed=0,
):
    """Au Siemens star (x-z plane, extruded along rows) and Au line pairs of 5-100 nm pitch on Si3N4.

    Two test structures in one volume, stacked along the rows (the tilt axis):

    - **Siemens star** (Au, 19.3 g/cm³): ``star_spokes`` wedge spokes with 50 %
      duty in the x–z plane — the plane of every reconstructed slice —
      extruded ``star_length_nm`` along the rows. The local period at radius
      ρ is 2πρ/``star_spokes``; the star runs from the radius where that
      equals the finest pitch to ``star_diameter_nm``/2, and is empty inside.
      In-plane it tests resolution in every direction of a slice, including
      along the beam (z), where a missing wedge blurs it.
    - **Line-pair groups** (Au lines on a Si3N4 membrane, 3.10 g/cm³): for
      each pitch ``p`` in ``pitches_nm``, ``line_pairs`` lines of width
      ``p/2`` (gaps ``p/2``), ``line_length_nm`` long along the rows and
      ``line_height_nm`` high along z, on the +z face of a membrane
      ``membrane_thickness_nm`` thick lying in the row–x plane. The lines run
      parallel to the tilt axis, so every slice cuts them across: they test
      resolution along x. Groups are stacked along the rows, finest first,
      ``GAP_NM`` apart.

    Feature sizes are recorded in ``params["features"]``: the star's inner and
    outer radius and local pitch there, and for every group its pitch, line
    width and row span. Features finer than two voxels (pitch < 2·voxel_nm)
    cannot be represented on the grid; with the default 2 nm voxel the 5 nm
    group is just above that limit.

    Parameters
    ----------
    pitches_nm : sequence of float
        Line-pair pitches (period = line + gap) [nm], increasing.
    line_pairs : int
        Lines per group.
    line_length_nm, line_height_nm : float
        Line length along the rows and height along z [nm].
    membrane_thickness_nm : float
        Si3N4 membrane thickness along z [nm].
    star_diameter_nm : float
        Outer diameter of the Siemens star [nm].
    star_spokes : int
        Number of Au spokes.
    star_length_nm : float
        Extrusion of the star along the rows [nm].
    voxel_nm : float
        Voxel edge [nm].
    supersample : int
        Sub-samples per voxel edge on surfaces.
    seed : int
        Recorded only (the target is deterministic).

    Examples
    --------
    >>> p = resolution_target(pitches_nm=(8.0, 16.0), line_pairs=2, star_diameter_nm=80.0,
    ...                       star_spokes=16, star_length_nm=20.0, line_length_nm=20.0, voxel_nm=2.0)
    >>> p.shape, p.material_names
    ((56, 44, 44), ('Au', 'Si3N4'))
    >>> [g["line_width_nm"] for g in p.params["features"]["line_groups"]]
    [4.0, 8.0]
    """
    pitches = lengths("pitches_nm", pitches_nm)
    pairs = count("line_pairs", line_pairs, minimum=1)
    line_length = validate.positive("line_length_nm", line_length_nm, "nm")
    line_height = validate.positive("line_height_nm", line_height_nm, "nm")
    membrane = validate.positive("membrane_thickness_nm", membrane_thickness_nm, "nm")
    star_radius = validate.positive("star_diameter_nm", star_diameter_nm, "nm") / 2
    spokes = count("star_spokes", star_spokes, minimum=4)
    star_length = validate.positive("star_length_nm", star_length_nm, "nm")
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    star_inner = spokes * pitches[0] / (2 * math.pi)
    if star_inner >= star_radius:
        raise ValidationError(
            "star_diameter_nm", star_diameter_nm,
            f"> {2 * star_inner:.1f} nm, where the local pitch 2πρ/star_spokes reaches the finest pitch {pitches[0]} nm",
        )

    # Layout along the rows (from the top): star, gap, groups finest first.
    group_widths = [(pairs - 0.5) * p for p in pitches]
    rows_total = star_length + len(pitches) * (GAP_NM + line_length)
    top = rows_total / 2
    star_row = top - star_length / 2
    group_rows = [top - star_length - GAP_NM - line_length / 2 - k * (GAP_NM + line_length) for k in range(len(pitches))]
    membrane_rows = (group_rows[-1] - line_length / 2 - GAP_NM / 2, group_rows[0] + line_length / 2 + GAP_NM / 2)
    membrane_width = max(group_widths) + 2 * GAP_NM
    line_z = membrane / 2 + line_height / 2
    extent = (
        rows_total,
        max(2 * star_radius, 2 * (membrane / 2 + line_height)),
        max(2 * star_radius, membrane_width),
    )

    painter = Painter(fit_grid(extent, voxel), voxel, [material("Au"), material("Si3N4")], supersample=supersample)
    star = SiemensStar((star_row, 0, 0), star_radius, star_inner, spokes, star_length, axis=(1, 0, 0))
    painter.paint(star, "Au")
    membrane_center = (sum(membrane_rows) / 2, 0.0, 0.0)
    painter.paint(Box(membrane_center, (membrane_rows[1] - membrane_rows[0], membrane, membrane_width)), "Si3N4")
    groups = []
    for pitch, width, row in zip(pitches, group_widths, group_rows):
        for j in range(pairs):
            x = (j - (pairs - 1) / 2) * pitch
            painter.paint(Box((row, line_z, x), (line_length, line_height, pitch / 2)), "Au")
        groups.append(
            {
                "pitch_nm": pitch,
                "line_width_nm": pitch / 2,
                "lines": pairs,
                "row_span_nm": (row - line_length / 2, row + line_length / 2),
                "group_width_nm": width,
            }
        )
    features = {
        "star": {
            "center_row_nm": star_row,
            "inner_radius_nm": star_inner,
            "outer_radius_nm": star_radius,
            "spokes": spokes,
            "pitch_at_inner_nm": star.pitch_nm(star_inner),
            "pitch_at_outer_nm": star.pitch_nm(star_radius),
            "row_span_nm": (star_row - star_length / 2, star_row + star_length / 2),
        },
        "line_groups": groups,
        "membrane_row_span_nm": membrane_rows,
        "line_z_span_nm": (membrane / 2, membrane / 2 + line_height),
        "grid_limit_pitch_nm": 2 * voxel,
    }
    params = {
        "pitches_nm": pitches,
        "line_pairs": pairs,
        "line_length_nm": line_length,
        "line_height_nm": line_height,
        "membrane_thickness_nm": membrane,
        "star_diameter_nm": 2 * star_radius,
        "star_spokes": spokes,
        "star_length_nm": star_length,
        "voxel_nm": voxel,
        "supersample": supersample,
        "features": features,
    }
    return painter.phantom("resolution_target", params, seed_record(seed))
