"""Example business rules for oms, as pluggy hook implementations: one rule per module.

============================  ==================  ==================================================
module                        hook                rule
============================  ==================  ==================================================
:mod:`.value_hold`            ``assess_order``    hold orders above a value for review
:mod:`.address_check`         ``validate_order``  refuse a shipping address without house number or valid postcode
:mod:`.quantity_limit`        ``validate_order``  refuse more than N units of one SKU per order
:mod:`.fraud_score`           ``assess_order``    hold orders whose fraud score is above a threshold
:mod:`.nearest_warehouse`     ``choose_sources``  serve lines from the warehouse nearest by postcode
============================  ==================  ==================================================

Installing the package activates nothing. Turn rules on per OMS::

    from oms_rules_examples import FraudScore, ValueHold, all_rules

    oms = OMS.open(url, plugins=[ValueHold({"EUR": "2000.00"}), FraudScore(threshold=70)])
    oms = OMS.open(url, plugins=all_rules(quantity_limit={"max_quantity": 5}, nearest_warehouse=False))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oms_rules_examples.address_check import AddressCheck
from oms_rules_examples.fraud_score import FraudScore
from oms_rules_examples.nearest_warehouse import NearestWarehouse
from oms_rules_examples.quantity_limit import QuantityLimit
from oms_rules_examples.value_hold import ValueHold

__all__ = ["RULES", "AddressCheck", "FraudScore", "NearestWarehouse", "QuantityLimit", "ValueHold", "all_rules"]

#: every rule class by the keyword :func:`all_rules` takes for it (also its default plugin name)
RULES: Mapping[str, type] = {
    "value_hold": ValueHold,
    "address_check": AddressCheck,
    "quantity_limit": QuantityLimit,
    "fraud_score": FraudScore,
    "nearest_warehouse": NearestWarehouse,
}


def all_rules(
    *,
    value_hold: bool | Mapping[str, Any] = True,
    address_check: bool | Mapping[str, Any] = True,
    quantity_limit: bool | Mapping[str, Any] = True,
    fraud_score: bool | Mapping[str, Any] = True,
    nearest_warehouse: bool | Mapping[str, Any] = True,
) -> list[object]:
    """Every example rule as a plugin instance, for ``OMS(plugins=all_rules())``.

    Each keyword is ``True`` for the rule with its defaults, ``False`` to leave it out, or a mapping of keyword
    arguments for its class (``all_rules(fraud_score={"threshold": 70})``).
    """
    chosen = {
        "value_hold": value_hold,
        "address_check": address_check,
        "quantity_limit": quantity_limit,
        "fraud_score": fraud_score,
        "nearest_warehouse": nearest_warehouse,
    }
    rules: list[object] = []
    for key, option in chosen.items():
        if option is False:
            continue
        rules.append(RULES[key](**({} if option is True else dict(option))))
    return rules
