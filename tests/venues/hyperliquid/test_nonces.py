"""Nonces: millisecond timestamps, strictly increasing whatever the clock does."""

from __future__ import annotations

import threading
import time

from hypothesis import given
from hypothesis import strategies as st

from falconet.venues.hyperliquid.nonces import NonceSource, wall_ms


class FakeClock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def test_follows_the_clock_when_it_moves_forward() -> None:
    clock = FakeClock(1_700_000_000_000)
    nonces = NonceSource(clock)
    assert nonces.next() == 1_700_000_000_000
    clock.now += 250
    assert nonces.next() == 1_700_000_000_250


def test_frozen_clock_still_gives_increasing_nonces() -> None:
    nonces = NonceSource(FakeClock(1_000))
    assert [nonces.next() for _ in range(5)] == [1_000, 1_001, 1_002, 1_003, 1_004]


def test_clock_stepping_back_never_repeats() -> None:
    clock = FakeClock(5_000)
    nonces = NonceSource(clock)
    first = nonces.next()
    clock.now = 4_000  # NTP step
    assert nonces.next() == first + 1
    clock.now = 10_000
    assert nonces.next() == 10_000  # back on the clock once it has passed us


def test_observe_moves_past_used_nonces_only() -> None:
    clock = FakeClock(1_000)
    nonces = NonceSource(clock)
    nonces.observe(5_000)  # seen used elsewhere (another session, same key)
    assert nonces.next() == 5_001
    nonces.observe(10)  # older: ignored
    assert nonces.next() == 5_002
    assert nonces.last == 5_002


def test_floor_is_never_handed_out() -> None:
    nonces = NonceSource(FakeClock(100), floor=100)
    assert nonces.next() == 101
    assert NonceSource(FakeClock(100), floor=99).next() == 100


def test_default_clock_is_wall_milliseconds() -> None:
    before = int(time.time() * 1000)
    nonce = NonceSource().next()
    assert before <= nonce <= int(time.time() * 1000) + 1
    assert abs(wall_ms() - time.time() * 1000) < 1_000


@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("tick"), st.integers(-5_000, 5_000)),
            st.tuples(st.just("observe"), st.integers(0, 2_000_000)),
            st.tuples(st.just("next"), st.just(0)),
        ),
        max_size=60,
    )
)
def test_strictly_increasing_under_any_clock_and_observations(
    steps: list[tuple[str, int]],
) -> None:
    clock = FakeClock(1_000_000)
    nonces = NonceSource(clock)
    handed: list[int] = []
    seen = 0
    for op, value in steps:
        if op == "tick":
            clock.now = max(0, clock.now + value)
        elif op == "observe":
            nonces.observe(value)
            seen = max(seen, value)
        else:
            nonce = nonces.next()
            assert nonce > seen
            assert not handed or nonce > handed[-1]
            assert nonce >= clock.now
            handed.append(nonce)


def test_threads_never_share_a_nonce() -> None:
    nonces = NonceSource(FakeClock(1))
    out: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [nonces.next() for _ in range(2_000)]
        with lock:
            out.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(out)) == len(out) == 8_000
