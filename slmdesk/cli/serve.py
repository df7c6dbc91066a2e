"""``slmdesk serve``: the local OpenAI-compatible server (``/v1/chat/completions``, ``/v1/completions``...) in
the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from typing import Any

from slmdesk.cli.common import fail
from slmdesk.core.errors import UserError


def add_commands(subparsers: Any) -> None:
    """``serve``: serve the inventory's models over an OpenAI-compatible HTTP API."""
    from slmdesk.api import DEFAULT_HOST, DEFAULT_PORT

    serve = subparsers.add_parser(
        "serve",
        help="serve models over an OpenAI-compatible API (http://127.0.0.1:8765/v1)",
        description="Serve the inventory's models (or those named with --model) over an OpenAI-compatible "
        "HTTP API: /v1/models, /v1/chat/completions and /v1/completions (streamed or not; JSON mode), "
        "/v1/embeddings. Each model loads "
        "with its load plan, in an engine process like Chat's. Only this machine can connect unless --host says "
        "otherwise; clients send the API key as 'Authorization: Bearer KEY' (generated on first use and kept in the OS "
        "keyring, or in the config folder with 0600 permissions). Stop with Ctrl-C.",
    )
    serve.add_argument("--host", default=DEFAULT_HOST,
                       help=f"address to listen on (default {DEFAULT_HOST}: this machine only; another address "
                       "reaches the network and needs the key)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"TCP port (default {DEFAULT_PORT}; 0 = any free port)")
    key = serve.add_mutually_exclusive_group()
    key.add_argument("--api-key", metavar="KEY", default=None,
                     help="the key clients must send (default: the stored key, generated on first use)")
    key.add_argument("--no-api-key", action="store_true",
                     help="serve without a key (loopback addresses only)")
    serve.add_argument("--model", metavar="ID|PATH", action="append", default=[],
                       help="serve only this model (an inventory id or a GGUF file / ONNX GenAI folder); repeat "
                       "for several; the first is loaded at start. Default: every loadable inventory model")
    serve.add_argument("--max-models", "--max-loaded", dest="max_loaded", type=int, default=None, metavar="N",
                       help="models loaded at once, one engine process each; a request for another model loads "
                       "it, evicting the least recently used idle one at the limit (default: Settings' "
                       "api_max_loaded_models, 1: the one engine swaps models)")
    serve.add_argument("--queue", type=int, default=16, metavar="N",
                       help="requests that may wait per engine; more get 503 with Retry-After (default 16)")
    serve.add_argument("--cors-origin", metavar="ORIGIN", action="append", default=[],
                       help="allow this web origin (http://localhost:3000, or *) to call the API from a browser; "
                       "repeat for several (default: none)")
    serve.add_argument("--ctx", type=int, default=None,
                       help="context length in tokens for every model (default: each model's load plan)")
    serve.add_argument("--threads", type=int, default=None,
                       help="generation threads (default: the load plan's, else Settings', else the physical cores)")
    serve.set_defaults(handler=_cmd_serve)


def _gpu_layers(model: Any, plan: Any) -> int | None:
    from slmdesk.cli.common import estimated_gpu_layers

    return estimated_gpu_layers(model.path, plan)


def _cmd_serve(args: argparse.Namespace) -> int:
    from slmdesk import paths
    from slmdesk.api.server import ApiServer, ServerConfig, served_summary
    from slmdesk.cli.common import open_inventory
    from slmdesk.core.settings import load_settings
    from slmdesk.inventory.load_plans import LoadPlanStore

    _log_to_stderr()
    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly (engines closed) when asked to terminate
    app_paths = paths.resolve().ensure()
    try:
        user_settings = load_settings(app_paths.settings_file)
        max_loaded = args.max_loaded if args.max_loaded is not None else user_settings.api_max_loaded_models
        config = ServerConfig(
            host=args.host, port=args.port, api_key=args.api_key, require_key=not args.no_api_key,
            allowed_origins=tuple(args.cors_origin), max_engines=max_loaded, max_waiting=args.queue,
        )
        inventory = open_inventory()
    except UserError as error:
        return fail(error)
    server = None
    try:
        overrides = {name: value for name, value in (("n_ctx", args.ctx), ("n_threads", args.threads))
                     if value is not None}
        plans = LoadPlanStore(inventory, default_n_ctx=user_settings.default_n_ctx)
        server = ApiServer.for_inventory(config, inventory, plans, app_paths, refs=args.model,
                                         default_threads=user_settings.n_threads, gpu_layers=_gpu_layers,
                                         overrides=overrides)
        models = server.catalog.models()
        if not models:
            print("slmdesk: warning: no loadable model in the inventory yet; add one in the Library or with "
                  "`slmdesk scan`, or pass --model PATH", file=sys.stderr)
        if not config.loopback:
            print(f"slmdesk: warning: listening on {config.host}: any machine that can reach this address can "
                  "use your models (with the API key). Use --host 127.0.0.1 to keep it to this machine.",
                  file=sys.stderr)
        server.start()
        if args.model and models:
            print(f"Loading {models[0].id}...", file=sys.stderr, flush=True)
            info = server.preload(models[0])
            print(f"Loaded {models[0].id}: n_ctx {info.n_ctx}, {info.load_s:.1f} s", file=sys.stderr)
        print(f"Serving {served_summary(models)}", file=sys.stderr)
        print(f"  base URL  {server.address}", flush=True)
        if server.key is not None:
            where = "from --api-key" if args.api_key else f"kept in {server.key_location}"
            print(f"  API key   {server.key}  ({where})", flush=True)
        else:
            print("  API key   none (--no-api-key)", flush=True)
        print("Press Ctrl-C to stop.", file=sys.stderr, flush=True)
        while server.running:
            time.sleep(0.5)
        return 0
    except UserError as error:
        return fail(error)
    except KeyboardInterrupt:
        print("\nslmdesk: stopping", file=sys.stderr)
        return 0
    finally:
        if server is not None:
            server.stop()
        inventory.close()


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _log_to_stderr() -> None:
    """Show the server's own log lines (model loads, warnings) on stderr."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("slmdesk: %(message)s"))
    logger = logging.getLogger("slmdesk.api")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
