"""Time a 141-view HAADF-STEM `projection` tilt series of a lamella (issue 4's benchmark).

Run:  python benchmarks/bench_stem.py [--n 256] [--thickness-nm 213] [--views 141]

The lamella is ``n`` voxels of 1 nm wide along rows and x; its thickness
sets ``n_z`` (213 nm of sample + vacuum gaps gives a 256³ grid). Numba's
compile time is excluded (one warm-up view first). Prints the time per view and
per series, and the share spent in depth-resolved projection, probe
convolution and the rest.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time

import instruments
import phantoms
import sim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256, help="lamella width [voxels of 1 nm]")
    parser.add_argument("--thickness-nm", type=float, default=213.0, help="lamella thickness [nm]")
    parser.add_argument("--views", type=int, default=141, help="views from -70 to +70 deg")
    args = parser.parse_args()

    phantom = phantoms.get("lamella", width_nm=float(args.n), thickness_nm=args.thickness_nm, voxel_nm=1.0, seed=1)
    stem = instruments.preset("stem-200kv-haadf")
    scheme = sim.TiltScheme.range(-70, 70, n_views=args.views)
    stem.acquire(phantom, sim.TiltScheme.range(-70, 70, n_views=2), seed=0, progress=False)

    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    series = stem.acquire(phantom, scheme, seed=1, progress=False)
    profile.disable()
    total = time.perf_counter() - start

    stats = pstats.Stats(profile)
    parts = {"project_slabs": 0.0, "haadf_signal": 0.0}
    for (_, _, name), row in stats.stats.items():
        if name in parts:
            parts[name] += row[3]
    print(f"machine: {os.cpu_count()} cores")
    print(f"HAADF projection series: phantom {phantom.shape} voxels of 1 nm, {args.views} views, series {series.shape}")
    print(f"  total {total:.2f} s = {total / args.views * 1e3:.0f} ms per view")
    print(f"  depth-resolved projection {parts['project_slabs']:.2f} s, probe depth of focus {parts['haadf_signal']:.2f} s, "
          f"rest {total - sum(parts.values()):.2f} s")


if __name__ == "__main__":
    main()
