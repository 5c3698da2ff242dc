"""oms-carrier-tablerate: a carrier for oms whose prices come from a zone x weight table (TOML or CSV).

It prints a PDF shipping label with a Code128 barcode and a PDF packing slip, numbers parcels with a UPU S10 check
digit, and reads its own JSON tracking push. Installed, it is the ``oms.carriers`` driver ``tablerate``.
"""

from pathlib import Path

from oms_carrier_tablerate.carrier import TableRateCarrier
from oms_carrier_tablerate.table import Bracket, RateTable, RateTableError, ServiceRates, Zone, load_table
from oms_carrier_tablerate.tracking import SIGNATURE_HEADER, check_digit, is_valid, sign, tracking_number

#: The example table shipped with the package: zones domestic (DE), de_islands, eu and world; standard and express.
EXAMPLE_TABLE = Path(__file__).with_name("example_rates.toml")
#: The same table in CSV.
EXAMPLE_TABLE_CSV = Path(__file__).with_name("example_rates.csv")

__all__ = [
    "EXAMPLE_TABLE",
    "EXAMPLE_TABLE_CSV",
    "SIGNATURE_HEADER",
    "Bracket",
    "RateTable",
    "RateTableError",
    "ServiceRates",
    "TableRateCarrier",
    "Zone",
    "check_digit",
    "is_valid",
    "load_table",
    "sign",
    "tracking_number",
]
