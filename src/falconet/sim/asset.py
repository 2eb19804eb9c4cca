"""One instrument in the simulator: the kernel's arrays and a Python face for them.

`SimAsset` owns the replayed data, both views of the book, the order table and the
output logs. `advance(until)` runs the compiled loop; the methods below read the local
(strategy) view and queue requests, which take effect at the next `advance`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from falconet.core.enums import Side
from falconet.core.instrument import Instrument
from falconet.data.format import EventTable
from falconet.sim import layout as L
from falconet.sim.data import SimData
from falconet.sim.kernel.loop import advance
from falconet.sim.models import SimConfig

# The kernel's entry point; its array arguments are bound once in `_bind`.
_advance = cast(Callable[..., int], advance)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

TIF_CODES = {"gtc": L.TIF_GTC, "post_only": L.TIF_POST_ONLY, "ioc": L.TIF_IOC, "fok": L.TIF_FOK}


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as the strategy sees it (local view)."""

    order_id: int
    side: Side
    price: int  # price units
    quantity: int  # size units
    leaves: int
    filled: int
    status: int  # layout.ST_*
    pending: int  # layout.R_*: a request in flight
    intent: int
    level: int
    created_ns: int = 0  # local times: sent, accepted, last response
    acknowledged_ns: int = 0
    updated_ns: int = 0

    @property
    def live(self) -> bool:
        return self.status in (L.ST_NEW, L.ST_PARTIAL) and self.pending == L.R_NONE


