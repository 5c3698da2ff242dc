"""The carrier contract of oms_core, with the example table."""

from __future__ import annotations

import pytest
from oms_carrier_tablerate import EXAMPLE_TABLE, TableRateCarrier

from oms_core.testing.contracts import CarrierContract


class TestTableRateCarrier(CarrierContract):
    @pytest.fixture
    def carrier(self, sender):
        return TableRateCarrier(EXAMPLE_TABLE, sender=sender)


class TestTableRateCarrierAbroad(CarrierContract):
    """A heavy parcel abroad, worth enough for nothing: the CSV table, A6 labels."""

    @pytest.fixture
    def carrier(self):
        from oms_carrier_tablerate import EXAMPLE_TABLE_CSV

        return TableRateCarrier(EXAMPLE_TABLE_CSV, tracking_prefix="ZZ", label_size="A6")

    @pytest.fixture
    def parcel(self, make_parcel):
        return make_parcel("JP", "100-0001", 9000, value="10.00", ship_to={"city": "Tokyo", "line1": "1-1 Chiyoda"})
