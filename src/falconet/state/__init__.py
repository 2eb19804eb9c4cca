"""Persistence: the strategy state store, the trade journal and where their files live.

    base = data_dir()                               # FALCONET_DATA_DIR, else ./var/falconet
    store = StateStore(state_path(base))            # per-key strategy state (JSON)
    journal = Journal(journal_path(base))           # orders, fills, events (SQLite)

See docs/state.md for formats and guarantees.
"""

from falconet.state.journal import Journal
from falconet.state.journal_queries import FillRow, JournalReader, OrderRow, Watermark
from falconet.state.journal_schema import JournalError
from falconet.state.keys import legacy_key_map, state_key
from falconet.state.paths import (
    data_dir,
    data_dir_from_settings,
    journal_path,
    legacy_state_path,
    state_path,
)
from falconet.state.pnl import AssetPnl, PnlFill, realized_pnl
from falconet.state.store import StateStore, StateStoreClosedError

__all__ = [
    "AssetPnl",
    "FillRow",
    "Journal",
    "JournalError",
    "JournalReader",
    "OrderRow",
    "PnlFill",
    "StateStore",
    "StateStoreClosedError",
    "Watermark",
    "data_dir",
    "data_dir_from_settings",
    "journal_path",
    "legacy_key_map",
    "legacy_state_path",
    "realized_pnl",
    "state_key",
    "state_path",
]
