"""Refuse orders whose shipping address is incomplete (``validate_order``).

Two checks, each refusal naming the field:

* the street line (``shipping_address.line1``) must contain a house number;
* the postcode must have the format of its country, for the countries in :data:`DEFAULT_POSTCODES` (Germany,
  France, United Kingdom, United States, Netherlands). Other countries' postcodes are not checked.

The caller gets ``RuleRejected`` with messages such as
``address_check: shipping_address.postcode: '1234' is not a DE postcode (5 digits, e.g. 10117)``.

Module-level default: :data:`DEFAULT_POSTCODES`. Configure by instantiating :class:`AddressCheck`::

    OMS(plugins=[AddressCheck(postcodes={**DEFAULT_POSTCODES, "BE": (r"\\d{4}", "4 digits, e.g. 1000")})])
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from oms_core import OrderDraft, hookimpl

NAME = "address_check"

#: ``{country: (regular expression, hint for the message)}``; the whole postcode must match (case-insensitive)
DEFAULT_POSTCODES: Mapping[str, tuple[str, str]] = {
    "DE": (r"\d{5}", "5 digits, e.g. 10117"),
    "FR": (r"\d{5}", "5 digits, e.g. 75005"),
    "GB": (r"GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "e.g. SW1A 1AA"),
    "US": (r"\d{5}(-\d{4})?", "5 digits or ZIP+4, e.g. 94105 or 94105-1804"),
    "NL": (r"[1-9]\d{3} ?[A-Z]{2}", "4 digits and 2 letters, e.g. 1012 AB"),
}

_HOUSE_NUMBER = re.compile(r"\d")


class AddressCheck:
    """Refuse a draft whose shipping address has no house number or a postcode in the wrong format.

    :param postcodes: ``{country: pattern}`` or ``{country: (pattern, hint)}``; only these countries are checked.
    :param require_house_number: check that ``line1`` contains a number.
    :param name: the plugin name the refusal is reported under.
    """

    def __init__(
        self,
        postcodes: Mapping[str, str | tuple[str, str]] = DEFAULT_POSTCODES,
        *,
        require_house_number: bool = True,
        name: str = NAME,
    ) -> None:
        self.postcodes: dict[str, tuple[re.Pattern[str], str]] = {}
        for country, spec in postcodes.items():
            pattern, hint = (spec, "") if isinstance(spec, str) else spec
            self.postcodes[country.upper()] = (re.compile(pattern, re.IGNORECASE), hint)
        self.require_house_number = require_house_number
        self.oms_plugin_name = name

    def __repr__(self) -> str:
        return f"AddressCheck(countries={sorted(self.postcodes)}, name={self.oms_plugin_name!r})"

    def problems(self, draft: OrderDraft) -> list[str]:
        address = draft.shipping_address
        if address is None:  # the core refuses a draft without one before the rules run
            return []
        found = []
        if self.require_house_number and not _HOUSE_NUMBER.search(address.line1 or ""):
            found.append(f"shipping_address.line1: {address.line1!r} has no house number")
        rule = self.postcodes.get((address.country or "").upper())
        if rule is not None:
            pattern, hint = rule
            if not pattern.fullmatch((address.postcode or "").strip()):
                found.append(
                    f"shipping_address.postcode: {address.postcode!r} is not a {address.country} postcode"
                    + (f" ({hint})" if hint else "")
                )
        return found

    @hookimpl
    def validate_order(self, draft: OrderDraft) -> list[str] | None:
        return self.problems(draft) or None
