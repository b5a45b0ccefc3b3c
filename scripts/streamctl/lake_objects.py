"""Lake objects as Firehose compresses and names them: one table of CompressionFormat -> extension and codec.

The local Firehose (`emulator.firehose_delivery`) writes with `compress`; every reader of the lake (`streamctl loadtest
verify`, the demo's audit) reads with `decompress`, choosing the codec by the object's extension as Athena's text
reader does (Trino's `CompressionKind.forFile`), so a local object that reads here reads there.

Extensions: "When you enable data format conversion or compression, Firehose will append a file extension based on the
configuration" (https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html, the file extension table: Gzip
`.gz`, Zip `.zip`, Snappy `.snappy`, Hadoop-Snappy `.hsnappy`). For HADOOP_SNAPPY that table and the service disagree:
objects arrive as `.snappy` (reported by two independent emulators checked against AWS, and what `infra/config.py`'s
choice of lake compressions relies on: Athena decodes `.snappy` with Hadoop's codec and would read `.hsnappy` as
plain text). This module follows the service.

Framings: GZIP is one gzip member; HADOOP_SNAPPY is Hadoop's BlockCompressorStream framing (each block: 4-byte
big-endian uncompressed length, then 4-byte big-endian compressed length and raw Snappy bytes), the framing Firehose
names "compatible with Hadoop" for Athena
(https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html). `Snappy` is written in the Snappy
framing format (`sNaPpY` stream identifier) and ZIP as one deflated entry: AWS documents neither framing, and the
lake refuses both (Athena cannot read them), so only the local error path and tests meet them.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
from dataclasses import dataclass
from typing import Final

import cramjam

GZIP_MAGIC: Final = b"\x1f\x8b"
# Hadoop's SnappyCodec buffer (io.compression.codec.snappy.buffersize, 256 KiB) less its compression overhead
# (bufferSize / 6 + 32): the most input one BlockCompressorStream block takes.
HADOOP_SNAPPY_BUFFER: Final = 256 * 1024
HADOOP_SNAPPY_BLOCK: Final = HADOOP_SNAPPY_BUFFER - (HADOOP_SNAPPY_BUFFER // 6 + 32)
_LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class LakeCompression:
    """One Firehose CompressionFormat: the extension it appends to object names."""

    format: str  # as Firehose's API spells it
    extension: str


COMPRESSIONS: Final = {
    c.format: c
    for c in (
        LakeCompression("UNCOMPRESSED", ""),
        LakeCompression("GZIP", ".gz"),
        LakeCompression("ZIP", ".zip"),
        LakeCompression("Snappy", ".snappy"),
        LakeCompression("HADOOP_SNAPPY", ".snappy"),
    )
}


def hadoop_snappy_compress(data: bytes) -> bytes:
    out = bytearray()
    for start in range(0, len(data), HADOOP_SNAPPY_BLOCK):
        block = data[start : start + HADOOP_SNAPPY_BLOCK]
        compressed = bytes(cramjam.snappy.compress_raw(block))
        out += _LENGTH.pack(len(block)) + _LENGTH.pack(len(compressed)) + compressed
    return bytes(out)


def hadoop_snappy_decompress(data: bytes) -> bytes:
    """Hadoop's BlockDecompressorStream: a block's compressed chunks until its uncompressed length is reached."""
    out = bytearray()
    view = memoryview(data)
    position = 0
    while position < len(view):
        if position + 4 > len(view):
            raise ValueError(f"truncated Hadoop-Snappy block header at byte {position}")
        (expected,) = _LENGTH.unpack_from(view, position)
        position += 4
        produced = 0
        while produced < expected:
            if position + 4 > len(view):
                raise ValueError(f"truncated Hadoop-Snappy chunk header at byte {position}")
            (length,) = _LENGTH.unpack_from(view, position)
            position += 4
            try:
                chunk = bytes(cramjam.snappy.decompress_raw(bytes(view[position : position + length])))
            except cramjam.DecompressionError as error:
                raise ValueError(f"corrupt Snappy chunk at byte {position}: {error}") from error
            position += length
            produced += len(chunk)
            out += chunk
        if produced != expected:
            raise ValueError(f"Hadoop-Snappy block decoded to {produced} bytes, its header says {expected}")
    return bytes(out)


def compress(compression_format: str, data: bytes, entry_name: str = "data") -> bytes:
    """`data` as Firehose writes it with `compression_format`; `entry_name` names a ZIP archive's one entry."""
    if compression_format == "UNCOMPRESSED":
        return data
    if compression_format == "GZIP":
        return gzip.compress(data, mtime=0)
    if compression_format == "HADOOP_SNAPPY":
        return hadoop_snappy_compress(data)
    if compression_format == "Snappy":
        return bytes(cramjam.snappy.compress(data))
    if compression_format == "ZIP":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(entry_name, data)
        return buffer.getvalue()
    raise ValueError(f"'{compression_format}' is not a Firehose CompressionFormat ({', '.join(COMPRESSIONS)})")


def decompress(key: str, body: bytes) -> bytes:
    """A lake object's bytes, decoded by its extension as Athena does (`.gz` gzip, `.snappy` Hadoop-Snappy).

    Objects without a known extension are returned as they are, unless they start with gzip's magic (the lake's
    objects written before the local Firehose named them).
    """
    if key.endswith(".gz") or (not key.endswith((".snappy", ".zip")) and body[:2] == GZIP_MAGIC):
        return gzip.decompress(body)
    if key.endswith(".snappy"):
        return hadoop_snappy_decompress(body)
    if key.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    return body
