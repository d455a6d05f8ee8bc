"""Where the real CBS/PDOK/politie files live, for the tests that read them.

They sit in ``../shared/data/real`` beside the repository (never inside it). On a user's clone
that folder is absent and those tests skip with the reason; on CI (``CI`` set) they fail, so
a missing folder cannot hide behind a green run.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.requirements import unavailable

#: Environment variable that points to another copy of the real-data folder.
REAL_DATA_ENV = "ONDERMIJNINGSBEELD_REAL_DATA"


def real_data_dir(name: str = "real") -> Path:
    """The real-data folder; skips the calling test (fails on CI) when it is absent."""
    override = os.environ.get(REAL_DATA_ENV)
    base = Path(override).parent if override else Path(__file__).resolve().parents[2] / "shared" / "data"
    path = Path(override) if override and name == "real" else base / name
    if not path.is_dir():
        unavailable(f"real data folder {path} is absent (place ../shared beside the repository "
                    f"or set {REAL_DATA_ENV})")
    return path


def real_more_dir() -> Path:
    """``../shared/data/real-more``: StatLine downloads, OData excerpts, the 2025 schema."""
    return real_data_dir("real-more")
