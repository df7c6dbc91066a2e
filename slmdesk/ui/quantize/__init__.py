"""The quantize pane."""
