"""`streamctl lake query` in local mode: the query on embedded DuckDB over the emulator's lake objects.

As Athena does with partition projection: the table (columns, SerDe, projection, location template) is the
Glue table the program deployed, read back with GetTable; only the partitions whose values satisfy the
predicates that reach the scan (`pruning.scan_filters`) are read, and the objects and bytes read are counted
(Athena bills the bytes of the objects as stored, i.e. compressed). The objects come from the emulator's S3
through boto3 and are decoded in Python by their extension, as Athena picks a codec
(https://docs.aws.amazon.com/athena/latest/ug/compression-formats.html), by the one reader every lake consumer
uses (`streamctl.lake_objects.decompress`: `.gz`, Hadoop-framed `.snappy`): DuckDB's httpfs extension would
download at run time, so DuckDB only ever reads local files. The views are created from docs/athena/*.sql
translated by sqlglot.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from infra.lake_table import TABLE_NAME
from streamctl.lake.pruning import LakeQueryError, parse, scan_filters
from streamctl.lake.table import LakeTable
from streamctl.lake.views import DUCKDB_DIALECT, View, load_views, referenced_views, to_duckdb
from streamctl.lake_objects import decompress

# Glue (Hive) column types and the DuckDB types they read as.
_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
}


def _decoded(key: str, body: bytes) -> bytes:
    """The object's NDJSON; an object its extension's codec cannot decode is an error naming the object."""
    try:
        return decompress(key, body)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as error:  # gzip, Hadoop-Snappy and ZIP readers
        raise LakeQueryError(f"s3 object {key}: cannot decode it by its extension: {error}") from None


@dataclass
class ReadStats:
    """What a local query read: the S3 requests Athena would make and the bytes it would be billed for."""

    partitions_in_table: int = 0
    partitions_read: int = 0
    objects_in_table: int = 0
    bytes_in_table: int = 0  # as stored (compressed), as S3 lists them
    objects_read: int = 0
    bytes_read: int = 0
    list_requests: int = 0
    get_requests: int = 0

    def summary(self) -> str:
        return (
            f"read {self.objects_read} of {self.objects_in_table} objects ({self.bytes_read:,} of "
            f"{self.bytes_in_table:,} bytes) in "
            f"{self.partitions_read} of {self.partitions_in_table} partitions"
        )


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    stats: ReadStats


def load_table(glue: Any, database: str) -> LakeTable:
    try:
        table = glue.get_table(DatabaseName=database, Name=TABLE_NAME)["Table"]
    except glue.exceptions.EntityNotFoundException:
        raise LakeQueryError(
            f"the Glue database {database!r} has no table {TABLE_NAME!r}: is the stack deployed?"
        ) from None
    return LakeTable.from_glue({"DatabaseName": database, **table})


def _list_objects(s3: Any, table: LakeTable, stats: ReadStats) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """The table's objects by partition (values in partition-key order), those the projection reads only."""
    by_partition: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=table.bucket, Prefix=table.location_prefix):
        stats.list_requests += 1
        for item in page.get("Contents", []):
            values = table.partition_of(item["Key"])
            if values is not None:
                by_partition.setdefault(tuple(values[name] for name in table.partition_names), []).append(item)
    stats.partitions_in_table = len(by_partition)
    stats.objects_in_table = sum(len(items) for items in by_partition.values())
    stats.bytes_in_table = sum(int(item["Size"]) for items in by_partition.values() for item in items)
    return by_partition


def _selected_partitions(
    db: duckdb.DuckDBPyConnection,
    table: LakeTable,
    partitions: list[tuple[str, ...]],
    conditions: list[exp.Expr | None],
) -> set[tuple[str, ...]]:
    """The partitions some scan reads: those satisfying the scan's pushed-down predicates, evaluated in DuckDB."""
    if any(condition is None for condition in conditions):
        return set(partitions)
    names = table.partition_names
    db.execute(f"CREATE OR REPLACE TEMP TABLE lake_partitions ({', '.join(f'{name} VARCHAR' for name in names)})")
    if partitions:
        db.executemany(f"INSERT INTO lake_partitions VALUES ({', '.join('?' for _ in names)})", partitions)
    selected: set[tuple[str, ...]] = set()
    for condition in conditions:
        assert condition is not None
        where = condition.sql(dialect=DUCKDB_DIALECT)
        selected.update(db.execute(f"SELECT {', '.join(names)} FROM lake_partitions WHERE {where}").fetchall())
    return selected


def _create_events_table(db: duckdb.DuckDBPyConnection, table: LakeTable, files: list[Path]) -> None:
    """`events` as the OpenX JSON SerDe reads it: columns by name, a malformed line a row of NULLs, partition
    columns from the path."""
    try:
        columns = {name: _DUCKDB_TYPES[type_] for name, type_ in table.columns}
        partitions = {name: _DUCKDB_TYPES[type_] for name, type_ in table.partition_columns}
    except KeyError as error:
        raise LakeQueryError(f"table {table.name}: column type {error} has no DuckDB type here") from None
    declared = ", ".join(f'"{name}" {type_}' for name, type_ in {**columns, **partitions}.items())
    db.execute(f'CREATE TABLE "{table.name}" ({declared})')
    if not files:
        return
    names = ", ".join(f'"{name}"' for name in (*columns, *partitions))
    db.execute(
        f"INSERT INTO \"{table.name}\" SELECT {names} FROM read_json(?, columns = ?, format = 'newline_delimited', "
        "ignore_errors = true, hive_partitioning = true, hive_types = ?, hive_types_autocast = false)",
        [[str(path) for path in files], columns, partitions],
    )


def run_local_query(sql: str, s3: Any, glue: Any, database: str, views: dict[str, View] | None = None) -> QueryResult:
    """Run one Athena SQL statement over the lake in the emulator; the result says what it read."""
    views = load_views() if views is None else views
    table = load_table(glue, database)
    query = parse(sql)
    scans = scan_filters(query, table, {name: view.select for name, view in views.items()})
    stats = ReadStats()
    by_partition = _list_objects(s3, table, stats)
    db = duckdb.connect()
    try:
        selected = _selected_partitions(db, table, sorted(by_partition), [scan.condition() for scan in scans])
        stats.partitions_read = len(selected)
        with tempfile.TemporaryDirectory(prefix="lake-query-") as scratch:
            files: list[Path] = []
            for values in sorted(selected):
                directory = Path(scratch).joinpath(
                    *(f"{n}={v}" for n, v in zip(table.partition_names, values, strict=True))
                )
                directory.mkdir(parents=True, exist_ok=True)
                for index, item in enumerate(by_partition[values]):
                    body = s3.get_object(Bucket=table.bucket, Key=item["Key"])["Body"].read()
                    stats.get_requests += 1
                    stats.objects_read += 1
                    stats.bytes_read += len(body)
                    path = directory / f"{index:06d}.json"
                    path.write_bytes(_decoded(item["Key"], body))
                    files.append(path)
            _create_events_table(db, table, files)
        for view in referenced_views(query, views):
            db.execute(to_duckdb(view.text))
        try:
            cursor = db.execute(query.sql(dialect=DUCKDB_DIALECT))
        except duckdb.Error as error:
            raise LakeQueryError(f"DuckDB could not run the query (translated from Athena SQL): {error}") from None
        columns = [column[0] for column in cursor.description or []]
        return QueryResult(columns, cursor.fetchall(), stats)
    finally:
        db.close()
