"""The flat-rate carrier: one price whatever the parcel, a tracking number, and a plain-text packing slip."""

from __future__ import annotations

import secrets

from oms_core.domain.fulfilment import Document, LabelResult, Parcel, Rate
from oms_core.domain.money import Money
from oms_core.drivers import Carrier


class FlatRateCarrier(Carrier):
    """Configure with ``{"amount": "4.90", "currency": "EUR", "service": "standard", "packing_slip": false}``."""

    def __init__(
        self,
        amount: str = "4.90",
        currency: str = "EUR",
        service: str = "standard",
        days: int = 3,
        packing_slip: bool = False,
    ) -> None:
        self.price = Money(amount, currency)
        self.service = service
        self.days = days
        self.packing_slip = packing_slip

    def rates(self, parcel: Parcel) -> list[Rate]:
        return [Rate(self.name, self.service, self.price, self.days)]

    def create_label(self, parcel: Parcel) -> LabelResult:
        tracking = "FR" + secrets.token_hex(7).upper()
        documents: tuple[Document, ...] = ()
        if self.packing_slip:
            text = [f"Packing slip - order #{parcel.order_id} - {tracking}", ""]
            text += [f"{line.quantity:>5} x {line.sku}" for line in parcel.lines]
            documents = (Document("packing_slip", "text/plain", "\n".join(text).encode(), f"{tracking}.txt"),)
        return LabelResult(tracking, documents, self.price, self.service)
