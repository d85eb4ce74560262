"""Seula's database: SQLite by default, PostgreSQL in production, one code path for both."""

from bot.store.store import ChannelSyncState, Store, StoreError, StoreStats, async_database_url

__all__ = ["ChannelSyncState", "Store", "StoreError", "StoreStats", "async_database_url"]
