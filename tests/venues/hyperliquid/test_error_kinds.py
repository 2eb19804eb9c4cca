"""Every error text and rejection status the Hyperliquid emulator can produce maps to the
right `ErrorKind`.

The texts are read out of the emulator's source (every `_err(...)`, `{"error": ...}`,
`reject(status, text)` and refusal string it returns), so a new refusal added to the
emulator fails this test until the adapter maps it and the table below says what it means.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from falconet.core.errors import ErrorKind
from falconet.emulators import hyperliquid as emulator_pkg
from falconet.venues.hyperliquid.errors import error_kind

K = ErrorKind
EMULATOR = Path(emulator_pkg.__file__).parent

# the stable start of each text (f-string parts after the first placeholder are dropped)
EXPECTED: dict[str, ErrorKind] = {
    "Invalid hyperliquidChain: expected ": K.AUTH,
    "Invalid signature": K.AUTH,
    "L1 error: User or API Wallet ": K.AUTH,
    "Vault ": K.AUTH,
    "Action expired at ": K.INVALID_REQUEST,
    "Too many cumulative requests sent (": K.RATE_LIMIT,
    "Invalid asset ": K.INVALID_REQUEST,
    "Invalid asset": K.INVALID_REQUEST,
    "Order has invalid size.": K.BAD_PRECISION,
    "Invalid cloid.": K.INVALID_REQUEST,
    "Duplicate cloid.": K.DUPLICATE,
    "Price must be divisible by tick size.": K.BAD_PRECISION,
    "Invalid TP/SL price.": K.BAD_PRECISION,
    "Order must have minimum value of 10 USDC.": K.BELOW_MINIMUM,
    "Order must have minimum value of $10.": K.BELOW_MINIMUM,
    "Reduce only order would increase position.": K.REDUCE_ONLY,
    "Post only order would have immediately matched, bbo was ": K.POST_ONLY_WOULD_CROSS,
    "Post only order would have immediately matched.": K.POST_ONLY_WOULD_CROSS,
    "Order could not immediately match against any resting orders.": K.NO_LIQUIDITY,
    "Insufficient spot balance": K.INSUFFICIENT_FUNDS,
    "Insufficient margin to place order.": K.INSUFFICIENT_FUNDS,
    "Order was never placed, already canceled, or filled. ": K.UNKNOWN_ORDER,
    "Order was never placed, already canceled, or filled. asset=": K.UNKNOWN_ORDER,
    "Order was already filled. asset=": K.UNKNOWN_ORDER,
    "Cannot modify canceled or filled order": K.UNKNOWN_ORDER,
    "Invalid leverage value. Max leverage is ": K.INVALID_REQUEST,
    "Scheduled cancel time too early, must be at least 5 seconds from now.": K.INVALID_REQUEST,
    "Invalid amount": K.INVALID_REQUEST,
    "Insufficient balance for transfer": K.INSUFFICIENT_FUNDS,
    "The emulator does not support ": K.INVALID_REQUEST,
    "Agent cannot approve agents": K.AUTH,
    "Invalid nonce: ": K.INVALID_REQUEST,
    "Invalid nonce: duplicate nonce ": K.INVALID_REQUEST,
    # rejection statuses (orderStatus, orderUpdates)
    "tickRejected": K.BAD_PRECISION,
    "badTriggerPxRejected": K.BAD_PRECISION,
    "minTradeNtlRejected": K.BELOW_MINIMUM,
    "reduceOnlyRejected": K.REDUCE_ONLY,
    "badAloPxRejected": K.POST_ONLY_WOULD_CROSS,
    "iocCancelRejected": K.NO_LIQUIDITY,
    "insufficientSpotBalanceRejected": K.INSUFFICIENT_FUNDS,
    "perpMarginRejected": K.INSUFFICIENT_FUNDS,
}


def _text(node: ast.expr) -> str | None:
    """The literal start of a string expression: a constant, an f-string's first part,
    or the left side of `"text" + tag`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left)
    return None


def _emulator_refusals() -> set[str]:
    """Every refusal text or status the emulator's modules return."""
    found: set[str] = set()
    for path in EMULATOR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                name, args = node.func.id, node.args
                if name == "_err" and args:
                    found.add(_text(args[0]) or "")
                elif name == "reject" and len(args) == 2:
                    found.update(t for t in (_text(args[0]), _text(args[1])) if t)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "error" and value:
                        found.add(_text(value) or "")
            elif isinstance(node, ast.Return) and node.value is not None:
                text = _text(node.value)
                if text and (text.startswith(("Invalid nonce", "Insufficient"))):
                    found.add(text)
            elif isinstance(node, ast.IfExp):
                for branch in (node.body, node.orelse):
                    text = _text(branch)
                    if text and text.endswith("Rejected"):
                        found.add(text)
    found.discard("")
    return found


def test_the_emulator_refusals_are_all_in_the_table() -> None:
    refusals = _emulator_refusals()
    assert len(refusals) >= 30  # the walk above really found the emulator's texts
    missing = sorted(refusals - EXPECTED.keys())
    assert missing == [], f"emulator refusals with no expected kind: {missing}"


@pytest.mark.parametrize(("text", "kind"), sorted(EXPECTED.items()))
def test_each_refusal_maps_to_its_kind(text: str, kind: ErrorKind) -> None:
    whole = text + "0x1" if text.endswith(" ") else text  # a text cut at its placeholder
    assert error_kind(whole) is kind
    if not text.endswith("Rejected"):
        # the venue appends details (" asset=3", the bbo, an address): the start decides
        assert error_kind(text + "0x1 does not exist. asset=3") is kind


def test_venue_statuses_the_emulator_does_not_produce_are_mapped_too() -> None:
    assert error_kind("marginCanceled") is K.INSUFFICIENT_FUNDS
    assert error_kind("minTradeSpotNtlRejected") is K.BELOW_MINIMUM
    assert error_kind("openInterestIncreaseRejected") is K.MARKET_CLOSED
    assert error_kind("Order price cannot be more than 80% away from the reference price") is (
        K.INVALID_REQUEST
    )


def test_an_unknown_text_falls_back_to_the_generic_rules() -> None:
    assert error_kind("something the venue never said") is K.OTHER
    assert error_kind("502 Bad Gateway") is K.VENUE_UNAVAILABLE
