"""Simulation settings: queue, latency and fee models, and how a venue behaves.

Each model is a small value object; `parse_queue("power:3")` etc. turn command-line text
into one. The compiled kernel receives their numbers through its state arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from falconet.core.errors import ErrorKind, FalconetError
from falconet.sim import layout as L


class SimConfigError(FalconetError):
    """A simulation setting that cannot be used."""


# --- queue ---------------------------------------------------------------------------------

_QUEUE_NAMES = {
    "risk-averse": L.Q_RISK_AVERSE,
    "power": L.Q_POWER,
    "power2": L.Q_POWER2,
    "power3": L.Q_POWER3,
    "log": L.Q_LOG,
    "log2": L.Q_LOG2,
}


@dataclass(frozen=True, slots=True)
class QueueModel:
    """How our place in a price level's queue moves. `power*` models take an exponent."""

    name: str = "risk-averse"
    n: float = 3.0

    @property
    def code(self) -> int:
        return _QUEUE_NAMES[self.name]

    def __str__(self) -> str:
        return f"{self.name}:{self.n:g}" if self.name.startswith("power") else self.name


def parse_queue(text: str) -> QueueModel:
    """ "risk-averse", "power:3", "power2:2", "power3:3", "log", "log2"."""
    name, _, arg = text.strip().lower().partition(":")
    name = {"riskaverse": "risk-averse", "risk_averse": "risk-averse", "ra": "risk-averse"}.get(
        name, name
    )
    if name not in _QUEUE_NAMES:
        raise SimConfigError(
            f"unknown queue model {text!r}: expected one of "
            "risk-averse, power:N, power2:N, power3:N, log, log2"
        )
    if name.startswith("power"):
        try:
            n = float(arg) if arg else 3.0
        except ValueError:
            raise SimConfigError(f"queue model {text!r}: exponent must be a number") from None
        if not n > 0:
            raise SimConfigError(f"queue model {text!r}: exponent must be > 0")
        return QueueModel(name, n)
    if arg:
        raise SimConfigError(f"queue model {name!r} takes no parameter (got {text!r})")
    return QueueModel(name)


# --- latency -------------------------------------------------------------------------------

MS = 1_000_000


