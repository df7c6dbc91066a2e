"""The command line's parser: hidden commands stay hidden, options parse to what the commands read."""

from __future__ import annotations

from slmdesk.cli import build_parser


def test_engine_host_is_a_hidden_command() -> None:
    parser = build_parser()
    assert "engine-host" not in parser.format_help()
    assert "chat" in parser.format_help()
    args = parser.parse_args(["engine-host"])
    assert args.handler.__name__ == "_cmd_engine_host"
    chat = parser.parse_args(
        ["chat", "3", "-p", "hi", "--temperature", "0", "--max-tokens", "5", "--seed", "1", "--ctx", "256", "--json"]
    )
    assert (chat.target, chat.prompt, chat.temperature, chat.max_tokens, chat.seed, chat.ctx, chat.json) == (
        "3", "hi", 0.0, 5, 1, 256, True,
    )


def test_serve_takes_the_models_loaded_at_once_from_the_command_line_or_settings() -> None:
    parser = build_parser()
    assert parser.parse_args(["serve", "--max-models", "3"]).max_loaded == 3
    assert parser.parse_args(["serve", "--max-loaded", "2"]).max_loaded == 2  # the older spelling
    assert parser.parse_args(["serve"]).max_loaded is None  # Settings' api_max_loaded_models decides
