"""Instrument presets: named, documented parameter sets (data, not code).

A preset never overrides what the caller sets: ``preset(name, **overrides)``
starts from the preset's values and applies the overrides on top.
"""

from __future__ import annotations

PRESETS = {
    "txm-synchrotron-8kev": (
        "txm",
        # Just above the Co K edge (7.709 keV) for cathode contrast; ~1e4 detected photons per
        # pixel per view is what a ~1 min synchrotron TXM tomogram collects at 1000+ views.
        {"energy_kev": 8.0, "photons_per_pixel": 1.0e4, "detector_efficiency": 0.8, "dark_counts": 2.0},
        "synchrotron absorption TXM at 8 keV (above the Co K edge), 1e4 photons/px/view",
    ),
    "txm-lab-5.4kev": (
        "txm",
        # Cr Kα rotating-anode lab TXM: ~100× less flux than a synchrotron for the same exposure.
        {"energy_kev": 5.41, "photons_per_pixel": 1.0e3, "detector_efficiency": 0.8, "dark_counts": 2.0},
        "laboratory absorption TXM with a Cr Kα source (5.41 keV), 1e3 photons/px/view",
    ),
    "stem-200kv-haadf": (
        "stem",
        # Aberration-corrected 200 kV STEM (Cs-corrected probe, ~25 mrad semi-angle, ~0.08 nm probe):
        # nanoscale HAADF tomography of inorganic samples, dose-tolerant, ~1e4 e/Å² per series,
        # standard holder ±70°, HAADF annulus 60–200 mrad.
        {"voltage_kv": 200.0, "convergence_mrad": 25.0, "cs_mm": 0.0, "source_size_nm": 0.05,
         "haadf_inner_mrad": 60.0, "haadf_outer_mrad": 200.0, "dose_total_e_per_a2": 1.0e4, "holder": "standard"},
        "aberration-corrected 200 kV HAADF-STEM, 25 mrad probe, 60-200 mrad annulus, 1e4 e/A^2 per series",
    ),
    "tem-300kv-bf-lowdose": (
        "tem",
        # Cryo/soft-matter bright-field tomography: 300 kV FEG (Cs 2.7 mm, Cc 2.7 mm, 0.7 eV spread),
        # ~100 e/Å² over the whole ±60° series, 2 µm underfocus for phase contrast, counting camera,
        # dose-symmetric acquisition (Hagen et al. 2017) is set by the scheme.
        {"voltage_kv": 300.0, "dose_total_e_per_a2": 100.0, "defocus_nm": 2000.0, "cs_mm": 2.7, "cc_mm": 2.7,
         "energy_spread_ev": 0.7, "objective_aperture_mrad": 10.0, "detector": "counting", "holder": "standard"},
        "300 kV low-dose bright-field TEM (cells, soft matter): 100 e/A^2 total, 2 um underfocus, counting camera",
    ),
    "stem-300kv-atomic": (
        "stem",
        # Atomic-resolution electron tomography of a nanoparticle (e.g. Au, Pt-Fe): aberration-corrected
        # 300 kV probe, 30 mrad, abTEM multislice on an atomic model, 10-20 nm field of view, needle-like
        # free-standing particle on a thin support tilted over ±75° in a high-tilt holder.
        {"voltage_kv": 300.0, "convergence_mrad": 30.0, "cs_mm": 0.0, "source_size_nm": 0.03,
         "haadf_inner_mrad": 70.0, "haadf_outer_mrad": 200.0, "dose_total_e_per_a2": 5.0e4, "pixel_nm": 0.05,
         "holder": "high-tilt", "fidelity": "multislice"},
        "300 kV atomic-resolution HAADF-STEM of a nanoparticle with abTEM (needs nanotomo[electron])",
    ),
}
