"""The floors: for each read the bench times, one hand-written SQL statement that returns
the same numbers.

A floor is what the database alone needs to answer: no ORM, no permission
checks, no template, no JSON. The page's p95 next to its floor says how much
of the time is the application's (and "≤ 2× its SQL floor" is one of the
targets). Each floor takes a DB-API cursor (psycopg's in the bench, Django's
in the tests) and its parameters, which the bench works out once before the
timing: the viewer's scope paths, the week's Monday, the campaign's task
types. `normalise_*` turns the rows into the endpoint's own form, so that the
tests can check floor and endpoint agree number for number.

The statements are PostgreSQL (string_to_array, ANY(array), LEAST): the
bench runs on PostgreSQL, and the tests that compare them run there only.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

PAGE_SIZE = 50


def like_prefix(path: str) -> str:
    """A LIKE pattern for "starts with `path`": `_` and `%` in a code are literal."""
    escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def scope_sql(column: str, paths: Sequence[str] | None) -> tuple[str, list[Any]]:
    """The SQL condition "`column` lies under one of `paths`" (None: everywhere, []: nowhere)."""
    if paths is None:
        return "TRUE", []
    if not paths:
        return "FALSE", []
    return (
        "(" + " OR ".join(f"{column} LIKE %s" for _ in paths) + ")",
        [like_prefix(p) for p in paths],
    )


def _area_of(column: str) -> str:
    # The area's path is the first `depth` codes of a row's path: rows at a street count for
    # their area, rows above the areas (none in practice) match no area.
    return f"array_to_string((string_to_array({column}, '/'))[1:%s], '/') || '/'"


# --- the battle map -----------------------------------------------------------------------


def battle_map_completion(
    cursor: Any,
    *,
    depth: int,
    paths: Sequence[str] | None,
    task_type_ids: Sequence[int],
    monday: datetime.date,
) -> list[tuple[str, Decimal | None]]:
    """[(area code, mean completion %)] for every area in scope: per task type with a
    target, actual × 100 / target rounded to 0.1 and capped at 100; their mean (None:
    no target). `plans.selectors.battle_map_measures(measure="completion")` without a
    task type."""
    areas_where, areas_params = scope_sql("path", paths)
    targets_where, targets_params = scope_sql("region_path", paths)
    reports_where, reports_params = scope_sql("region_path", paths)
    area = _area_of("region_path")
    sql = f"""
        WITH t AS (
            SELECT {area} AS area_path, task_type_id, SUM(quantity) AS target
            FROM plans_weeklytarget
            WHERE week = %s AND task_type_id = ANY(%s) AND {targets_where}
            GROUP BY 1, 2
        ), r AS (
            SELECT {area} AS area_path, task_type_id, SUM(quantity) AS actual
            FROM plans_progressreport
            WHERE date >= %s AND date < %s AND task_type_id = ANY(%s) AND {reports_where}
            GROUP BY 1, 2
        )
        SELECT a.code,
               AVG(LEAST(ROUND(COALESCE(r.actual, 0) * 100 / t.target, 1), 100))
        FROM territory_region a
        LEFT JOIN t ON t.area_path = a.path AND t.target > 0
        LEFT JOIN r ON r.area_path = t.area_path AND r.task_type_id = t.task_type_id
        WHERE a.depth = %s AND {areas_where}
        GROUP BY a.code
    """  # noqa: S608 (fixed fragments only; every value is a parameter)
    ids = list(task_type_ids)
    params = [
        depth,
        monday,
        ids,
        *targets_params,
        depth,
        monday,
        monday + datetime.timedelta(days=7),
        ids,
        *reports_params,
        depth,
        *areas_params,
    ]
    cursor.execute(sql, params)
    return list(cursor.fetchall())


def normalise_completion(rows: Sequence[tuple[str, Any]]) -> dict[str, float | None]:
    """The map data's `values`: the selector rounds the mean to 0.1, the view to a whole %."""
    return {code: None if mean is None else round(round(float(mean), 1), 0) for code, mean in rows}


OPEN_STATUSES_EXCLUDED = ("rejected", "closed")


