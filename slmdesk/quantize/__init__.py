"""GGUF re-quantization and ONNX builds in child processes, with a quality check."""
