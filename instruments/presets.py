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
}
