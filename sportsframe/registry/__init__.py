"""The endpoint registry: parameters, endpoints and their keys, paths and invalidation globs,
the NFL rows, the datasets built on them, and the TTL policy."""