class SimAsset:
    def __init__(
        self,
        market: EventTable | SimData,
        config: SimConfig,
        *,
        strategy_code: int = 0,
        order_capacity: int = 256,
    ) -> None:
        data = market if isinstance(market, SimData) else SimData.from_table(market)
        self.data = data
        self.instrument: Instrument = data.instrument
        self.config = config
        self.strategy_code = strategy_code
        inst = self.instrument
        self.tick_units = data.tick_units
        n = data.rows
        base, nlev = data.base, data.levels
        self.B: I64 = np.zeros((L.B_ROWS, nlev), dtype=np.int64)
        self.B[L.B_XBUYS] = -1
        self.B[L.B_XSELLS] = -1
        self.S: I64 = np.zeros(L.S_SIZE, dtype=np.int64)
        self.F: F64 = np.zeros(L.F_SIZE, dtype=np.float64)
        S, F = self.S, self.F
        S[L.S_NROWS] = n
        S[L.S_BASE] = base
        S[L.S_NLEV] = nlev
        S[L.S_XBB] = S[L.S_LBB] = L.NO_BID
        S[L.S_XBA] = S[L.S_LBA] = L.NO_ASK
        for lo_slot, hi_slot in (
            (L.S_XBLO, L.S_XBHI),
            (L.S_XALO, L.S_XAHI),
            (L.S_LBLO, L.S_LBHI),
            (L.S_LALO, L.S_LAHI),
        ):
            S[lo_slot], S[hi_slot] = nlev, -1
        S[L.S_NEXT_ID] = 1
        S[L.S_XBUY_LO] = S[L.S_XSELL_LO] = 2**62
        S[L.S_XBUY_HI] = S[L.S_XSELL_HI] = -(2**62)
        S[L.S_QUEUE] = config.queue.code
        S[L.S_PARTIAL] = int(config.partial_fills)
        S[L.S_LOT] = inst.lot
        S[L.S_POST_ONLY_REJECT] = int(config.venue.post_only_reject)
        S[L.S_AMEND_KEEPS_PRIORITY] = int(config.venue.amend_keeps_priority)
        S[L.S_FEE_MODEL] = config.fees.code
        S[L.S_FEE_BASE_ON_BUY] = int(config.fees.base_on_buy)
        S[L.S_CHECK_BALANCE] = int(config.initial_balance is not None)
        S[L.S_IS_SPOT] = int(inst.kind.value == "spot")
        S[L.S_USE_BBO] = int(not data.has_depth)
        F[L.F_TICK] = self.tick_units / 10**inst.price_decimals
        F[L.F_UNIT] = 1.0 / 10**inst.size_decimals
        F[L.F_PROB_N] = config.queue.n
        F[L.F_MAKER] = config.fees.maker
        F[L.F_TAKER] = config.fees.taker
        F[L.F_LEVERAGE] = config.leverage
        F[L.F_INIT_BAL] = config.initial_balance or 0.0
        F[L.F_INIT_BASE] = config.initial_base
        F[L.F_CONTRACT] = config.contract_size
        self.LATC, self.LATT = config.latency.arrays()
        self.FUND: I64 = (
            np.zeros((0, 2), dtype=np.int64)
            if config.funding is None
            else np.ascontiguousarray(config.funding, dtype=np.int64)
        )
        self.TR: I64 = np.zeros((4096, 4), dtype=np.int64)
        self._alloc_orders(order_capacity)
        self.Q: I64 = np.zeros((2, 4096, L.M_NF), dtype=np.int64)
        self.QF: F64 = np.zeros((2, 4096, 2), dtype=np.float64)
        self.EV: I64 = np.zeros((1 << 16, L.EV_NF), dtype=np.int64)
        self.EVF: F64 = np.zeros((1 << 16, 2), dtype=np.float64)
        self.REC: I64 = np.zeros((1 << 15, L.R_NF), dtype=np.int64)
        self.RECF: F64 = np.zeros((1 << 15, L.RF_NF), dtype=np.float64)
        self.CMD: I64 = np.zeros(4096, dtype=np.int64)
        self._pending: list[int] = []  # command words written since the last advance
        self._args: tuple[Any, ...] = ()
        self._bind()
        self.start_ts = data.start_ts
        S[L.S_NOW] = self.start_ts
        self.ended = n == 0

    # --- capacity ---------------------------------------------------------------------

    def _alloc_orders(self, cap: int) -> None:
        self.O: I64 = np.zeros((cap, L.O_NF), dtype=np.int64)
        self.OF: F64 = np.zeros((cap, 2), dtype=np.float64)
        self.IX: I64 = np.zeros((3, cap), dtype=np.int64)
        self.IX[1] = np.arange(cap - 1, -1, -1)  # free stack: slot 0 on top
        self.S[L.S_NFREE] = cap
        self.S[L.S_NACT] = 0

    def _grow_orders(self) -> None:
        old = self.O.shape[0]
        cap = old * 2
        O = np.zeros((cap, L.O_NF), dtype=np.int64)
        OF = np.zeros((cap, 2), dtype=np.float64)
        IX = np.zeros((3, cap), dtype=np.int64)
        O[:old], OF[:old] = self.O, self.OF
        nact, nfree = int(self.S[L.S_NACT]), int(self.S[L.S_NFREE])
        IX[0, :nact] = self.IX[0, :nact]
        IX[2, :old] = self.IX[2]
        # new slots go under the existing free ones, highest first
        new_free = np.arange(cap - 1, old - 1, -1)
        IX[1, : new_free.size] = new_free
        IX[1, new_free.size : new_free.size + nfree] = self.IX[1, :nfree]
        self.O, self.OF, self.IX = O, OF, IX
        self.S[L.S_NFREE] = nfree + new_free.size

    @staticmethod
    def _double_cols(a: Any) -> Any:
        out = np.zeros((a.shape[0], a.shape[1] * 2, *a.shape[2:]), dtype=a.dtype)
        out[:, : a.shape[1]] = a
        return out

    @staticmethod
    def _double_rows(a: Any) -> Any:
        out = np.zeros((a.shape[0] * 2, *a.shape[1:]), dtype=a.dtype)
        out[: a.shape[0]] = a
        return out

    def _grow_outputs(self) -> None:
        """Double whichever output buffer the kernel found too full (it stopped cleanly
        before the event that could overflow it)."""
        s = self.S
        margin = self.O.shape[0] + 16
        while s[L.S_NEV] + margin >= self.EV.shape[0]:
            self.EV = self._double_rows(self.EV)
            self.EVF = self._double_rows(self.EVF)
        if s[L.S_NREC] + 2 >= self.REC.shape[0]:
            self.REC = self._double_rows(self.REC)
            self.RECF = self._double_rows(self.RECF)
        pending = max(s[L.S_REQ_TAIL] - s[L.S_REQ_HEAD], s[L.S_RSP_TAIL] - s[L.S_RSP_HEAD])
        if pending + margin >= self.Q.shape[1]:
            # indices stay valid: both queues keep their rows where they are
            self.Q = self._double_cols(self.Q)
            self.QF = self._double_cols(self.QF)

    # --- running ----------------------------------------------------------------------

    def _bind(self) -> None:
        """The kernel's array arguments, rebuilt whenever an array is reallocated."""
        self._args = (
            self.S, self.F, *self.data.columns(), self.B, self.O, self.OF, self.IX, self.Q, self.QF,
            self.EV, self.EVF, self.REC, self.RECF, self.CMD, self.LATC, self.LATT,
            self.FUND, self.TR,
        )  # fmt: skip

    def _flush_commands(self) -> None:
        words = len(self._pending)
        # room for every order the commands can create, and for logging it
        while self.S[L.S_NFREE] < words // 2 + 8:
            self._grow_orders()
            self._bind()
        while self.S[L.S_NEV] + words + self.O.shape[0] + 16 >= self.EV.shape[0]:
            self.EV = self._double_rows(self.EV)
            self.EVF = self._double_rows(self.EVF)
            self._bind()
        if words > self.CMD.shape[0]:
            self.CMD = np.zeros(words * 2, dtype=np.int64)
            self._bind()
        self.CMD[:words] = self._pending
        self.S[L.S_NCMD] = words
        self._pending.clear()

    def advance(self, until: int, wake: int = 0, record: bool = True) -> int:
        """Run to `until` (ns, local time) or the first wake-up; returns the layout.W_* code."""
        if self._pending:
            self._flush_commands()
        while True:
            code: int = _advance(*self._args, until, wake, record)
            if code != L.W_FULL:
                if code == L.W_END:
                    self.ended = True
                return code
            self._grow_outputs()
            self._bind()

    # --- local view -------------------------------------------------------------------

    @property
    def now(self) -> int:
        return int(self.S[L.S_NOW])

    def best_bid(self) -> int | None:
        t = int(self.S[L.S_LBB])
        return None if t == L.NO_BID else t * self.tick_units

    def best_ask(self) -> int | None:
        t = int(self.S[L.S_LBA])
        return None if t == L.NO_ASK else t * self.tick_units

    def level(self, side: Side, price: int) -> int:
        i = price // self.tick_units - int(self.S[L.S_BASE])
        if i < 0 or i >= self.B.shape[1]:
            return 0
        return int(self.B[2 if side is Side.BUY else 3, i])

    def levels(self, side: Side, n: int) -> list[tuple[int, int]]:
        """Top `n` levels of the local book, best first, in price and size units."""
        best = int(self.S[L.S_LBB] if side is Side.BUY else self.S[L.S_LBA])
        if best in (L.NO_BID, L.NO_ASK):
            return []
        row = self.B[2 if side is Side.BUY else 3]
        base = int(self.S[L.S_BASE])
        i = best - base
        step = -1 if side is Side.BUY else 1
        out: list[tuple[int, int]] = []
        while 0 <= i < row.shape[0] and len(out) < n:
            if row[i] > 0:
                out.append(((i + base) * self.tick_units, int(row[i])))
            i += step
            if (step < 0 and i < self.S[L.S_LBLO]) or (step > 0 and i > self.S[L.S_LAHI]):
                break
        return out

    @property
    def position(self) -> int:
        """Signed position in size units, as the strategy knows it."""
        return int(self.S[L.S_LPOS])

    def open_orders(self) -> list[OrderView]:
        O, IX = self.O, self.IX
        out = []
        for k in range(int(self.S[L.S_NACT])):
            slot = int(IX[0, k])
            if not O[slot, L.O_LALIVE] or O[slot, L.O_STRAT] != self.strategy_code:
                continue
            row = O[slot].tolist()
            out.append(
                OrderView(
                    order_id=row[L.O_ID],
                    side=Side.BUY if row[L.O_SIDE] > 0 else Side.SELL,
                    price=row[L.O_LTICK] * self.tick_units,
                    quantity=row[L.O_LQTY],
                    leaves=row[L.O_LLEAVES],
                    filled=row[L.O_LEXEC],
                    status=row[L.O_LSTATUS],
                    pending=row[L.O_LREQ],
                    intent=row[L.O_INTENT],
                    level=row[L.O_LEVEL],
                    created_ns=row[L.O_CREATED],
                    acknowledged_ns=row[L.O_LACK],
                    updated_ns=row[L.O_LUPD] or row[L.O_CREATED],
                )
            )
        out.sort(key=lambda o: o.order_id)
        return out

    def request_ok(self, order_id: int) -> bool:
        """Whether a cancel or amend of this order would be taken now: the local view
        knows it as live and no request of it is in flight (else the kernel drops it)."""
        O, IX = self.O, self.IX
        for k in range(int(self.S[L.S_NACT])):
            slot = int(IX[0, k])
            if O[slot, L.O_ID] == order_id:
                return bool(
                    O[slot, L.O_LALIVE] == 1
                    and O[slot, L.O_LSTATUS] in (L.ST_NEW, L.ST_PARTIAL)
                    and O[slot, L.O_LREQ] == L.R_NONE
                )
        return False

    # --- requests (take effect at the next advance) ------------------------------------

    def submit(
        self,
        side: int,
        price: int,
        qty: int,
        *,
        tif: int = L.TIF_GTC,
        order_type: int = L.TYPE_LIMIT,
        reduce_only: bool = False,
        intent: int = 0,
        level: int = 0,
    ) -> int:
        """Queue a new order; returns its id. `side` is +1 buy / -1 sell."""
        order_id = int(self.S[L.S_NEXT_ID])
        self.S[L.S_NEXT_ID] = order_id + 1
        self._pending.extend(
            (L.OP_SUBMIT, order_id, side, price // self.tick_units, qty, tif, order_type,
             int(reduce_only), self.strategy_code, intent, level)
        )  # fmt: skip
        return order_id

    def cancel(self, order_id: int) -> None:
        self._pending.extend((L.OP_CANCEL, order_id))

    def amend(self, order_id: int, price: int, qty: int) -> None:
        self._pending.extend((L.OP_AMEND, order_id, price // self.tick_units, qty))

    def cancel_all(self) -> None:
        self._pending.extend((L.OP_CANCEL_ALL, self.strategy_code))

    def quotes(
        self,
        bids: Sequence[tuple[int, int]],
        asks: Sequence[tuple[int, int]],
        *,
        tif: int = L.TIF_POST_ONLY,
        replace: bool = False,
        intent_bid: int = 0,
        intent_ask: int = 0,
    ) -> None:
        """Make the resting orders equal these (price, qty) quotes (see the kernel's
        `_quotes` for the rules)."""
        ext = self._pending.extend
        ext((L.OP_QUOTES, self.strategy_code, tif, int(replace), intent_bid, intent_ask,
             len(bids), len(asks)))  # fmt: skip
        tu = self.tick_units
        if tu == 1:
            ext(chain.from_iterable(bids))
            ext(chain.from_iterable(asks))
        else:
            ext(x for p, q in bids for x in (p // tu, q))
            ext(x for p, q in asks for x in (p // tu, q))

    # --- results ------------------------------------------------------------------------

    def events(self) -> tuple[I64, F64]:
        n = int(self.S[L.S_NEV])
        return self.EV[:n], self.EVF[:n]

    def records(self) -> tuple[I64, F64]:
        n = int(self.S[L.S_NREC])
        return self.REC[:n], self.RECF[:n]

    def counters(self) -> dict[str, int]:
        S = self.S
        return {
            "submits": int(S[L.S_SUBMITS]),
            "cancels": int(S[L.S_CANCELS]),
            "amends": int(S[L.S_AMENDS]),
            "fills": int(S[L.S_FILLS]),
            "rejects": int(S[L.S_REJECTS]),
            "errors": int(S[L.S_ERRORS]),
        }
