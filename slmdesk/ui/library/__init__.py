"""The library pane."""
