"""The SQL warm tier: the cache_entries schema, the async tier, its maintenance and reports, and the
point-read pools behind the blocking reader."""
