"""Benchmark runner on top of engine/, statistics and export."""
