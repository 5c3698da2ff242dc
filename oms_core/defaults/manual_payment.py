"""The manual gateway: bank transfer, cash on delivery, invoice. Nothing leaves the building.

``authorize`` records the expected amount as *pending*; ``capture`` is "mark as paid" (the money arrived);
``void`` cancels what is expected; ``refund`` records money paid back by hand.
"""

from __future__ import annotations

from oms_core.domain.money import Money
from oms_core.domain.order import Order
from oms_core.domain.payment import GatewayOutcome, GatewayResult
from oms_core.drivers import PaymentGateway


class ManualPaymentGateway(PaymentGateway):
    def __init__(self, methods: tuple[str, ...] = ("bank_transfer", "cash_on_delivery", "invoice", "default")):
        self.methods = tuple(methods)

    def authorize(self, order: Order, amount: Money, method: str, idempotency_key: str) -> GatewayResult:
        if method not in self.methods:
            return GatewayResult(GatewayOutcome.FAILED, error=f"method {method!r} is not one of {self.methods}")
        return GatewayResult(GatewayOutcome.PENDING, reference=f"manual-{idempotency_key}", amount=amount)

    def capture(self, reference: str | None, amount: Money, idempotency_key: str) -> GatewayResult:
        return GatewayResult(GatewayOutcome.CAPTURED, reference=reference, amount=amount)

    def void(self, reference: str | None, idempotency_key: str) -> GatewayResult:
        return GatewayResult(GatewayOutcome.VOIDED, reference=reference)

    def refund(self, reference: str | None, amount: Money, reason: str, idempotency_key: str) -> GatewayResult:
        return GatewayResult(GatewayOutcome.REFUNDED, reference=f"{reference}:refund:{idempotency_key}", amount=amount)