@dataclass(frozen=True, slots=True)
class Latency:
    """Entry (request to venue) and response (venue to us) latency of one request kind:
    constants in ns, or a recorded table of (request ts, exchange ts, response ts) rows
    interpolated at the request time."""

    entry_ns: int = 10 * MS
    response_ns: int = 10 * MS
    table: npt.NDArray[np.int64] | None = None  # [n, 3]: request ts, entry, response

    @staticmethod
    def from_recording(path: str | Path) -> Latency:
        """Rows of (request ts, exchange ts, response ts) in ns: .npy/.npz (key `data`) or
        CSV. An exchange ts <= 0 records a rejected request."""
        p = Path(path)
        if not p.exists():
            raise SimConfigError(f"{p}: no such latency file")
        try:
            if p.suffix == ".npz":
                raw = np.load(p)["data"]
            elif p.suffix == ".npy":
                raw = np.load(p)
            else:
                raw = np.loadtxt(p, delimiter=",", dtype=np.int64, ndmin=2)
        except (OSError, ValueError, KeyError) as exc:
            raise SimConfigError(f"{p}: not a latency recording ({exc})") from None
        if raw.dtype.names:
            raw = np.stack([raw[n] for n in raw.dtype.names[:3]], axis=1)
        raw = np.asarray(raw, dtype=np.int64)
        if raw.ndim != 2 or raw.shape[1] < 3 or raw.shape[0] == 0:
            raise SimConfigError(f"{p}: expected rows of (request, exchange, response) ns")
        req, exch, resp = raw[:, 0], raw[:, 1], raw[:, 2]
        order = np.argsort(req, kind="stable")
        req, exch, resp = req[order], exch[order], resp[order]
        rejected = exch <= 0
        entry = np.where(rejected, -(resp - req), exch - req)
        response = np.where(rejected, 0, resp - exch)
        if np.any(response < 0) or np.any(entry[~rejected] < 0):
            raise SimConfigError(f"{p}: timestamps must increase within each row")
        return Latency(table=np.stack([req, entry, response], axis=1).astype(np.int64))


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """Separate latencies for placing, amending and cancelling; feed latency comes from
    the data's two timestamps."""

    place: Latency = field(default_factory=Latency)
    amend: Latency = field(default_factory=Latency)
    cancel: Latency = field(default_factory=Latency)

    @staticmethod
    def constant(entry_ms: float, response_ms: float | None = None) -> LatencyModel:
        lat = Latency(
            int(entry_ms * MS), int((entry_ms if response_ms is None else response_ms) * MS)
        )
        return LatencyModel(lat, lat, lat)

    def arrays(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        latc = np.zeros((3, 4), dtype=np.int64)
        tables: list[npt.NDArray[np.int64]] = []
        start = 0
        for kind, lat in (
            (L.LK_PLACE, self.place),
            (L.LK_AMEND, self.amend),
            (L.LK_CANCEL, self.cancel),
        ):
            latc[kind, L.LC_ENTRY] = lat.entry_ns
            latc[kind, L.LC_RESP] = lat.response_ns
            n = 0 if lat.table is None else lat.table.shape[0]
            latc[kind, L.LC_START] = start
            latc[kind, L.LC_END] = start + n
            if lat.table is not None:
                tables.append(lat.table)
            start += n
        latt = np.concatenate(tables) if tables else np.zeros((1, 3), dtype=np.int64)
        return latc, np.ascontiguousarray(latt, dtype=np.int64)


# --- fees ----------------------------------------------------------------------------------

_FEE_KINDS = {"value": L.FEE_VALUE, "qty": L.FEE_QTY, "flat": L.FEE_FLAT, "ibkr": L.FEE_IBKR}


@dataclass(frozen=True, slots=True)
class FeeModel:
    """Maker/taker rates (negative = rebate): per traded value, per unit of size, a flat
    amount per fill, or IBKR's tiered per-share commission. `base_on_buy`: buy fees are
    taken in the base asset (Hyperliquid spot)."""

    maker: float = 0.0
    taker: float = 0.0
    kind: str = "value"
    base_on_buy: bool = False

    def __post_init__(self) -> None:
        if self.kind not in _FEE_KINDS:
            raise SimConfigError(
                f"unknown fee model {self.kind!r}: expected {', '.join(_FEE_KINDS)}"
            )

    @property
    def code(self) -> int:
        return _FEE_KINDS[self.kind]


# --- venue behaviour -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VenueProfile:
    """What differs between venues in the simulator: how a crossing post-only order ends,
    whether shrinking an order keeps its place, and the venue's reject texts."""

    name: str = "generic"
    post_only_reject: bool = False  # False: expired, as the reference backtester does
    amend_keeps_priority: bool = True  # a size decrease at the same price keeps the queue spot
    reasons: dict[int, str] = field(default_factory=dict)

    def reason(self, code: int) -> str:
        return self.reasons.get(code) or DEFAULT_REASONS.get(code, "")

    @staticmethod
    def kind(code: int) -> ErrorKind:
        """The kind of a simulated refusal (the same on every venue profile)."""
        return REASON_KINDS.get(code, ErrorKind.OTHER)


DEFAULT_REASONS = {
    L.RS_POST_ONLY: "post-only order would have crossed",
    L.RS_BALANCE: "insufficient balance",
    L.RS_REDUCE_ONLY: "reduce-only order would increase the position",
    L.RS_NOT_FOUND: "order not found",
    L.RS_IOC_UNFILLED: "immediate-or-cancel order not filled",
    L.RS_FOK_UNFILLED: "fill-or-kill order could not be filled in full",
    L.RS_NO_LIQUIDITY: "no liquidity for a market order",
    L.RS_BAD_REQUEST: "invalid order request",
    L.RS_VENUE_REJECT: "rejected by the venue",
}

REASON_KINDS = {
    L.RS_POST_ONLY: ErrorKind.POST_ONLY_WOULD_CROSS,
    L.RS_BALANCE: ErrorKind.INSUFFICIENT_FUNDS,
    L.RS_REDUCE_ONLY: ErrorKind.REDUCE_ONLY,
    L.RS_NOT_FOUND: ErrorKind.UNKNOWN_ORDER,
    L.RS_IOC_UNFILLED: ErrorKind.NO_LIQUIDITY,
    L.RS_FOK_UNFILLED: ErrorKind.NO_LIQUIDITY,
    L.RS_NO_LIQUIDITY: ErrorKind.NO_LIQUIDITY,
    L.RS_BAD_REQUEST: ErrorKind.INVALID_REQUEST,
    L.RS_VENUE_REJECT: ErrorKind.VENUE_UNAVAILABLE,
}

VENUES = {
    "generic": VenueProfile(),
    "hyperliquid": VenueProfile(
        "hyperliquid",
        post_only_reject=True,
        amend_keeps_priority=False,  # modify is cancel-replace on Hyperliquid
        reasons={
            L.RS_POST_ONLY: "Post only order would have immediately matched",
            L.RS_BALANCE: "Insufficient margin to place order.",
            L.RS_REDUCE_ONLY: "Reduce only order would increase position.",
            L.RS_NOT_FOUND: "Order was never placed, already canceled, or filled.",
            L.RS_IOC_UNFILLED: "Order could not immediately match against any resting orders.",
        },
    ),
    "kraken": VenueProfile(
        "kraken",
        post_only_reject=True,
        amend_keeps_priority=True,
        reasons={
            L.RS_POST_ONLY: "EOrder:Post only order",
            L.RS_BALANCE: "EOrder:Insufficient funds",
            L.RS_NOT_FOUND: "EOrder:Unknown order",
            L.RS_REDUCE_ONLY: "EOrder:Reduce only:Non-PC",
        },
    ),
}


def venue_profile(name: str) -> VenueProfile:
    try:
        return VENUES[name]
    except KeyError:
        raise SimConfigError(
            f"unknown venue profile {name!r}: expected one of {', '.join(VENUES)}"
        ) from None


@dataclass(frozen=True, slots=True)
class SimConfig:
    queue: QueueModel = field(default_factory=QueueModel)
    latency: LatencyModel = field(default_factory=LatencyModel)
    fees: FeeModel = field(default_factory=FeeModel)
    venue: VenueProfile = field(default_factory=VenueProfile)
    partial_fills: bool = False
    # None: no balance or margin checks (the reference backtester's behaviour)
    initial_balance: float | None = None
    initial_base: float = 0.0  # base asset held at the start (spot strategies that sell first)
    leverage: float = 1.0
    contract_size: float = 1.0
    funding: npt.NDArray[np.int64] | None = None  # [n, 2]: ts ns, rate x 1e12
