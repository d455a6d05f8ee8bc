"""The Dash dashboard: ``dashboard.app.create_app(warehouse)`` is the app factory."""
