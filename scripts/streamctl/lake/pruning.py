"""Which partition predicates of a query reach the scan of the lake table, by Trino's (Athena's) rules.

Athena with partition projection reads only the partitions whose values satisfy the predicates that reach
the table scan. The query is parsed (sqlglot, Trino dialect), the shipped views are inlined and the columns
qualified; then predicates are pushed down the scopes as Trino's optimizer pushes them, conservatively:

- a WHERE conjunct (or an inner join's ON conjunct) on one source applies to that source;
- a predicate on a derived table's (view's, CTE's) output passes into it only through plain column outputs,
  and only if the column is in the PARTITION BY of every window function of that SELECT (Trino pushes a
  filter through a window on its partitioning columns only: `PredicatePushDown.visitWindow`), is a GROUP BY
  key when the SELECT aggregates, and the SELECT has no LIMIT/OFFSET;
- nothing passes into a UNION, a null-extended side of an outer join, or a subquery used as an expression.

What reaches a scan of `events` and names only partition columns is that scan's partition filter. A query
this module cannot push through reads more partitions, never fewer: the local engine stays correct.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

from streamctl.lake.table import LakeTable

ATHENA_DIALECT = "athena"


class LakeQueryError(ValueError):
    """A query the lake cannot run: names what was wrong (a table, a view, the SQL)."""


@dataclass
class ScanFilter:
    """One scan of the lake table and the partition predicates that reach it (none: every partition)."""

    table: exp.Table
    predicates: list[exp.Expr] = field(default_factory=list)

    def condition(self) -> exp.Expr | None:
        return exp.and_(*self.predicates) if self.predicates else None

    def filtered_columns(self) -> set[str]:
        return {column.name for predicate in self.predicates for column in predicate.find_all(exp.Column)}


def parse(sql: str) -> exp.Expr:
    try:
        statements = [statement for statement in sqlglot.parse(sql, read=ATHENA_DIALECT) if statement is not None]
    except sqlglot.errors.ParseError as error:
        raise LakeQueryError(f"the SQL does not parse as Athena (Trino) SQL: {error}") from None
    if len(statements) != 1:
        raise LakeQueryError(f"give one SQL statement, not {len(statements)}")
    return statements[0]


def inline_views(query: exp.Expr, views: dict[str, exp.Query], database: str) -> exp.Expr:
    """`query` with every reference to a view replaced by the view's SELECT, as Athena expands views."""
    query = query.copy()
    for _ in range(len(views) + 1):  # views of views, to the depth there can be
        references = [
            table
            for table in query.find_all(exp.Table)
            if table.name in views and table.db in ("", database) and not table.catalog
        ]
        if not references:
            return query
        for table in references:
            subquery = exp.Subquery(
                this=views[table.name].copy(), alias=exp.TableAlias(this=exp.to_identifier(table.alias_or_name))
            )
            table.replace(subquery)
    raise LakeQueryError(f"the views {sorted(views)} refer to each other in a cycle")


def _conjuncts(condition: exp.Expr | None) -> Iterator[exp.Expr]:
    if condition is None:
        return
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if isinstance(condition, exp.And):
        yield from _conjuncts(condition.left)
        yield from _conjuncts(condition.right)
    else:
        yield condition


def _pushable(predicate: exp.Expr) -> bool:
    """Deterministic, row-level: no subquery, aggregate, window or random function inside."""
    return not any(predicate.find(kind) for kind in (exp.Query, exp.AggFunc, exp.Window, exp.Rand))


def _single_source(predicate: exp.Expr) -> str | None:
    tables = {column.table for column in predicate.find_all(exp.Column)}
    return tables.pop() if len(tables) == 1 else None


def _filterable_sources(select: exp.Select) -> set[str]:
    """Sources of `select` whose rows a WHERE predicate on them may filter before the join (not null-extended)."""
    joins = select.args.get("joins") or []
    from_source = select.args.get("from_") or select.args.get("from")
    sources: set[str] = set()
    if from_source is not None and not any(join.side in ("RIGHT", "FULL") for join in joins):
        sources.add(from_source.this.alias_or_name)
    for join in joins:
        if not join.side:
            sources.add(join.this.alias_or_name)
    return sources


def _inner_join_conditions(select: exp.Select) -> Iterator[exp.Expr]:
    for join in select.args.get("joins") or []:
        if not join.side:
            yield from _conjuncts(join.args.get("on"))


