"""Ingest: exports in, canonical tables out (read, map, normalise, validate, write)."""
