"""CSV and NDJSON order files for oms: streamed one order at a time, with a report naming every bad row.

* :class:`CsvChannel` is the ``oms.channels`` driver ``csv``: ``parse_orders(body)`` for a whole file (all or
  nothing), ``read(stream)`` for a stream of :class:`RowResult`, one per order.
* :func:`import_file` streams a file into ``OMS.place_orders`` batch by batch and returns an :class:`ImportReport`
  with created, replayed and failed counts and every problem as a :class:`RowError` (row, order id, field, reason).

The README documents the columns, the options and the error report.
"""

from oms_channel_csv.channel import (
    ADDRESS_FIELDS,
    COLUMNS,
    FORMATS,
    LINE_COLUMNS,
    ORDER_COLUMNS,
    REQUIRED_COLUMNS,
    CsvChannel,
    RowError,
    RowResult,
)
from oms_channel_csv.importer import REPORT_COLUMNS, ImportReport, import_file

__all__ = [
    "ADDRESS_FIELDS",
    "COLUMNS",
    "FORMATS",
    "LINE_COLUMNS",
    "ORDER_COLUMNS",
    "REPORT_COLUMNS",
    "REQUIRED_COLUMNS",
    "CsvChannel",
    "ImportReport",
    "RowError",
    "RowResult",
    "import_file",
]
