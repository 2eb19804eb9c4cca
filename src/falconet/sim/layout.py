"""Array layouts shared by the compiled simulation kernel and its Python wrapper.

The kernel keeps all state in a few numpy arrays (so numba can cache it on disk and a
call from Python costs well under a microsecond). These integer constants name the
slots; numba folds them in as compile-time constants.
"""

from __future__ import annotations

NO_BID = -(2**62)  # best bid of an empty side
NO_ASK = 2**62  # best ask of an empty side
MAX_TS = 2**63 - 1

# --- event kinds of the canonical format ---------------------------------------------------
K_DEPTH = 1
K_TRADE = 2
K_CLEAR = 3
K_SNAPSHOT = 4
K_BBO = 5

# --- scalar state S (int64) -----------------------------------------------------------------
S_NOW = 0  # current local time (ns)
S_XROW = 1  # next row for the exchange view
S_LROW = 2  # next row (position in the local order) for the local view
S_NROWS = 3
S_BASE = 4  # tick of book index 0
S_NLEV = 5  # book array length
# best ticks and the index range ever written, per view and side (bounds scans and clears)
S_XBB = 6
S_XBA = 7
S_LBB = 8
S_LBA = 9
S_XBLO = 10
S_XBHI = 11
S_XALO = 12
S_XAHI = 13
S_LBLO = 14
S_LBHI = 15
S_LALO = 16
S_LAHI = 17
S_NEXT_ID = 18  # next order id
S_REQ_HEAD = 19  # request queue (local -> exchange)
S_REQ_TAIL = 20
S_RSP_HEAD = 21  # response queue (exchange -> local)
S_RSP_TAIL = 22
S_NFREE = 23  # free order slots on the stack
S_NACT = 24  # slots in use (listed in IX[0])
S_NCMD = 25  # commands written by Python, not yet executed
S_NEV = 26  # order events logged
S_NREC = 27  # recorder rows
S_XPOS = 28  # exchange-side position (size units)
S_LPOS = 29  # local-side position (size units)
S_SUBMITS = 30
S_CANCELS = 31
S_AMENDS = 32
S_FILLS = 33  # fills applied on the local side
S_STEPS = 34
S_QUEUE = 35  # queue model code
S_PARTIAL = 36  # 1: partial-fill exchange
S_LOT = 37  # lot in size units
S_POST_ONLY_REJECT = 38  # 1: a crossing post-only order is rejected (else expired)
S_AMEND_KEEPS_PRIORITY = 39  # 1: a size decrease at the same price keeps queue position
S_FEE_MODEL = 40
S_FEE_BASE_ON_BUY = 41  # 1: buy fees are charged in the base asset (Hyperliquid spot)
S_CHECK_BALANCE = 42  # 1: balance / margin checks at order arrival
S_IS_SPOT = 43
S_FUND_ROW = 44  # next funding row
S_WAKE = 45  # why advance returned
S_USE_BBO = 46  # 1: BBO rows drive the book (data without depth rows)
S_BOOK_CHANGED = 47  # local book changed since the last wake-up
S_TRADED = 48  # local trade seen since the last wake-up
S_NTR = 49  # local trades written to the trade ring (total)
S_XBUY_N = 50  # exchange-side resting buys, and their lowest and highest ticks
S_XBUY_LO = 51
S_XBUY_HI = 52
S_XSELL_N = 53
S_XSELL_LO = 54
S_XSELL_HI = 55
S_LAT_SEED = 56
S_ERRORS = 57  # requests refused locally (unknown id, request already in flight)
S_REJECTS = 58
S_WAKE_DEPTH = 59  # a book wake-up also for changes within the top N levels (<= 1: the top)
S_SIZE = 64

