"""The three-tier cache: the entry and its Arrow codec, the Tier protocol, the read plan with its
async and blocking drivers, the manager and its parts, and the hot (Redis, memory) and warm (SQL)
tiers."""
