"""The lake table as the Glue catalog holds it, and which S3 objects its partition projection reads.

Read from Glue (`GetTable`), not re-declared: locally that is the table the Pulumi program deployed into the
emulator, so a change of columns, SerDe or projection in `infra/lake_table.py` reaches the local engine the
way it reaches Athena. Projection follows Athena's rules
(https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html): `enum` values,
`integer` ranges with `digits` zero padding, `date` ranges in a Java date format with `NOW`; a partition
outside the projection is not read even if objects exist there, and Athena builds each partition's location
from `storage.location.template` instead of listing the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from infra.lake_table import SERDE_LIBRARY

# The Java date patterns projection uses, for the letters the lake's tables use.
_JAVA_DATE_LETTERS = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H"}
_TEMPLATE_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class LakeTableError(ValueError):
    """The Glue table is not one the local engine can read as Athena would; says which property."""


def _strftime(java_format: str) -> str:
    out = java_format
    for java, python in _JAVA_DATE_LETTERS.items():
        out = out.replace(java, python)
    if re.search(r"[A-Za-z]", out.replace("%Y", "").replace("%m", "").replace("%d", "").replace("%H", "")):
        raise LakeTableError(
            f"projection date format {java_format!r} uses letters other than {list(_JAVA_DATE_LETTERS)}"
        )
    return out


@dataclass(frozen=True)
class Projection:
    """One partition column's projection: does a value from an S3 path belong to the table?"""

    column: str
    kind: str
    values: tuple[str, ...] = ()
    low: int = 0
    high: int = 0
    digits: int = 0
    date_format: str = ""
    date_start: date | None = None
    date_end_is_now: bool = False
    date_end: date | None = None

    @classmethod
    def from_parameters(cls, column: str, parameters: dict[str, str]) -> Projection:
        prefix = f"projection.{column}."
        kind = parameters.get(prefix + "type")
        if kind == "enum":
            return cls(column, kind, values=tuple(parameters[prefix + "values"].split(",")))
        if kind == "integer":
            low, high = (int(part) for part in parameters[prefix + "range"].split(","))
            return cls(column, kind, low=low, high=high, digits=int(parameters.get(prefix + "digits", "0")))
        if kind == "date":
            date_format = _strftime(parameters[prefix + "format"])
            start, end = (part.strip() for part in parameters[prefix + "range"].split(","))
            return cls(
                column,
                kind,
                date_format=date_format,
                date_start=datetime.strptime(start, date_format).date(),
                date_end_is_now=end.upper() == "NOW",
                date_end=None if end.upper() == "NOW" else datetime.strptime(end, date_format).date(),
            )
        raise LakeTableError(f"table parameter {prefix}type is {kind!r}; the local engine projects enum, integer, date")

    def admits(self, value: str, today: date) -> bool:
        """Whether Athena's projection would generate `value` for this column."""
        if self.kind == "enum":
            return value in self.values
        if self.kind == "integer":
            if not value.isdigit() or (self.digits and len(value) != self.digits):
                return False
            return self.low <= int(value) <= self.high
        try:
            day = datetime.strptime(value, self.date_format).date()
        except ValueError:
            return False
        if day.strftime(self.date_format) != value:
            return False
        assert self.date_start is not None
        end = today if self.date_end_is_now else self.date_end
        return self.date_start <= day <= (end or today)


@dataclass(frozen=True)
class LakeTable:
    """An external JSON table with partition projection, as Glue's GetTable returns it."""

    database: str
    name: str
    columns: tuple[tuple[str, str], ...]
    partition_columns: tuple[tuple[str, str], ...]
    bucket: str
    location_prefix: str
    template: str
    projections: tuple[Projection, ...]

    @classmethod
    def from_glue(cls, table: dict[str, Any]) -> LakeTable:
        """From `glue.get_table(...)["Table"]`, refusing what Athena would not read as this engine does."""
        name = table["Name"]
        descriptor = table["StorageDescriptor"]
        serde = descriptor.get("SerdeInfo", {}).get("SerializationLibrary")
        if serde != SERDE_LIBRARY:
            raise LakeTableError(f"table {name}: SerDe {serde!r}; the local engine reads {SERDE_LIBRARY} tables")
        parameters: dict[str, str] = table.get("Parameters", {})
        if parameters.get("projection.enabled") != "true":
            raise LakeTableError(f"table {name}: projection.enabled is not 'true'; partitions would need MSCK REPAIR")
        template = parameters.get("storage.location.template") or ""
        match = re.fullmatch(r"s3://([^/]+)/(.*)", template)
        if match is None:
            raise LakeTableError(f"table {name}: storage.location.template {template!r} is no s3:// location")
        partition_columns = tuple((key["Name"], key["Type"]) for key in table.get("PartitionKeys", []))
        variables = _TEMPLATE_VARIABLE.findall(match.group(2))
        if sorted(variables) != sorted(column for column, _ in partition_columns):
            raise LakeTableError(
                f"table {name}: storage.location.template uses {variables}, the partition keys are "
                f"{[column for column, _ in partition_columns]}"
            )
        location_prefix = match.group(2).split("${", 1)[0]
        return cls(
            database=table.get("DatabaseName", ""),
            name=name,
            columns=tuple((column["Name"], column["Type"]) for column in descriptor["Columns"]),
            partition_columns=partition_columns,
            bucket=match.group(1),
            location_prefix=location_prefix,
            template=match.group(2),
            projections=tuple(Projection.from_parameters(column, parameters) for column, _ in partition_columns),
        )

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns + self.partition_columns]

    @property
    def partition_names(self) -> list[str]:
        return [name for name, _ in self.partition_columns]

    def _key_pattern(self) -> re.Pattern[str]:
        parts = _TEMPLATE_VARIABLE.split(self.template)
        pattern = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)" for index, part in enumerate(parts)
        )
        # The files of the partition's own directory, as Hive reads a location (no subdirectories); names
        # starting with "_" or "." are hidden to Athena.
        return re.compile(pattern + r"(?P<_file>[^/_.][^/]*)")

    def partition_of(self, key: str, today: date | None = None) -> dict[str, str] | None:
        """The partition values of an S3 key the projection reads, or None if Athena would never read it."""
        match = self._key_pattern().fullmatch(key)
        if match is None:
            return None
        values = {column: match.group(column) for column in self.partition_names}
        day = today or datetime.now(UTC).date()
        if all(projection.admits(values[projection.column], day) for projection in self.projections):
            return values
        return None
