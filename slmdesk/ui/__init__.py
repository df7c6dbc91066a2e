"""Qt widgets and item models, one package per pane."""
