"""Hardware probes: CPU, RAM, GPUs and disk into a hardware profile, and a live usage summary."""
