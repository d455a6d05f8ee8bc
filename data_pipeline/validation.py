"""Validation of source frames before anything is written.

Every problem names the file (or generator), the row, the column and what is wrong. A build
that fails validation writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from geodata.codes import CODE_PATTERNS, LEVELS
from geodata.hierarchy import hierarchy_problems

ANY_CODE = "^(" + "|".join(p.pattern.strip("^$") for p in CODE_PATTERNS.values()) + ")$"


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


class ValidationError(ValueError):
    """Raised with every problem found; ``str()`` lists them one per line (first 50)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [str(p) for p in problems[:50]]
        if len(problems) > 50:
            lines.append(f"... and {len(problems) - 50} more problems")
        super().__init__(f"{len(problems)} problem(s) in the input:\n" + "\n".join(lines))


def _schema_problems(frame: pd.DataFrame, schema: pa.DataFrameSchema, origin: str,
                     row_offset: int) -> list[Problem]:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        problems = []
        for case in err.failure_cases.itertuples(index=False):
            row = None if pd.isna(case.index) else int(case.index) + row_offset
            problems.append(Problem(origin, row, case.column,
                                    f"value {case.failure_case!r} fails check {case.check}"))
        return problems
    return []


def validate_observations(obs: pd.DataFrame, variables: set[str], area_codes: set[str],
                          origin: str, row_offset: int = 0) -> None:
    """Check a long frame ``code, year, variable, value`` of counts.

    ``row_offset`` converts the frame index into the row number a user sees in the file
    (e.g. 2 for a CSV with one header line and a 0-based index).
    """
    schema = pa.DataFrameSchema(
        {
            "code": pa.Column(str, pa.Check.str_matches(ANY_CODE)),
            "year": pa.Column(int, pa.Check.in_range(1990, 2100)),
            "variable": pa.Column(str, pa.Check.isin(sorted(variables))),
            "value": pa.Column(float, pa.Check.ge(0), nullable=True),
        },
        unique=["code", "year", "variable"],
        report_duplicates="exclude_first",
    )
    problems = _schema_problems(obs, schema, origin, row_offset)
    unknown = ~obs["code"].isin(area_codes)
    for idx, code in obs.loc[unknown, "code"].items():
        problems.append(Problem(origin, int(idx) + row_offset, "code", f"area {code!r} is not in the area list"))
    if problems:
        raise ValidationError(problems)


def validate_areas(areas: pd.DataFrame, origin: str) -> None:
    schema = pa.DataFrameSchema(
        {
            "code": pa.Column(str, pa.Check.str_matches(ANY_CODE), unique=True),
            "level": pa.Column(str, pa.Check.isin(LEVELS)),
            "name": pa.Column(str, pa.Check.str_length(min_value=1)),
            "parent_code": pa.Column(str, nullable=True),
        }
    )
    problems = _schema_problems(areas, schema, origin, 0)
    if not problems:
        problems = [Problem(origin, None, "parent_code", msg) for msg in hierarchy_problems(areas)]
    if problems:
        raise ValidationError(problems)
