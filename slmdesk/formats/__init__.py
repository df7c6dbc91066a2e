"""File-format readers: GGUF headers, split GGUF sets, ONNX GenAI folders, safetensors headers."""
