"""The `govflow` command: deploy bundles, run instances and tasks, evaluate decisions."""

from . import admin, handover, processes, versions  # noqa: F401  (importing registers the commands on `main`)
from .base import main

__all__ = ["main"]
