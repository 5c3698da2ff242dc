"""oms-payment-stripe: Stripe as a payment gateway of oms-core (driver ``stripe`` in ``oms.payment_gateways``)."""

from oms_payment_stripe.gateway import StripeGateway
from oms_payment_stripe.money import from_minor_units, stripe_exponent, to_minor_units
from oms_payment_stripe.sandbox import StripeSandbox
from oms_payment_stripe.signature import compute_signature, signature_header

__version__ = "0.1.0"

__all__ = [
    "StripeGateway",
    "StripeSandbox",
    "compute_signature",
    "from_minor_units",
    "signature_header",
    "stripe_exponent",
    "to_minor_units",
]
