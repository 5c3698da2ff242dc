"""A real Tryton for the adapter's tests: one SQLite database built once, then copied for every test.

:func:`build` makes ``DIRECTORY/NAME.sqlite`` in a child process, the way Tryton's own scenario tests do:
``activate_modules`` of ``trytond.tests.tools`` activates the modules (with their dependencies) and runs set-up
functions of the modules' test tools (a company in EUR, a chart of accounts); then a fiscal year, countries, a
catalogue and an inventory are created through proteus. Building takes about half a minute (Tryton's ``DB_CACHE``
environment variable, when set, caches the module activation too), so the fixtures keep the file in pytest's
cache, keyed by the Tryton version and :data:`REVISION`. The other functions act in Tryton as its users would.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

#: the binding table's name for the test Tryton
BACKEND = "tryton:test"
#: bump when the content below changes, so that a cached database is built again
REVISION = "4"
#: the modules the tests activate (their dependencies come along: currency, country, account_invoice, ...)
MODULES = ["account", "company", "party", "product", "sale", "stock"]
#: the catalogue of the test ERP: code -> (name, type, list price, on hand in the warehouse, active)
CATALOGUE = {
    "CHAIR-1": ("Oak chair", "goods", "120.00", 10, True),
    "DESK-1": ("Standing desk", "goods", "499.00", 4, True),
    "LAMP-1": ("Desk lamp", "goods", "35.50", 0, True),
    "STOOL-1": ("Retired stool", "goods", "20.00", 0, False),
    "SETUP-1": ("Assembly service", "service", "60.00", 0, True),
}
#: what the adapter imports: salable goods with a code
GOODS = {code: v for code, v in CATALOGUE.items() if v[1] == "goods"}
COUNTRIES = {"DE": "Germany", "FR": "France", "GB": "United Kingdom", "US": "United States"}


def other_plugins() -> list[str]:
    """The installed hook plugins a test OMS leaves out: all but the adapter's reactions and the core's sourcing
    (business rules installed next to the adapter would hold the tests' orders)."""
    keep = {"tryton", "default_sourcing"}
    return sorted({ep.name for ep in importlib.metadata.entry_points(group="oms")} - keep)


def cache_key() -> str:
    """Tryton's version, this file's revision and the year (the fiscal year is the current one)."""
    version = importlib.metadata.version("trytond")
    return f"tryton-{version}-r{REVISION}-{dt.datetime.now(dt.UTC).year}"


def build(directory: Path, name: str) -> Path:
    """Build the database in a child process (Tryton's test tools change process-wide settings)."""
    directory.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({"TRYTOND_DATABASE_URI": "sqlite://", "TRYTOND_DATABASE__PATH": str(directory), "DB_NAME": name})
    done = subprocess.run([sys.executable, __file__], env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"building the Tryton test database failed:\n{done.stdout}\n{done.stderr}")
    return directory / f"{name}.sqlite"


# -- acting in Tryton as its users would (the ``config`` is ``adapter.proteus``) ---------------------------------


def model(config: Any, name: str) -> Any:
    from proteus import Model

    return Model.get(name, config=config)


def sales(config: Any, *domain: Any) -> list[Any]:
    """The sales (``sale.sale`` proteus records) matching ``domain``, oldest first."""
    return model(config, "sale.sale").find(list(domain), order=[("id", "ASC")])


def deliver(config: Any, sale_id: int) -> list[int]:
    """Ship every waiting shipment of the sale, the way a warehouse does: assign, pick, pack, done."""
    done = []
    for shipment in model(config, "sale.sale")(sale_id).shipments:
        if shipment.state in ("done", "cancelled"):
            continue
        shipment.click("assign_try")
        shipment.click("pick")
        shipment.click("pack")
        shipment.click("do")
        assert shipment.state == "done", shipment.state
        done.append(shipment.id)
    return done


def count_stock(config: Any, code: str, quantity: int) -> None:
    """Set the storage zone's quantity of a product by an inventory, as a stock count in Tryton does."""
    Location = model(config, "stock.location")
    (storage,) = Location.find([("code", "=", "STO")])
    (product,) = model(config, "product.product").find([("code", "=", code)])
    inventory = model(config, "stock.inventory")(location=storage, empty_quantity="keep")
    line = inventory.lines.new(product=product)
    line.quantity = float(quantity)
    inventory.save()
    inventory.click("confirm")


def _populate() -> None:  # runs in the child process
    from proteus import Model
    from trytond.modules.account.tests.tools import create_chart, create_fiscalyear, get_accounts
    from trytond.modules.account_invoice.tests.tools import set_fiscalyear_invoice_sequences
    from trytond.modules.company.tests.tools import create_company
    from trytond.modules.currency.tests.tools import get_currency
    from trytond.tests.tools import activate_modules

    config = activate_modules(MODULES, functools.partial(create_company, currency="EUR"), create_chart)
    get_currency("USD", config=config)

    fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear(config=config), config=config)
    fiscalyear.click("create_period")
    accounts = get_accounts(config=config)

    Country = Model.get("country.country", config=config)
    for code, country in COUNTRIES.items():
        Country(name=country, code=code).save()

    Category = Model.get("product.category", config=config)
    category = Category(name="Furniture", accounting=True)
    category.account_revenue = accounts["revenue"]
    category.account_expense = accounts["expense"]
    category.save()

    Uom = Model.get("product.uom", config=config)
    (unit,) = Uom.find([("name", "=", "Unit")])
    Template = Model.get("product.template", config=config)
    Product = Model.get("product.product", config=config)
    Location = Model.get("stock.location", config=config)
    Inventory = Model.get("stock.inventory", config=config)
    (storage,) = Location.find([("code", "=", "STO")])
    inventory = Inventory(location=storage)
    for code, (name, kind, price, on_hand, _active) in CATALOGUE.items():
        template = Template(name=name, type=kind, default_uom=unit, salable=True, list_price=Decimal(price))
        template.code = code
        template.account_category = category
        template.save()
        (product,) = template.products
        if on_hand:
            line = inventory.lines.new(product=product)
            line.quantity = float(on_hand)
            line.expected_quantity = 0.0
    inventory.click("confirm")
    for code, (*_, active) in CATALOGUE.items():
        if not active:
            (product,) = Product.find([("code", "=", code)])
            product.active = False
            product.save()

    User = Model.get("res.user", config=config)
    admin = User(config.user)
    admin.password = "admin-password-for-tests"
    admin.save()


if __name__ == "__main__":
    _populate()
