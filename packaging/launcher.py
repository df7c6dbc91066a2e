"""The frozen app's entry point (PyInstaller runs this file as ``__main__``)."""

from slmdesk.__main__ import console_main

console_main()
