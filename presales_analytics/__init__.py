"""presales-analytics."""
