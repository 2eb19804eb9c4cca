"""Queue-position models: how much resting size is ahead of one of our orders.

`front` is the size ahead (size units, float); `cum` the trade size seen at the order's
price since the last depth update there. RiskAverse only moves forward on trades and on a
level shrinking below us; the probabilistic family splits a level decrease between the
part ahead of us and the part behind with `prob(front, back)`. The fill test rounds half
away from zero, as the reference engine does.

Adding a model: one constant in `layout.py`, one branch in `_prob`, one name in
`sim/models.py`.
"""

from __future__ import annotations

import math

from falconet.sim.kernel.jit import kernel
from falconet.sim.layout import Q_LOG, Q_LOG2, Q_POWER, Q_POWER2, Q_POWER3, Q_RISK_AVERSE


@kernel
def rmin(a: float, b: float) -> float:
    """min that ignores a NaN argument (IEEE minNum), unlike Python's min."""
    if a != a:
        return b
    if b != b:
        return a
    return a if a < b else b


@kernel
def _prob(model: int, n: float, front: float, back: float) -> float:
    """Share of a level decrease assumed to come from behind the order."""
    if model == Q_POWER:
        bn = math.pow(back, n)
        return bn / (bn + math.pow(front, n))
    if model == Q_POWER2:
        return math.pow(back, n) / math.pow(back + front, n)
    if model == Q_POWER3:
        return 1.0 - math.pow(front / (front + back), n)
    if model == Q_LOG:
        lb = math.log(1.0 + back)
        return lb / (lb + math.log(1.0 + front))
    if model == Q_LOG2:
        return math.log(1.0 + back) / math.log(1.0 + back + front)
    return 0.0


@kernel
def on_trade(front: float, cum: float, qty: float) -> tuple[float, float]:
    return front - qty, cum + qty


@kernel
def on_depth(
    model: int, n: float, unit: float, front: float, cum: float, prev: float, new: float
) -> tuple[float, float]:
    """Update after the level at the order's price changed from `prev` to `new`."""
    if model == Q_RISK_AVERSE:
        return rmin(front, new), cum
    chg = prev - new - cum
    if chg < 0.0:  # the level grew, net of trades: nobody ahead left
        return rmin(front, new), 0.0
    back = prev - front
    # probabilities are computed in base units, as the reference does
    p = _prob(model, n, front * unit, back * unit)
    if math.isinf(p):
        p = 1.0
    est = front - (1.0 - p) * chg + rmin(back - p * chg, 0.0)
    return rmin(est, new), 0.0


@kernel
def round_half_away(x: float) -> float:
    return math.floor(x + 0.5) if x >= 0.0 else -math.floor(-x + 0.5)


@kernel
def filled_lots(front: float, lot: float) -> float:
    """Lots the trades have eaten past our place in the queue (> 0 means we trade)."""
    return round_half_away(-front / lot)