def _output_columns(select: exp.Select) -> dict[str, exp.Column]:
    """Outputs of `select` a predicate above it may be pushed through, by output name: plain columns that are
    in every window's PARTITION BY and every GROUP BY, of a SELECT without LIMIT or OFFSET."""
    if select.args.get("limit") or select.args.get("offset") or select.args.get("fetch"):
        return {}
    windows = [window for window in select.find_all(exp.Window) if window.find_ancestor(exp.Select) is select]
    partitioned = [
        {
            (column.table, column.name)
            for column in window.args.get("partition_by") or []
            if isinstance(column, exp.Column)
        }
        for window in windows
    ]
    group = select.args.get("group")
    grouped = None
    if group is not None:
        grouped = {(column.table, column.name) for column in group.expressions if isinstance(column, exp.Column)}
    elif any(projection.find(exp.AggFunc) for projection in select.selects):
        return {}
    outputs: dict[str, exp.Column] = {}
    for projection in select.selects:
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        if not isinstance(inner, exp.Column):
            continue
        key = (inner.table, inner.name)
        if all(key in columns for columns in partitioned) and (grouped is None or key in grouped):
            outputs[projection.alias_or_name] = inner
    return outputs


def _rewrite(predicate: exp.Expr, columns: dict[str, exp.Expr]) -> exp.Expr:
    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column):
            return columns[node.name].copy()
        return node

    return predicate.copy().transform(replace)


class _Pushdown:
    def __init__(self, table: LakeTable) -> None:
        self.table = table
        self.scans: list[ScanFilter] = []

    def is_lake_table(self, source: exp.Expr) -> bool:
        return (
            isinstance(source, exp.Table)
            and source.name == self.table.name
            and source.db in ("", self.table.database)
            and not source.catalog
        )

    def visit(self, scope: Scope, pushed: list[exp.Expr]) -> None:
        """`pushed`: predicates on this scope's outputs (unqualified output names) from the scopes above."""
        for subquery in scope.subquery_scopes:
            self.visit(subquery, [])
        if scope.is_set_operation:
            for branch in scope.set_operation_scopes:
                self.visit(branch, [])
            return
        select = scope.expression
        if not isinstance(select, exp.Select):
            return
        per_source: dict[str, list[exp.Expr]] = {}
        outputs = _output_columns(select)
        for predicate in pushed:
            names = {column.name for column in predicate.find_all(exp.Column)}
            if names <= set(outputs):
                local = _rewrite(predicate, {name: outputs[name] for name in names})
                source = _single_source(local)
                if source is not None:
                    per_source.setdefault(source, []).append(local)
        filterable = _filterable_sources(select)
        where = select.args.get("where")
        for predicate in [*_conjuncts(where.this if where else None), *_inner_join_conditions(select)]:
            source = _single_source(predicate)
            if source is not None and source in filterable and _pushable(predicate):
                per_source.setdefault(source, []).append(predicate)
        for alias, (_, origin) in scope.selected_sources.items():
            predicates = per_source.get(alias, []) if alias in filterable else []
            if isinstance(origin, exp.Table) and self.is_lake_table(origin):
                partitions = set(self.table.partition_names)
                self.scans.append(
                    ScanFilter(
                        origin,
                        [
                            _rewrite(predicate, {c.name: exp.column(c.name) for c in predicate.find_all(exp.Column)})
                            for predicate in predicates
                            if {column.name for column in predicate.find_all(exp.Column)} <= partitions
                        ],
                    )
                )
            elif isinstance(origin, Scope):
                self.visit(
                    origin,
                    [
                        _rewrite(predicate, {c.name: exp.column(c.name) for c in predicate.find_all(exp.Column)})
                        for predicate in predicates
                    ],
                )


def scan_filters(query: exp.Expr, table: LakeTable, views: dict[str, exp.Query]) -> list[ScanFilter]:
    """Every scan of the lake table in `query` (views inlined) with the partition predicates that reach it."""
    expanded = inline_views(query, views, table.database)
    schema: dict[str, object] = {table.name: {name: type_ for name, type_ in table.columns + table.partition_columns}}
    try:
        qualified = qualify(expanded, schema=schema, dialect=ATHENA_DIALECT, validate_qualify_columns=True)
    except OptimizeError as error:
        raise LakeQueryError(f"{error} (the lake has the table {table.name!r} and the views {sorted(views)})") from None
    root = build_scope(qualified)
    if root is None:
        return []
    pushdown = _Pushdown(table)
    pushdown.visit(root, [])
    return pushdown.scans
