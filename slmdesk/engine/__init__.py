"""Inference in a child process: protocol, host, client; llama.cpp and ONNX Runtime GenAI backends.

Import the client API from here (``from slmdesk.engine import EngineClient, LoadSettings``);
nothing imported by this package loads llama_cpp or onnxruntime_genai, which only the engine
process (``host.py`` and the ``backend_*`` modules) ever imports.
"""

from slmdesk.engine.client import EngineClient
from slmdesk.engine.context import fit_messages
from slmdesk.engine.process import Timeouts, host_command
from slmdesk.engine.templates import TemplateError, TemplateSecurityError
from slmdesk.engine.types import (
    ContextOverflowError,
    Done,
    EngineCrashed,
    EngineError,
    EngineStats,
    EngineTimeout,
    Event,
    GenerationStats,
    LoadInfo,
    LoadSettings,
    Message,
    NotLoadedError,
    Prefill,
    PromptReady,
    SamplingParams,
    Token,
)

__all__ = [
    "ContextOverflowError",
    "Done",
    "EngineClient",
    "EngineCrashed",
    "EngineError",
    "EngineStats",
    "EngineTimeout",
    "Event",
    "GenerationStats",
    "LoadInfo",
    "LoadSettings",
    "Message",
    "NotLoadedError",
    "Prefill",
    "PromptReady",
    "SamplingParams",
    "TemplateError",
    "TemplateSecurityError",
    "Timeouts",
    "Token",
    "fit_messages",
    "host_command",
]