# --- scalar state F (float64) ---------------------------------------------------------------
F_TICK = 0  # tick size in quote currency
F_UNIT = 1  # size unit (10**-size_decimals) in base currency
F_PROB_N = 2  # exponent of the power queue models
F_MAKER = 3  # maker fee rate (negative = rebate)
F_TAKER = 4
F_XBAL = 5  # exchange-side quote balance
F_XFEE = 6
F_LBAL = 7  # local-side quote balance
F_LFEE = 8  # cumulative fees in quote currency (negative = rebates)
F_LVOL = 9  # traded size (base)
F_LVAL = 10  # traded value (quote)
F_LNTRADES = 11
F_XPOSF = 12  # exchange-side position in base units (float, after base fees)
F_LPOSF = 13  # local-side position in base units (float, after base fees)
F_LEVERAGE = 14
F_INIT_BAL = 15
F_LFEE_BASE = 16  # fees paid in base currency
F_CONTRACT = 17  # contract size (linear)
F_FUNDING = 18  # cumulative funding paid (+) / received (-)
F_XFUNDING = 19
F_INIT_BASE = 20  # base asset held at the start (spot)
F_SIZE = 21

# --- orders O (int64 [cap, O_NF]) -----------------------------------------------------------
O_ID = 0  # 0: free slot
O_SIDE = 1  # +1 buy, -1 sell
O_TIF = 2
O_TYPE = 3
O_REDUCE = 4
O_STRAT = 5
O_INTENT = 6
O_LEVEL = 7
O_REFS = 8  # messages in flight that refer to this slot
# local view (what the strategy sees)
O_LTICK = 9
O_LQTY = 10
O_LSTATUS = 11
O_LREQ = 12
O_LLEAVES = 13
O_LEXEC = 14  # cumulative filled, as seen locally
O_LTS = 15  # local time of the last request
O_LALIVE = 16  # 1 while the local side still tracks the order
# exchange view
O_XTICK = 17
O_XQTY = 18
O_XSTATUS = 19
O_XLEAVES = 20
O_XEXEC = 21
O_XALIVE = 22  # 1 while resting at the exchange
O_XTS = 23  # exchange time of the last change
O_CREATED = 24  # local time the order was created
O_XNEXT = 25  # next / previous resting order at the same price (exchange view), -1 = none
O_XPREV = 26
O_LACK = 27  # local time the acceptance arrived (0: not yet)
O_LUPD = 28  # local time of the last response applied
O_NF = 29

# float per-order state OF (float64 [cap, 2])
OF_FRONT = 0  # queue quantity ahead of the order (size units)
OF_CUM = 1  # trade quantity at the order's price since the last depth update

# order statuses (local and exchange view)
ST_PENDING = 0
ST_NEW = 1
ST_EXPIRED = 2
ST_FILLED = 3
ST_CANCELED = 4
ST_PARTIAL = 5
ST_REJECTED = 6

# pending requests
R_NONE = 0
R_NEW = 1
R_CANCEL = 2
R_AMEND = 3

# time in force / order type
TIF_GTC = 0
TIF_POST_ONLY = 1
TIF_IOC = 2
TIF_FOK = 3
TYPE_LIMIT = 0
TYPE_MARKET = 1

# --- message queues M (int64 [cap, M_NF]) ----------------------------------------------------
M_TS = 0
M_SLOT = 1
M_KIND = 2  # request: R_*; response: E_*
M_TICK = 3
M_QTY = 4
M_EXEC_TICK = 5
M_EXEC_QTY = 6
M_LEAVES = 7
M_MAKER = 8
M_REASON = 9
M_XTS = 10  # exchange time of the event
M_LTS = 11  # local time of the request it answers
M_STATUS = 12
M_NF = 13

# float payload of responses MF (float64 [cap, 2])
MF_FEE = 0  # fee in quote currency
MF_FEE_BASE = 1  # fee in base currency

# --- books B (int64 [6, levels]) -------------------------------------------------------------
B_XBID = 0  # exchange view, size per tick
B_XASK = 1
B_LBID = 2  # local view
B_LASK = 3
B_XBUYS = 4  # first of our resting buys at each tick (-1: none), chained through O_XNEXT
B_XSELLS = 5
B_ROWS = 6

