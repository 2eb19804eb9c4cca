"""The grid's timings, in nanoseconds of event time (dio's values)."""

from __future__ import annotations

NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000

PENDING_TTL_NS = 5 * NS_PER_S  # an unacknowledged placement is forgotten after this
PENDING_CAP = 50
AMEND_COOLDOWN_IN_PLACE_NS = 2 * NS_PER_S
AMEND_COOLDOWN_REPLACE_NS = 10 * NS_PER_S
AMEND_COOLDOWN_RATE_LIMIT_NS = 10 * NS_PER_S
AMEND_COOLDOWN_ORDER_GONE_NS = NS_PER_S // 2
AMEND_COOLDOWN_OTHER_NS = 2 * NS_PER_S
ADOPT_GRACE_NS = 5 * NS_PER_S  # no adoption of a buy this soon after its amend cooldown
COOLDOWN_TABLE_CAP = 100
BUY_COOLDOWN_RATE_LIMIT_NS = 10 * NS_PER_S
BUY_COOLDOWN_OTHER_NS = 2 * NS_PER_S
FORCED_BUY_EVERY_NS = 2 * NS_PER_S  # unfunded-looking buys: one attempt per 2 s
GHOST_ABSENT_NS = 10 * NS_PER_S
GHOST_QUIET_NS = 3 * NS_PER_S  # ... and only this long after our last request
RECENT_SELL_TTL_NS = 10 * NS_PER_S
RECENT_SELL_CAP = 20
EVICT_NS = 24 * 3600 * NS_PER_S
EVICT_CAP = 1000
RESUBMIT_BACKOFF_NS = 2 * NS_PER_S  # after a refused re-submission of an expired sell
RESUBMIT_MAX_REFUSALS = 5  # ... and it is dropped after this many refusals
SELL_KEY_TTL_NS = 60 * NS_PER_S  # one sell per buy fill; a stuck key expires after this
TIMER_MS = 1000
