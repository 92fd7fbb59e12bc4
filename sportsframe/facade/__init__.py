"""The facade: sessions, argument planning, assembly of parts into frames, the L0 frame cache
and the warming helpers."""
