"""The installed nanotomo version, for provenance records."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nanotomo")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
