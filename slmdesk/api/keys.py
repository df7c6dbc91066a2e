"""The server's API key: generated once, kept in the OS keyring (or a 0600 file), compared in constant time.

Where the key lives, in order: the OS keyring through the ``keyring`` package (macOS
Keychain, Windows Credential Locker, the Secret Service on Linux desktops) when it has a
usable backend and reads back what was written; otherwise ``<config>/api_key``, created with
mode 0600 (owner read/write only) and repaired to 0600 if found wider. A headless Linux
machine has no keyring (``keyring.get_keyring()`` is its ``fail.Keyring``, priority 0), so the
file is the common case there.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from slmdesk.core.files import write_private_text

log = logging.getLogger(__name__)

KEYRING_SERVICE = "slmdesk"
KEYRING_USERNAME = "local-api-key"
KEY_FILE_NAME = "api_key"
KEY_PREFIX = "sk-slmdesk-"
KEY_BYTES = 32
"""Random bytes per key (256 bits, ``secrets.token_urlsafe``)."""


class KeyringBackend(Protocol):
    """What is used of a ``keyring`` backend (``keyring.get_keyring()``, or a test's fake)."""

    def get_password(self, service: str, username: str) -> str | None:
        """The stored secret, None when there is none."""
        ...

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret."""
        ...


@dataclass(frozen=True)
class StoredKey:
    """An API key and where it is kept.

    Attributes:
        key: the secret (``sk-slmdesk-`` + 43 URL-safe characters).
        location: ``"keyring (<backend name>)"`` or the key file's path, for the user.
        created: True when it was generated now.
    """

    key: str
    location: str
    created: bool


def generate_key() -> str:
    """A new random key: ``sk-slmdesk-`` followed by 32 random bytes, URL-safe base64."""
    return KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


def keys_match(given: str | None, expected: str) -> bool:
    """Whether ``given`` equals ``expected``, in time independent of where they differ
    (``hmac.compare_digest`` on UTF-8 bytes), so the key cannot be guessed byte by byte."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def system_keyring() -> KeyringBackend | None:
    """The OS keyring backend, or None when ``keyring`` is not installed or has no usable
    backend (priority below 1: ``fail.Keyring``, ``null.Keyring``)."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except (KeyringError, RuntimeError) as error:
        log.info("api key: no keyring (%s)", error)
        return None
    priority = getattr(backend, "priority", 0)
    if not isinstance(priority, int | float) or priority < 1:
        return None
    chosen: KeyringBackend = backend
    return chosen


def _backend_name(backend: Any) -> str:
    return str(getattr(backend, "name", type(backend).__name__))


def _from_keyring(backend: KeyringBackend, regenerate: bool) -> StoredKey | None:
    """The key in the keyring (stored now when absent or ``regenerate``); None when the
    keyring fails or does not read back what was written."""
    where = f"keyring ({_backend_name(backend)})"
    try:
        if not regenerate:
            existing = backend.get_password(KEYRING_SERVICE, KEYRING_USERNAME)
            if existing:
                return StoredKey(existing, where, created=False)
        key = generate_key()
        backend.set_password(KEYRING_SERVICE, KEYRING_USERNAME, key)
        if backend.get_password(KEYRING_SERVICE, KEYRING_USERNAME) != key:
            log.warning("api key: the keyring %s did not keep the key; using the key file", where)
            return None
        return StoredKey(key, where, created=True)
    except Exception as error:  # noqa: BLE001 - keyring backends raise anything (D-Bus, locked stores)
        log.warning("api key: keyring %s failed (%s); using the key file", where, error)
        return None


def _from_file(path: Path, regenerate: bool) -> StoredKey:
    if not regenerate and path.is_file():
        if sys.platform != "win32":
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                log.warning("api key: %s was readable by others (mode %o); set to 0600", path, mode)
                path.chmod(0o600)
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return StoredKey(key, str(path), created=False)
    key = generate_key()
    write_private_text(path, key + "\n")
    return StoredKey(key, str(path), created=True)


def load_or_create_key(
    config_dir: Path, backend: KeyringBackend | None = None, *, use_keyring: bool = True, regenerate: bool = False
) -> StoredKey:
    """The server's API key, generated and stored on first use.

    Args:
        config_dir: slmdesk's config folder (``paths.resolve().config``); the key file goes there.
        backend: the keyring to use; None looks up the system's (:func:`system_keyring`).
        use_keyring: False skips the keyring (the key file only; tests, portable mode).
        regenerate: replace the stored key with a new one (a "new key" button).

    Raises:
        OSError: the key file cannot be read or written.
    """
    if use_keyring:
        chosen = backend if backend is not None else system_keyring()
        if chosen is not None:
            stored = _from_keyring(chosen, regenerate)
            if stored is not None:
                return stored
    return _from_file(config_dir / KEY_FILE_NAME, regenerate)
