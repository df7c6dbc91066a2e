"""Small reusable widgets shared by several panes."""
