"""A configured driver with @hookimpl methods reacts to events; the same driver unconfigured costs nothing."""

from oms_core import Carrier, Event, LabelResult, hookimpl
from oms_core.defaults import sourcing
from oms_core.testing import draft, seed_catalogue

# only the plugins under test, whatever else is installed
ALONE = {"load_entry_points": False}


class PickupCarrier(Carrier):
    """A carrier that books a pick-up as soon as an order is confirmed."""

    booked: list[str] = []

    def __init__(self, depot: str = "north") -> None:
        self.depot = depot

    def rates(self, parcel):
        return []

    def create_label(self, parcel):
        return LabelResult("PK1")

    @hookimpl
    def order_confirmed(self, event: Event) -> None:
        PickupCarrier.booked.append(f"{self.depot}:{event.payload['order_id']}")


class RegistersPickup:
    oms_plugin_name = "pickup_registration"

    @hookimpl
    def register_drivers(self, register):
        register("oms.carriers", "pickup", PickupCarrier)


def test_a_configured_driver_receives_its_events(make_oms):
    PickupCarrier.booked.clear()
    oms = make_oms(
        plugins=[sourcing, RegistersPickup()], driver_config={"oms.carriers": {"pickup": {"depot": "south"}}}, **ALONE
    )
    assert "pickup" in dict(oms.plugins())
    seed_catalogue(oms, {"MUG": {"WH1": 5}})
    order = oms.place_order(draft("1", [("MUG", 1, "9.90")]))
    oms.confirm_order(order.id)
    assert PickupCarrier.booked == [f"south:{order.id}"]
    assert oms.outbox_counts()["delivered"] == 1


def test_an_unconfigured_driver_subscribes_nothing(make_oms):
    PickupCarrier.booked.clear()
    oms = make_oms(plugins=[sourcing, RegistersPickup()], **ALONE)
    assert "pickup" not in dict(oms.plugins())
    seed_catalogue(oms, {"MUG": {"WH1": 5}})
    order = oms.place_order(draft("1", [("MUG", 1, "9.90")]))
    oms.confirm_order(order.id)
    assert PickupCarrier.booked == []
    counts = oms.outbox_counts()
    assert counts["pending"] + counts["delivered"] + counts["dead"] == 0
