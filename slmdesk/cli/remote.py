"""``slmdesk remote add|list|remove|test``: connections to OpenAI-compatible servers (vLLM, Ollama,
llama-server, LM Studio, another slmdesk) whose models Chat can use. Keys are read from stdin,
never from the command line, and kept in the OS keyring (or a 0600 file), never in the inventory."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from slmdesk.cli.common import fail, print_json
from slmdesk.core.errors import UserError

OFFLINE_NOTE = "Offline mode is on: only connections to this computer (127.0.0.1, localhost) are contacted."


def add_commands(subparsers: Any) -> None:
    """``remote``: add, list, remove and test remote OpenAI-compatible servers."""
    remote = subparsers.add_parser(
        "remote", help="connections to OpenAI-compatible servers (vLLM, Ollama, llama-server...) for Chat",
        description="Connections to OpenAI-compatible servers whose models Chat lists beside the local ones. "
        "The URL is kept in the inventory; the API key in the OS keyring (or a 0600 file in the config folder) "
        "and is sent to that URL only. In offline mode only servers on this computer are contacted.",
    )
    commands = remote.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    add = commands.add_parser("add", help="test a server and store the connection",
                              description="Test the server (list its models, tell its kind) and store it as NAME.")
    add.add_argument("name", metavar="NAME", help="a short name: letters, digits, '.', '_' or '-'")
    add.add_argument("url", metavar="URL", help="the API's base URL, e.g. http://gpu-box:8000/v1 (/v1 is added "
                     "when the URL has no path)")
    add.add_argument("--api-key-stdin", action="store_true",
                     help="read the API key from standard input (one line; asked for without echo on a terminal)")
    add.add_argument("--no-test", action="store_true", help="store it without contacting the server")
    add.add_argument("--json", action="store_true", help="print the result as JSON")
    add.set_defaults(handler=_cmd_add)
    listing = commands.add_parser("list", help="the connections, their kind and models (when reachable)")
    listing.add_argument("--json", action="store_true", help="print as JSON (never the keys)")
    listing.add_argument("--no-models", action="store_true", help="do not contact the servers")
    listing.set_defaults(handler=_cmd_list)
    remove = commands.add_parser("remove", help="forget a connection and its key")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--json", action="store_true", help="print the result as JSON")
    remove.set_defaults(handler=_cmd_remove)
    test = commands.add_parser("test", help="contact a server: its kind, version and models")
    test.add_argument("name", metavar="NAME")
    test.add_argument("--json", action="store_true", help="print the result as JSON")
    test.set_defaults(handler=_cmd_test)


def _read_key() -> str | None:
    """The API key from stdin: asked for without echo on a terminal, else its first line."""
    key = getpass.getpass("API key: ") if sys.stdin.isatty() else sys.stdin.readline()
    return key.strip() or None


def _probe(base_url: str, key: str | None) -> Any:
    from slmdesk.engine.remote import RemoteEngineClient, RemoteTimeouts

    client = RemoteEngineClient(base_url, key, timeouts=RemoteTimeouts(connect_s=5, request_s=10))
    return client.probe()


def _summary(info: Any) -> str:
    names = [m.id for m in info.models]
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    return f"{info.label}, {len(names)} model(s)" + (f": {shown}" if names else "")


def _info_json(info: Any) -> dict[str, Any]:
    return {"server_kind": info.kind, "server": info.label, "version": info.version or None,
            "latency_s": round(info.latency_s, 3),
            "models": [{"id": m.id, "owned_by": m.owned_by or None, "context_length": m.context_length}
                       for m in info.models]}


def _offline_note() -> None:
    from slmdesk.core import offline

    if offline.current().on:
        print(f"slmdesk: {OFFLINE_NOTE}", file=sys.stderr)


def _cmd_add(args: argparse.Namespace) -> int:
    from slmdesk.cli.common import open_inventory
    from slmdesk.engine.remote import normalize_base_url
    from slmdesk.inventory import remotes

    try:
        name = remotes.check_name(args.name)
        base_url = normalize_base_url(args.url)
        inventory = open_inventory()
    except UserError as error:
        return fail(error)
    try:
        key = _read_key() if args.api_key_stdin else None
        info = None
        if not args.no_test:
            _offline_note()
            try:
                info = _probe(base_url, key)
            except UserError as error:
                return fail(UserError(f"{error.message} Nothing was stored.",
                                      f"{error.hint} (--no-test stores it without contacting it.)".strip()))
        record = remotes.add_connection(inventory, name, base_url, info.kind if info else None, ok=info is not None)
        where = remotes.key_store().set(record.id, key) if key else None
        if args.json:
            print_json({**remotes.connection_dict(record), "key_stored": where is not None,
                        **(_info_json(info) if info else {})})
            return 0
        print(f"Added {name}: {base_url}" + (f" ({_summary(info)})" if info else " (not tested)"))
        if where:
            print(f"  API key kept in {where}")
        return 0
    except UserError as error:
        return fail(error)
    finally:
        inventory.close()


def _cmd_list(args: argparse.Namespace) -> int:
    from slmdesk.cli.common import open_inventory
    from slmdesk.core import offline
    from slmdesk.engine.remote import is_loopback, kind_label
    from slmdesk.inventory import remotes

    try:
        inventory = open_inventory()
    except UserError as error:
        return fail(error)
    try:
        records = remotes.list_connections(inventory)
        keys = remotes.key_store()
        offline_on = offline.current().on
        rows = []
        for record in records:
            row: dict[str, Any] = {**remotes.connection_dict(record), "has_key": keys.get(record.id) is not None}
            if args.no_models:
                pass
            elif offline_on and not is_loopback(record.base_url):
                row["error"] = "offline mode: not contacted"
            else:
                try:
                    info = _probe(record.base_url, keys.get(record.id))
                    remotes.mark_ok(inventory, record.id, info.kind)
                    row.update(_info_json(info))
                except UserError as error:
                    row["error"] = error.message
            rows.append(row)
        if args.json:
            print_json({"offline_mode": offline_on, "connections": rows})
            return 0
        if offline_on:
            print(OFFLINE_NOTE)
        if not rows:
            print("No remote connections. Add one with `slmdesk remote add NAME URL [--api-key-stdin]`.")
        for row in rows:
            kind = kind_label(row.get("server_kind") or "") if row.get("server_kind") else "kind unknown"
            print(f"{row['name']}  {row['base_url']}  ({kind}{', key stored' if row['has_key'] else ''})")
            if row.get("error"):
                print(f"    unreachable: {row['error']}")
            elif "models" in row:
                print("    models: " + (", ".join(m["id"] for m in row["models"]) or "none"))
        return 0
    finally:
        inventory.close()


def _cmd_remove(args: argparse.Namespace) -> int:
    from slmdesk.cli.common import open_inventory
    from slmdesk.inventory import remotes

    try:
        inventory = open_inventory()
    except UserError as error:
        return fail(error)
    try:
        record = remotes.remove_connection(inventory, args.name)
    except UserError as error:
        return fail(error)
    finally:
        inventory.close()
    if args.json:
        print_json({"removed": record.name, "base_url": record.base_url})
    else:
        print(f"Removed {record.name} ({record.base_url}) and its key.")
    return 0


def _cmd_test(args: argparse.Namespace) -> int:
    from slmdesk.cli.common import open_inventory
    from slmdesk.inventory import remotes

    try:
        inventory = open_inventory()
    except UserError as error:
        return fail(error)
    try:
        record = remotes.get_connection(inventory, args.name)
        _offline_note()
        info = _probe(record.base_url, remotes.key_store().get(record.id))
        remotes.mark_ok(inventory, record.id, info.kind)
    except UserError as error:
        return fail(error)
    finally:
        inventory.close()
    if args.json:
        print_json({"name": record.name, "base_url": record.base_url, **_info_json(info)})
    else:
        print(f"{record.name}: {record.base_url} answered in {info.latency_s * 1000:.0f} ms ({_summary(info)})")
    return 0