# --- order events E: the local view's log, one row per response ---------------------------
E_ACCEPTED = 1
E_REJECTED = 2
E_EXPIRED = 3
E_CANCELED = 4
E_CANCEL_REJECTED = 5
E_FILL = 6
E_AMENDED = 7
E_AMEND_REJECTED = 8
E_SENT = 9  # the strategy sent a new order (logged at local time; price and size of the order)

EV_TS = 0  # local receive time
EV_XTS = 1  # exchange time
EV_SLOT = 2
EV_ID = 3
EV_KIND = 4
EV_SIDE = 5
EV_TICK = 6  # order price tick (exec tick for fills)
EV_QTY = 7  # fill size for fills, order size otherwise
EV_LEAVES = 8
EV_MAKER = 9
EV_REASON = 10
EV_INTENT = 11
EV_LEVEL = 12
EV_NF = 13
EVF_FEE = 0
EVF_FEE_BASE = 1

# reject reasons (rendered per venue by the Python side)
RS_NONE = 0
RS_POST_ONLY = 1
RS_BALANCE = 2
RS_REDUCE_ONLY = 3
RS_NOT_FOUND = 4  # cancel/amend of an order the venue no longer has
RS_IOC_UNFILLED = 5
RS_FOK_UNFILLED = 6
RS_NO_LIQUIDITY = 7
RS_BAD_REQUEST = 8
RS_VENUE_REJECT = 9  # rejected by the recorded latency profile (rate limit, outage)

# --- recorder R (int64) and RF (float64), one row per wake-up --------------------------------
R_TS = 0
R_BID = 1
R_ASK = 2
R_POS = 3
R_NF = 4
RF_POS = 0
RF_BAL = 1
RF_FEE = 2
RF_VOL = 3
RF_VAL = 4
RF_NTRADES = 5
RF_FUNDING = 6
RF_NF = 7

# --- commands CMD (int64 stream) from Python ------------------------------------------------
# Records: op, then its fields. S_NCMD is the number of int64 words written.
OP_SUBMIT = 1  # id, side, tick, qty, tif, type, reduce_only, strategy, intent, level
OP_CANCEL = 2  # id
OP_AMEND = 3  # id, tick, qty
OP_CANCEL_ALL = 4  # strategy
OP_QUOTES = 5  # strategy, tif, replace, bid intent, ask intent, nb, na, (tick, qty) x (nb + na)
SUBMIT_WORDS = 11
QUOTES_HEADER = 8

# --- latency table LATC (int64 [3, 4]): per request kind, constants or a table range ----------
LK_PLACE = 0
LK_AMEND = 1
LK_CANCEL = 2
LC_ENTRY = 0  # constant entry latency (ns)
LC_RESP = 1  # constant response latency (ns)
LC_START = 2  # rows [start, end) of LATT interpolate this kind; start == end: constants
LC_END = 3
# LATT (int64 [n, 3]): request time, entry latency, response latency; entry < 0: rejected

# --- trade ring TR (int64 [cap, 4]): the local view's recent trades ------------------------------
TR_TS = 0
TR_SIDE = 1
TR_TICK = 2
TR_QTY = 3

# --- wake reasons (advance return codes) -----------------------------------------------------
W_TIME = 0
W_END = 1
W_BOOK = 2
W_TRADE = 3
W_FULL = 4  # an output buffer is full: grow it and call again

# --- queue models ------------------------------------------------------------------------
Q_RISK_AVERSE = 0
Q_POWER = 1
Q_POWER2 = 2
Q_POWER3 = 3
Q_LOG = 4
Q_LOG2 = 5

# --- fee models ----------------------------------------------------------------------------
FEE_VALUE = 0  # rate x traded value
FEE_QTY = 1  # rate x traded size
FEE_FLAT = 2  # fixed amount per fill
FEE_IBKR = 3  # IBKR tiered per share: max(0.35, min(0.0035 x shares, 1% of value))