def battle_map_open(
    cursor: Any, *, depth: int, paths: Sequence[str] | None
) -> list[tuple[str, int]]:
    """[(area code, open cases now)] for every area in scope (the "open" measure, this week)."""
    areas_where, areas_params = scope_sql("path", paths)
    cases_where, cases_params = scope_sql("region_path", paths)
    sql = f"""
        WITH c AS (
            SELECT {_area_of("region_path")} AS area_path, COUNT(*) AS n
            FROM cases_case
            WHERE status NOT IN (%s, %s) AND {cases_where}
            GROUP BY 1
        )
        SELECT a.code, COALESCE(c.n, 0)
        FROM territory_region a LEFT JOIN c ON c.area_path = a.path
        WHERE a.depth = %s AND {areas_where}
    """  # noqa: S608 (fixed fragments only; every value is a parameter)
    cursor.execute(sql, [depth, *OPEN_STATUSES_EXCLUDED, *cases_params, depth, *areas_params])
    return list(cursor.fetchall())


def normalise_counts(rows: Sequence[tuple[str, Any]]) -> dict[str, int]:
    return {code: int(n) for code, n in rows}


# --- the case list ------------------------------------------------------------------------


def case_list(
    cursor: Any, *, paths: Sequence[str] | None, limit: int = PAGE_SIZE
) -> list[tuple[Any, ...]]:
    """The first page of the case list, newest first, with the total on every row:
    [(total, number, status, reported_at, deadline, category, main category, area)]."""
    where, params = scope_sql("c.region_path", paths)
    count_where, count_params = scope_sql("region_path", paths)
    sql = f"""
        SELECT (SELECT COUNT(*) FROM cases_case WHERE {count_where}),
               c.number, c.status, c.reported_at, c.deadline, cat.name, parent.name, r.name
        FROM cases_case c
        JOIN cases_category cat ON cat.id = c.category_id
        LEFT JOIN cases_category parent ON parent.id = cat.parent_id
        JOIN territory_region r ON r.id = c.region_id
        WHERE {where}
        ORDER BY c.reported_at DESC, c.id DESC
        LIMIT %s
    """  # noqa: S608 (fixed fragments only; every value is a parameter)
    cursor.execute(sql, [*count_params, *params, limit])
    return list(cursor.fetchall())


def normalise_case_list(rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """{"count", "numbers"}: what the API's page says (an empty page has a count of 0)."""
    return {"count": rows[0][0] if rows else 0, "numbers": [row[1] for row in rows]}


# --- the ranking ------------------------------------------------------------------------


def ranking(
    cursor: Any, *, period_kind: str, starts: Sequence[datetime.date], unit_kind: str
) -> list[tuple[Any, ...]]:
    """A closed period's ranking and its trend line from the snapshots, in one statement:
    [(period start, unit code, composite, rank, indicator values)] for the periods
    starting on `starts` (the ranked period last; `values` only for it)."""
    ranked = max(starts)
    sql = """
        SELECT p.start, s.unit_key, s.composite, s.rank,
               CASE WHEN p.start = %s THEN s."values" END
        FROM assessment_scoresnapshot s
        JOIN assessment_period p ON p.id = s.period_id
        WHERE p.kind = %s AND p.start = ANY(%s) AND p.closed_at IS NOT NULL
          AND s.unit_kind = %s AND s.superseded_at IS NULL
        ORDER BY p.start, s.rank IS NULL, s.rank, s.unit_key
    """
    cursor.execute(sql, [ranked, period_kind, list(starts), unit_kind])
    return list(cursor.fetchall())


def normalise_ranking(rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """{"ranking": [(code, composite, rank)] of the last period, "trend": {code: [composite
    per period, oldest first]}} (a period with no snapshot leaves None in the lines)."""
    if not rows:
        return {"ranking": [], "trend": {}}
    starts = sorted({row[0] for row in rows})
    last = starts[-1]
    ranking_rows = [
        (code, None if c is None else Decimal(c), rank)
        for start, code, c, rank, _values in rows
        if start == last
    ]
    trend: dict[str, list[Decimal | None]] = {}
    for start, code, composite, _rank, _values in rows:
        line = trend.setdefault(code, [None] * len(starts))
        line[starts.index(start)] = None if composite is None else Decimal(composite)
    return {"ranking": ranking_rows, "trend": trend}
