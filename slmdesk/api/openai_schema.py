"""The OpenAI wire format of requests: their types, their translation to engine calls, errors.

Requests are decoded with msgspec (the project's one typed-JSON library, see
:mod:`slmdesk.core.serial`): types are checked, not coerced, and unknown fields are ignored as
OpenAI-compatible servers commonly do (llama.cpp's server, vLLM), so newer clients keep
working. Parameters the engine cannot honour (several choices, log-probabilities, tools,
penalties) are refused with a 400 that names them, never silently dropped. JSON mode
(``response_format``) becomes a JSON Schema the engine turns into a grammar.

Reference: the OpenAI API reference for ``/v1/chat/completions``, ``/v1/completions``,
``/v1/models`` and the error object (``{"error": {"message", "type", "param", "code"}}``).
Response bodies are in :mod:`slmdesk.api.openai_replies`, ``/v1/embeddings`` in
:mod:`slmdesk.api.openai_embeddings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from slmdesk.engine.types import Message, SamplingParams

# -- errors --------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answered in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``.

    Attributes:
        status: the HTTP status (400, 401, 404, 413, 415, 500, 503).
        message: what went wrong, for a person.
        type: OpenAI's error type (``invalid_request_error``, ``server_error``...).
        param: the request field at fault (``"messages[2].content"``), or None.
        code: a machine-readable code (``model_not_found``, ``context_length_exceeded``...).
        headers: extra response headers (``Retry-After`` for 503).
    """

    def __init__(
        self,
        status: int,
        message: str,
        type: str = "invalid_request_error",  # noqa: A002 - OpenAI's field name
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body: ``{"error": {"message", "type", "param", "code"}}``."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def bad_request(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    """400 ``invalid_request_error``."""
    return ApiError(400, message, param=param, code=code)


def unsupported(param: str, what: str) -> ApiError:
    """400 for a parameter the engine cannot honour (``code: unsupported_parameter``)."""
    return ApiError(400, f"{what} is not supported by this server.", param=param, code="unsupported_parameter")


def model_not_found(name: str) -> ApiError:
    """404: no servable model is called ``name`` (``code: model_not_found``)."""
    return ApiError(
        404,
        f"The model `{name}` does not exist or cannot be loaded. GET /v1/models lists the models served.",
        param="model",
        code="model_not_found",
    )


def context_too_long(
    prompt_tokens: int, max_tokens: int | None, n_ctx: int, param: str = "messages", cut: bool = False
) -> ApiError:
    """413 ``context_length_exceeded``: the prompt (tokens) plus the reply budget (tokens)
    does not fit the loaded context ``n_ctx`` (tokens).

    ``param`` names the request field (``"messages"``, ``"prompt"``); ``cut`` says that the
    engine would have kept only the last ``prompt_tokens`` tokens of it (the full count is then
    unknown, only that it is larger).
    """
    asked = f" plus {max_tokens} for the reply" if max_tokens else ""
    what, singular = ("the prompt", True) if param == "prompt" else ("the messages", False)
    if cut:
        beside = f" beside {max_tokens} for the reply" if max_tokens else ""
        size = f"{what} {'is' if singular else 'are'} longer than the {prompt_tokens} tokens that fit{beside}"
    else:
        size = f"{what} {'takes' if singular else 'take'} {prompt_tokens} tokens{asked}"
    return ApiError(
        413,
        f"This model's context is {n_ctx} tokens; {size}. Shorten {what}, lower max_tokens, or load the "
        "model with a larger context (its load plan).",
        param=param,
        code="context_length_exceeded",
    )


def busy(retry_after_s: int, waiting: int) -> ApiError:
    """503 with ``Retry-After`` (seconds): ``waiting`` requests already queue for the engine."""
    return ApiError(
        503,
        f"The engine is busy: {waiting} requests are already waiting. Retry in about {retry_after_s} s.",
        type="server_error",
        code="engine_busy",
        headers={"Retry-After": str(retry_after_s)},
    )


def server_error(message: str, code: str = "engine_error") -> ApiError:
    """500 ``server_error`` (the engine failed: crash, time-out, a model that cannot load)."""
    return ApiError(500, message, type="server_error", code=code)


# -- requests ------------------------------------------------------------------------------


class ChatMessage(msgspec.Struct):
    """One message of a chat request; ``content`` is a string or a list of content parts."""

    role: str
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[Any] | None = None
    tool_call_id: str | None = None


class StreamOptions(msgspec.Struct):
    """``stream_options``: ``include_usage`` adds a last chunk with the token counts."""

    include_usage: bool = False


class ResponseFormat(msgspec.Struct):
    """``response_format``: ``{"type": "text" | "json_object" | "json_schema", ...}``;
    ``json_schema`` is ``{"name", "schema", "strict", "description"}`` (only ``schema`` is read:
    the grammar makes every reply strict)."""

    type: str
    json_schema: dict[str, Any] | None = None


class ChatCompletionRequest(msgspec.Struct):
    """The body of ``POST /v1/chat/completions`` (fields slmdesk reads; others are ignored).

    ``top_k``, ``min_p`` and ``repeat_penalty`` are the llama.cpp server's extensions.
    """

    model: str
    messages: list[ChatMessage]
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    n: int | None = None
    response_format: ResponseFormat | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    logit_bias: dict[str, float] | None = None
    tools: list[Any] | None = None
    functions: list[Any] | None = None
    top_k: int | None = None
    min_p: float | None = None
    repeat_penalty: float | None = None


class CompletionRequest(msgspec.Struct):
    """The body of ``POST /v1/completions`` (fields slmdesk reads; others are ignored).

    ``prompt`` may be a string or a list holding one string; several prompts and token-id
    prompts are refused by :func:`completion_call`. ``top_k``, ``min_p`` and
    ``repeat_penalty`` are the llama.cpp server's extensions, as in chat.
    """

    model: str
    prompt: str | list[Any]  # a string, strings, token ids, or lists of token ids
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    echo: bool = False
    n: int | None = None
    best_of: int | None = None
    logprobs: int | None = None
    suffix: str | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    logit_bias: dict[str, float] | None = None
    top_k: int | None = None
    min_p: float | None = None
    repeat_penalty: float | None = None


def decode(body: bytes, type_: type[Any]) -> Any:
    """Decode a JSON request ``body`` into ``type_``.

    Raises:
        ApiError: 400 for invalid JSON or a mistyped field (the message and ``param`` name
            the field, as msgspec reports it: ``$.messages[0].role`` -> ``messages[0].role``).
    """
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError as error:
        text = str(error)
        param = text.rsplit("at `$.", 1)[1].rstrip("`") if "at `$." in text else None
        raise bad_request(f"Invalid request: {text}.", param=param) from None
    except msgspec.DecodeError as error:
        raise bad_request(f"The request body is not valid JSON: {error}.") from None


# -- translation to the engine -------------------------------------------------------------

DEFAULT_TEMPERATURE = 1.0
"""OpenAI's default temperature (the API reference); the engine's own default is 0.7."""

DEFAULT_TOP_P = 1.0
"""OpenAI's default top-p. ``top_k`` and ``min_p`` keep the engine's defaults (40 and 0.05,
llama.cpp's server defaults) unless the request sets them."""

MAX_STOP_STRINGS = 4
"""OpenAI accepts up to 4 stop sequences."""

ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
"""Request roles -> engine roles (``developer`` is OpenAI's newer name for ``system``)."""


@dataclass(frozen=True)
class ChatCall:
    """A chat request translated for the engine.

    Attributes:
        messages: engine messages, oldest first (roles ``system``/``user``/``assistant``).
        params: sampling parameters; ``max_tokens`` is a placeholder when :attr:`max_tokens`
            is None (the worker sets it to the context left after the prompt).
        max_tokens: the reply budget the client asked for (tokens), None when it left it open.
    """

    messages: tuple[Message, ...]
    params: SamplingParams
    max_tokens: int | None


def _content_text(content: str | list[dict[str, Any]] | None, param: str) -> str:
    """A message's text: the string itself, or its ``text`` parts joined (no images, audio)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for index, part in enumerate(content):
        kind = part.get("type")
        text = part.get("text")
        if kind not in ("text", "input_text") or not isinstance(text, str):
            raise unsupported(f"{param}[{index}]", f"Content part type {kind!r} (only text parts)")
        parts.append(text)
    return "".join(parts)


def _messages(request: ChatCompletionRequest) -> list[Message]:
    if not request.messages:
        raise bad_request("messages must hold at least one message.", param="messages")
    messages: list[Message] = []
    for index, message in enumerate(request.messages):
        param = f"messages[{index}]"
        role = ROLES.get(message.role)
        if role is None:
            if message.role in ("tool", "function"):
                raise unsupported(f"{param}.role", "Tool and function messages")
            raise bad_request(f"Unknown role {message.role!r}; use system, user or assistant.", param=f"{param}.role")
        if message.tool_calls:
            raise unsupported(f"{param}.tool_calls", "Tool calls")
        messages.append({"role": role, "content": _content_text(message.content, f"{param}.content")})
    return messages


def _stops(stop: str | list[str] | None) -> tuple[str, ...]:
    if stop is None:
        return ()
    stops = [stop] if isinstance(stop, str) else list(stop)
    if len(stops) > MAX_STOP_STRINGS:
        raise bad_request(f"At most {MAX_STOP_STRINGS} stop sequences are allowed.", param="stop")
    return tuple(s for s in stops if s)


def _refuse_unsupported(request: ChatCompletionRequest) -> None:
    if request.n not in (None, 1):
        raise unsupported("n", "More than one choice (n > 1)")
    if request.logprobs or request.top_logprobs:
        raise unsupported("logprobs", "Log-probabilities")
    if request.tools or request.functions:
        raise unsupported("tools", "Tools and function calling")
    _refuse_unsupported_common(request)


def _refuse_unsupported_common(request: ChatCompletionRequest | CompletionRequest) -> None:
    """The checks both endpoints share: ``logit_bias``, the OpenAI penalties, ``stream_options``
    without ``stream``."""
    if request.logit_bias:
        raise unsupported("logit_bias", "logit_bias")
    for name in ("frequency_penalty", "presence_penalty"):
        if getattr(request, name):
            raise unsupported(name, f"A non-zero {name} (use repeat_penalty)")
    if request.stream_options is not None and not request.stream:
        raise bad_request("stream_options is only allowed when stream is true.", param="stream_options")


_PROMPT_FIELD = {"prompt": "The prompt holds", "messages": "The messages hold", "input": "The inputs hold"}


def prompt_too_large(chars: int, max_prompt_chars: int, param: str) -> ApiError:
    """413 ``prompt_too_large``: the texts of request field ``param`` (``"messages"``,
    ``"prompt"``, ``"input"``) hold ``chars`` characters, over ``max_prompt_chars``."""
    what = _PROMPT_FIELD[param]
    return ApiError(
        413,
        f"{what} {chars} characters; this server accepts at most {max_prompt_chars}.",
        param=param,
        code="prompt_too_large",
    )


def chat_call(request: ChatCompletionRequest, max_prompt_chars: int) -> ChatCall:
    """Translate a chat request into engine messages and :class:`SamplingParams`.

    ``max_completion_tokens`` wins over the older ``max_tokens``; temperature 0 (or top-p 0)
    is greedy decoding. ``max_prompt_chars`` limits the characters of all message contents.
    ``response_format`` JSON modes set ``params.json_schema`` (:data:`ANY_JSON_OBJECT` for
    ``json_object``, the given schema for ``json_schema``).

    Raises:
        ApiError: 400 for invalid or unsupported parameters (the ``param`` names the field),
            413 ``prompt_too_large`` when the messages exceed ``max_prompt_chars``.
    """
    _refuse_unsupported(request)
    messages = _messages(request)
    chars = sum(len(m["content"]) for m in messages)
    if chars > max_prompt_chars:
        raise prompt_too_large(chars, max_prompt_chars, "messages")
    max_tokens = request.max_completion_tokens if request.max_completion_tokens is not None else request.max_tokens
    if max_tokens is not None and max_tokens < 1:
        raise bad_request("max_tokens must be at least 1.", param="max_tokens")
    params = _sampling(request, max_tokens or 1, _json_schema(request.response_format))
    return ChatCall(tuple(messages), params, max_tokens)


ANY_JSON_OBJECT = '{"type": "object"}'
"""The schema of ``response_format: {"type": "json_object"}``: any JSON object, as OpenAI's JSON
mode promises (llama.cpp's server uses the empty schema there, which also admits a bare
string or number)."""


def _json_schema(response_format: ResponseFormat | None) -> str:
    """The JSON Schema (JSON text) a reply must match for ``response_format``; "" for free text.

    A ``json_schema`` without ``schema`` admits any JSON value (the empty schema), as llama.cpp's
    server reads it (its ``oaicompat_chat_params_parse``).

    Raises:
        ApiError: 400 for an unknown type, a missing ``json_schema``, or a ``schema`` that is
            not an object (the ``param`` names the field).
    """
    if response_format is None or response_format.type == "text":
        return ""
    if response_format.type == "json_object":
        return ANY_JSON_OBJECT
    if response_format.type != "json_schema":
        raise bad_request(f"Unknown response_format type {response_format.type!r}; use text, json_object or "
                          "json_schema.", param="response_format.type")
    spec = response_format.json_schema
    if spec is None:
        raise bad_request("response_format.json_schema is required when the type is json_schema.",
                          param="response_format.json_schema")
    schema = spec.get("schema", {})
    if not isinstance(schema, dict):
        raise bad_request("response_format.json_schema.schema must be a JSON Schema object.",
                          param="response_format.json_schema.schema")
    return msgspec.json.encode(schema).decode()


def _sampling(request: ChatCompletionRequest | CompletionRequest, max_tokens: int, json_schema: str = ""
              ) -> SamplingParams:
    """The sampling fields both endpoints share, checked and translated (OpenAI's defaults:
    temperature 1, top-p 1; top-p 0 is greedy decoding), with the reply's ``json_schema``.

    Raises:
        ApiError: 400 naming the field that is out of range.
    """
    temperature = DEFAULT_TEMPERATURE if request.temperature is None else request.temperature
    if not 0 <= temperature <= 2:
        raise bad_request("temperature must be between 0 and 2.", param="temperature")
    top_p = DEFAULT_TOP_P if request.top_p is None else request.top_p
    if not 0 <= top_p <= 1:
        raise bad_request("top_p must be between 0 and 1.", param="top_p")
    if top_p == 0:  # only the most likely token survives: that is greedy decoding
        temperature, top_p = 0.0, 1.0
    extras: dict[str, Any] = {}
    if request.top_k is not None:
        if request.top_k < 0:
            raise bad_request("top_k must be >= 0 (0 keeps every token).", param="top_k")
        extras["top_k"] = request.top_k
    if request.min_p is not None:
        if not 0 <= request.min_p <= 1:
            raise bad_request("min_p must be between 0 and 1.", param="min_p")
        extras["min_p"] = request.min_p
    if request.repeat_penalty is not None:
        if request.repeat_penalty <= 0:
            raise bad_request("repeat_penalty must be > 0 (1 turns it off).", param="repeat_penalty")
        extras["repeat_penalty"] = request.repeat_penalty
    return SamplingParams(
        temperature=temperature,
        top_p=top_p,
        max_tokens=max_tokens,
        seed=request.seed,
        stop=_stops(request.stop),
        json_schema=json_schema,
        **extras,
    )


DEFAULT_COMPLETION_MAX_TOKENS = 16
"""``max_tokens`` of ``/v1/completions`` when the request leaves it out (OpenAI's default for
that endpoint, the API reference; chat leaves the rest of the context instead)."""


@dataclass(frozen=True)
class CompletionCall:
    """A text completion request translated for the engine (:meth:`EngineClient.complete`).

    Attributes:
        prompt: the text the model continues, as written (no chat template).
        params: sampling parameters, ``max_tokens`` included.
        max_tokens: the reply budget (tokens): the request's, else
            :data:`DEFAULT_COMPLETION_MAX_TOKENS`.
        echo: the reply text starts with the prompt (``echo: true``).
    """

    prompt: str
    params: SamplingParams
    max_tokens: int
    echo: bool


def _prompt_text(prompt: str | list[Any]) -> str:
    """The one prompt string of a request: the string, or the only string of a list.

    Raises:
        ApiError: 400 (``param: prompt``) for several prompts, token ids, or an empty prompt.
    """
    if isinstance(prompt, list):
        if not all(isinstance(item, str) for item in prompt):  # [1, 2] or [[1, 2], [3]]
            raise unsupported("prompt", "A prompt of token ids (send the text)")
        if len(prompt) > 1:
            raise unsupported("prompt", f"Several prompts in one request ({len(prompt)}; send one request each)")
        if not prompt:
            raise bad_request("prompt must be a string, or a list holding one string.", param="prompt")
    text: str = prompt[0] if isinstance(prompt, list) else prompt
    if not text:
        raise bad_request("prompt must not be empty: the model continues this text.", param="prompt")
    return text


def _refuse_unsupported_completion(request: CompletionRequest) -> None:
    if request.n not in (None, 1):
        raise unsupported("n", "More than one choice (n > 1)")
    if request.best_of not in (None, 1):
        raise unsupported("best_of", "best_of > 1")
    if request.logprobs is not None:
        raise unsupported("logprobs", "Log-probabilities")
    if request.suffix:
        raise unsupported("suffix", "Insertion (suffix)")
    _refuse_unsupported_common(request)


def completion_call(request: CompletionRequest, max_prompt_chars: int) -> CompletionCall:
    """Translate a text completion request into a prompt and :class:`SamplingParams`.

    ``max_tokens`` defaults to :data:`DEFAULT_COMPLETION_MAX_TOKENS` (16) as in OpenAI's API;
    sampling as in :func:`chat_call`. ``max_prompt_chars`` limits the prompt's characters.

    Raises:
        ApiError: 400 for invalid or unsupported parameters (the ``param`` names the field:
            several prompts or token ids are ``prompt``), 413 ``prompt_too_large`` when the
            prompt exceeds ``max_prompt_chars``.
    """
    _refuse_unsupported_completion(request)
    prompt = _prompt_text(request.prompt)
    if len(prompt) > max_prompt_chars:
        raise prompt_too_large(len(prompt), max_prompt_chars, "prompt")
    max_tokens = DEFAULT_COMPLETION_MAX_TOKENS if request.max_tokens is None else request.max_tokens
    if max_tokens < 1:
        raise bad_request("max_tokens must be at least 1.", param="max_tokens")
    return CompletionCall(prompt, _sampling(request, max_tokens), max_tokens, request.echo)


EngineCall = ChatCall | CompletionCall
"""What a request asks of the engine: a chat reply or a text continuation."""
