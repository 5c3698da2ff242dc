"""CarrierContract on the core's flat-rate carrier, and on a multi-service carrier with a PDF label."""

import pytest

from oms_core import Document, LabelResult, Money, Parcel, Rate, ShipmentLine
from oms_core.defaults.flat_rate import FlatRateCarrier
from oms_core.testing import address
from oms_core.testing.contracts import CarrierContract, default_parcel


class TestFlatRateCarrier(CarrierContract):
    @pytest.fixture
    def carrier(self):
        return FlatRateCarrier(packing_slip=True)


class PdfCarrier(FlatRateCarrier):
    """A local example: two services, cheapest first, and a (minimal) PDF label."""

    def rates(self, parcel):
        return [
            Rate(self.name, "economy", Money("3.90", "EUR"), 5),
            Rate(self.name, "express", Money("12.00", "EUR"), 1),
        ]

    def create_label(self, parcel):
        label = Document("label", "application/pdf", b"%PDF-1.4\n%%EOF\n", "label.pdf")
        return LabelResult("PDF000001", (label,), Money("3.90", "EUR"), "economy")


class TestPdfCarrierToFrance(CarrierContract):
    @pytest.fixture
    def carrier(self):
        return PdfCarrier()

    @pytest.fixture
    def parcel(self):
        to = address(name="Marie Curie", line1="11 rue Pierre et Marie Curie", city="Paris", postcode="75005",
                     country="FR")  # fmt: skip
        return Parcel(1, {"location": "WH1"}, to.to_json(), 2500, Money("49.90", "EUR"), (ShipmentLine(1, "SKU", 2),))


# -- the suite catches what it should -----------------------------------------------------------------------------


def test_rates_not_cheapest_first_fail_the_suite():
    class Backwards(PdfCarrier):
        def rates(self, parcel):
            return list(reversed(super().rates(parcel)))

    suite = CarrierContract()
    with pytest.raises(AssertionError, match="cheapest first"):
        suite.test_rates_cheapest_first(Backwards(), default_parcel())


def test_a_pdf_that_is_not_a_pdf_fails_the_suite():
    class FakePdf(PdfCarrier):
        def create_label(self, parcel):
            return LabelResult("X1", (Document("label", "application/pdf", b"<html>", "label.pdf"),))

    suite = CarrierContract()
    with pytest.raises(AssertionError, match="not a PDF"):
        suite.test_create_label(FakePdf(), default_parcel())


def test_an_empty_document_fails_the_suite():
    class Empty(PdfCarrier):
        def create_label(self, parcel):
            return LabelResult("X1", (Document("label", "text/plain", b"", "label.txt"),))

    suite = CarrierContract()
    with pytest.raises(AssertionError, match="no content"):
        suite.test_create_label(Empty(), default_parcel())
