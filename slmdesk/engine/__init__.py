"""Inference in a child process: protocol, host, client; llama.cpp and ONNX Runtime GenAI backends."""
