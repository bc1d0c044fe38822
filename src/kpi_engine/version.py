"""The package version (read by the build backend too, so it is written once)."""

__version__ = "0.1.0"
