"""The staff panel: the entry point to every staff flow."""
