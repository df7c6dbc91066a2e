"""The catalog pane."""
