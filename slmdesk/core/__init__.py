"""Pure domain: dataclasses, the task protocol, errors and units. No Qt, no I/O frameworks."""
