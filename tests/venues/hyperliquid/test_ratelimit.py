"""The request budgets: IP weight per minute, the back-off after a refusal, the
per-address action allowance."""

from __future__ import annotations

from falconet.venues.hyperliquid.ratelimit import (
    AddressBudget,
    WeightLimiter,
    action_weight,
    info_surcharge,
    info_weight,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_weights() -> None:
    assert info_weight("l2Book") == 2 and info_weight("orderStatus") == 2
    assert info_weight("userRole") == 60 and info_weight("frontendOpenOrders") == 20
    assert action_weight(1) == 1 and action_weight(40) == 2 and action_weight(79) == 2
    assert (
        info_surcharge("userFillsByTime", 2000) == 100
        and info_surcharge("candleSnapshot", 600) == 10
    )


async def test_limiter_waits_when_the_minute_is_spent() -> None:
    t = FakeTime()
    limiter = WeightLimiter(1200, 60.0, clock=t.clock, sleep=t.sleep)
    for _ in range(60):
        await limiter.acquire(20)  # 1200: the whole budget, no wait
    assert t.slept == []
    await limiter.acquire(20)  # refills at 20 weight/s: one second
    assert t.slept == [1.0] and limiter.stats.waits == 1
    limiter.charge(100)  # a long answer costs after the fact
    await limiter.acquire(2)
    assert t.slept[-1] == 5.1


async def test_backoff_doubles_and_resets() -> None:
    t = FakeTime()
    limiter = WeightLimiter(clock=t.clock, sleep=t.sleep)
    assert [await limiter.backoff() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    limiter.succeeded()
    assert await limiter.backoff(hint_s=3.0) == 3.0  # the venue's hint wins when longer
    assert limiter.stats.limit_errors == 8


def test_address_budget_refuses_past_the_cap_but_one_per_ten_seconds() -> None:
    t = FakeTime()
    budget = AddressBudget(clock=t.clock, sleep=t.sleep)
    budget.sync(used=10_000, cap=10_000)
    assert budget.try_spend() is None  # the first over the cap goes at once
    why = budget.try_spend()  # the next would be refused by the venue: refused here
    assert why is not None and "10001 of 10000" in why and budget.refused == 1
    assert budget.used == 10_001  # nothing spent on a refusal
    t.now += 10.0
    assert budget.try_spend() is None  # ten seconds later, one more
    budget.charge(cancel=True)  # cancels are counted, never refused
    assert budget.used == 10_003 and t.slept == []
    budget.traded(5_000.0)
    assert budget.cap == 15_000
    assert budget.try_spend(10) is None
