"""``import_file``: stream an order file into an OMS, batch by batch, and report every bad row."""

from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

import attrs

from oms_channel_csv.channel import FORMATS, CsvChannel, RowError, RowResult
from oms_core import CHANNELS, OMS, ConfigurationError

__all__ = ["REPORT_COLUMNS", "ImportReport", "import_file"]

#: the columns of :meth:`ImportReport.to_csv`
REPORT_COLUMNS = ("row", "order_id", "field", "reason")
_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@attrs.define
class ImportReport:
    """What an import did: orders created, replayed (already imported), refused, and every problem by row.

    :param created: orders placed by this import.
    :param replayed: orders of the file that were placed before, with the same content (nothing changed).
    :param failed: orders refused, by the reader or by the OMS; none of their rows was placed.
    :param errors: every problem, sorted by row: a refused order has at least one, and so has a row that belongs
        to no order (a row without order id, a line that is not JSON, a bad header).
    """

    created: int = 0
    replayed: int = 0
    failed: int = 0
    errors: list[RowError] = attrs.Factory(list)

    @property
    def ok(self) -> bool:
        """Every row was read and every order placed."""
        return not self.errors

    def to_csv(self, target: str | os.PathLike[str] | IO[str] | None = None) -> str:
        """The errors as CSV (``row,order_id,field,reason``), written to ``target`` (a path or text stream) if given.

        Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``) are prefixed with
        ``'``: order ids and values come from the file, which came from outside.
        """
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(REPORT_COLUMNS)
        for e in self.errors:
            writer.writerow([e.row, _cell(e.order_id), _cell(e.field), _cell(e.reason)])
        text = out.getvalue()
        if isinstance(target, str | os.PathLike):
            Path(target).write_text(text, encoding="utf-8", newline="")
        elif target is not None:
            target.write(text)
        return text


def import_file(
    oms: OMS,
    source: str | os.PathLike[str] | BinaryIO | Iterable[bytes],
    *,
    format: str | None = None,
    batch_size: int = 500,
    channel: str | CsvChannel = "csv",
) -> ImportReport:
    """Read an order file as a stream and place its orders, ``batch_size`` per transaction.

    :param oms: the OMS to place the orders in.
    :param source: a path (opened and closed here), a binary file object or an iterable of bytes.
    :param format: ``"csv"`` or ``"ndjson"``; default from the file name (``.ndjson``, ``.jsonl``) or the channel.
    :param batch_size: orders per transaction: only one batch of drafts is held in memory.
    :param channel: the name of the CSV channel driver in ``oms`` (its options come from ``driver_config``), or a
        :class:`CsvChannel` instance.
    :return: the :class:`ImportReport`. A bad row refuses its whole order; the other orders are placed.
    """
    if batch_size < 1:
        raise ConfigurationError(f"batch_size must be at least 1, not {batch_size}")
    driver = oms.driver(CHANNELS, channel) if isinstance(channel, str) else channel
    if not isinstance(driver, CsvChannel):
        raise ConfigurationError(f"the {CHANNELS} driver {channel!r} is a {type(driver).__name__}, not a CsvChannel")
    fmt = format or _format_of(source) or driver.format
    if fmt not in FORMATS:
        raise ConfigurationError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    report = ImportReport()
    batch: list[RowResult] = []
    with _opened(source) as stream:
        for result in driver.read(stream, fmt):
            if result.draft is None:
                report.failed += result.order_id is not None
                report.errors += result.errors
                continue
            batch.append(result)
            if len(batch) >= batch_size:
                _place(oms, driver, batch, report)
        if batch:
            _place(oms, driver, batch, report)
    report.errors.sort(key=lambda e: e.row)
    return report


def _place(oms: OMS, driver: CsvChannel, batch: list[RowResult], report: ImportReport) -> None:
    """Place one batch in one transaction; map each refusal back to its rows."""
    placed = oms.place_orders([r.draft for r in batch if r.draft is not None], batch_size=len(batch))
    report.created += placed.created
    report.replayed += placed.replayed
    for index, _external_id, error in placed.errors:
        report.failed += 1
        report.errors += driver.row_errors(batch[index], error)
    batch.clear()


def _format_of(source: Any) -> str | None:
    name = source if isinstance(source, str | os.PathLike) else getattr(source, "name", None)
    if not isinstance(name, str | os.PathLike):
        return None
    return _SUFFIXES.get(Path(name).suffix.lower())


@contextlib.contextmanager
def _opened(source: Any) -> Iterator[Any]:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            yield f
    else:
        yield source


def _cell(value: str | None) -> str:
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value
