"""slmdesk: find, fit, download, quantize, chat with and benchmark small language models locally."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("slmdesk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
