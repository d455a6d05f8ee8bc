"""Serve the dashboard: ``python app.py`` (127.0.0.1:8050; ``PORT`` and ``HOST`` override).

Builds the synthetic demo warehouse first when none exists yet.
"""

import os

from data_pipeline.cli import ensure_warehouse
from data_pipeline.warehouse import default_warehouse_path
from dashboard import create_app, run


def main() -> None:
    path = ensure_warehouse(default_warehouse_path())
    run(create_app(path), os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8050")))


if __name__ == "__main__":
    main()
