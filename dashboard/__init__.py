"""The Dash dashboard. ``create_app`` is the only entry point."""

from dashboard.app import create_app, run

__all__ = ["create_app", "run"]
