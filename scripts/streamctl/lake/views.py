"""The views shipped in docs/athena/*.sql: Athena (Trino) SQL, translated mechanically for DuckDB.

The files are the one text of each view. Athena runs them as written; the local engine inlines their SELECT
for partition pruning and creates them in DuckDB from sqlglot's Trino-to-DuckDB translation
(`to_duckdb`), so a view that uses something DuckDB lacks fails the translation test, not a user's query.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp

from streamctl.lake.pruning import ATHENA_DIALECT, LakeQueryError
from streamctl.stack_outputs import REPO_ROOT

VIEWS_DIR = REPO_ROOT / "docs" / "athena"
DUCKDB_DIALECT = "duckdb"


@dataclass(frozen=True)
class View:
    name: str
    path: Path
    text: str
    select: exp.Query


def to_duckdb(sql: str) -> str:
    """One Athena statement in DuckDB's dialect (sqlglot's mechanical translation)."""
    return sqlglot.transpile(sql, read=ATHENA_DIALECT, write=DUCKDB_DIALECT)[0]


def load_views(directory: Path = VIEWS_DIR) -> dict[str, View]:
    """Every `CREATE [OR REPLACE] VIEW name AS SELECT ...` of `directory`, by view name."""
    views: dict[str, View] = {}
    for path in sorted(directory.glob("*.sql")):
        text = path.read_text()
        statement = sqlglot.parse_one(text, read=ATHENA_DIALECT)
        if not (isinstance(statement, exp.Create) and statement.kind == "VIEW"):
            raise LakeQueryError(f"{path}: expected one CREATE VIEW statement")
        query = statement.expression
        if not isinstance(query, exp.Query):
            raise LakeQueryError(f"{path}: the view's body is not a query")
        name = statement.this.name
        if path.stem != name:
            raise LakeQueryError(f"{path}: the file of view {name!r} must be named {name}.sql")
        views[name] = View(name, path, text, query)
    return views


def referenced_views(query: exp.Expr, views: dict[str, View]) -> list[View]:
    """The views `query` uses, directly or through other views, dependencies first."""
    ordered: list[View] = []

    def visit(node: exp.Expr) -> None:
        for table in node.find_all(exp.Table):
            view = views.get(table.name)
            if view is not None and view not in ordered:
                visit(view.select)
                ordered.append(view)

    visit(query)
    return ordered
