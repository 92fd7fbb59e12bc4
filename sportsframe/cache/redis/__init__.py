"""The Redis hot tier: key layout, the async tier and the blocking reader."""
