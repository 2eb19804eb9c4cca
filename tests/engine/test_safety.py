"""The kill switch's hands: before closing perp positions it asks each account's venue
for them, so a fill not yet streamed is matched and a position closed meanwhile is not
closed again."""

from __future__ import annotations

from falconet.core.enums import InstrumentKind, Side, Venue
from falconet.core.events import PositionUpdate
from falconet.core.ids import ClientIdFactory, IdFormat, StrategyCode
from falconet.engine.market import Account
from falconet.engine.oms import OrderManager, Owner
from falconet.engine.safety import Holding, kill_all
from falconet.engine.venue import VenueCapabilities
from falconet.venues.hyperliquid.instruments import hl_instrument
from tests.engine.fakes import FakeVenue

PERP = hl_instrument(
    "HYPE", base="HYPE", quote="USDC", kind=InstrumentKind.PERP, sz_decimals=2, asset_id=159
)


def position(size: int) -> PositionUpdate:
    return PositionUpdate(ts_exchange=1, ts_local=1, instrument_id=PERP.id, size=size)


async def kill(streamed: int | None, listed: list[PositionUpdate]) -> FakeVenue:
    venue = FakeVenue(
        venue=Venue.HYPERLIQUID,
        capabilities=VenueCapabilities(False, False, id_format=IdFormat.HEX128),
    )

    async def positions() -> list[PositionUpdate]:
        return listed

    venue.positions = positions  # type: ignore[method-assign]
    oms = OrderManager(venue, ClientIdFactory(1))
    account = Account()
    if streamed is not None:
        account.apply(position(streamed))
    owner = Owner("MM:HYPE:hyperliquid", StrategyCode.MM, PERP, lambda e: None)
    await kill_all([oms], [Holding(oms, account, owner, PERP, None)], flatten=True,
                   now_ns=lambda: 1)  # fmt: skip
    await oms.drain()
    return venue


async def test_a_position_the_stream_has_not_told_yet_is_closed() -> None:
    venue = await kill(None, [position(PERP.size("2"))])
    [close] = venue.placed
    assert (close.side, close.quantity, close.reduce_only) == (Side.SELL, PERP.size("2"), True)


async def test_a_position_closed_meanwhile_is_not_closed_again() -> None:
    venue = await kill(-PERP.size("3"), [])  # the venue lists nothing: flat
    assert venue.placed == []
