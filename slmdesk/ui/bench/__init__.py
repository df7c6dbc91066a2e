"""The bench pane."""
