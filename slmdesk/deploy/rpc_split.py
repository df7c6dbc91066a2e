"""The llama.cpp RPC split: how many layers each machine holds, from the fit estimator's sizes.

A model that fits no single machine can run over several with llama.cpp's RPC back-end: every
machine runs ``rpc-server`` (the head too, on loopback, so that its memory is counted like the
others') and the head's ``llama-server`` offloads every layer with ``--rpc`` and
``--tensor-split``. This module chooses the split: per-layer weights
(``ModelSpec.layer_weights_bytes``) plus each layer's KV cache
(:func:`~slmdesk.core.fit_llama.kv_cache_bytes_per_layer`), the output layer on the last machine,
and on every machine the compute buffer llama.cpp reserves
(:func:`~slmdesk.core.fit_llama.compute_reserved_bytes`) and a runtime reserve.

How llama.cpp reads the split (``src/llama-model.cpp``, ``load_tensors``): the ``n_layer + 1``
offloaded layers (repeating layers, then the output layer) go to devices by cumulative proportion,
layer ``il`` to the first device whose cumulative share exceeds ``il / (n_layer + 1)``; so integer
layer counts as proportions place exactly that many layers on each device. RPC devices come first
in the device list, in ``--rpc`` order (``llama_model_load_from_file_impl``, "add RPC servers at the
front of the list"), then the head's local GPUs, which get the remaining share: none here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from slmdesk.core.errors import UserError
from slmdesk.core.fit_constants import GPU_RUNTIME_RESERVE_OTHER, TIGHT_FRACTION
from slmdesk.core.fit_llama import compute_reserved_bytes, kv_cache_bytes_per_layer
from slmdesk.core.fit_report import FitOptions
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.profiles import HardwareProfile
from slmdesk.core.units import GIB, MIB, format_bytes
from slmdesk.deploy.bundle import HostMemory

DEFAULT_RPC_PORT = 50052
"""``rpc-server``'s default port (``tools/rpc/README.md``: "endpoint: 127.0.0.1:50052")."""

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(gib|gb|g|mib|mb|m)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class HostShare:
    """One machine's part of the split.

    Attributes:
        host: the machine and its free memory.
        layers: offloaded layers it holds (llama.cpp counting: the output layer counts as one).
        first_layer: index of its first layer (0-based over ``n_layer + 1``).
        need_bytes: predicted memory there: its layers' weights and KV cache, compute buffer,
            runtime reserve (and on the head, the input embedding llama.cpp keeps on the CPU).
        usable_bytes: its free memory less the margin the fit verdict calls "tight".
    """

    host: HostMemory
    layers: int
    first_layer: int
    need_bytes: int
    usable_bytes: int


@dataclass(frozen=True)
class RpcSplit:
    """The split over every machine, head first (the head is also the first ``--rpc`` entry)."""

    shares: tuple[HostShare, ...]
    n_layer: int

    @property
    def tensor_split(self) -> str:
        """``--tensor-split`` value: layer counts per RPC device, in ``--rpc`` order ("10,21")."""
        return ",".join(str(share.layers) for share in self.shares)

    @property
    def gpu_layers(self) -> int:
        """``-ngl``: every repeating layer and the output layer."""
        return self.n_layer + 1

    def describe(self) -> list[str]:
        """One line per machine: "head: 10 layers (32 %), 1.2 GiB of 3.5 GiB usable"."""
        total = self.n_layer + 1
        return [
            f"{share.host.name}: {share.layers} of {total} layers ({100 * share.layers / total:.0f} %), "
            f"{format_bytes(share.need_bytes)} of {format_bytes(share.usable_bytes)} usable"
            for share in self.shares
        ]


def parse_size(text: str) -> int:
    """Bytes of ``"24"`` (GiB), ``"24GiB"``, ``"512MiB"``, ``"1.5g"``.

    Raises:
        UserError: not a size.
    """
    match = _SIZE.match(text)
    if match is None:
        raise UserError(f"{text!r} is not a memory size.", "Give GiB (24 or 24GiB) or MiB (512MiB).")
    number, unit = float(match.group(1)), (match.group(2) or "gib").lower()
    return int(number * (MIB if unit.startswith("m") else GIB))


def profile_free_bytes(profile: HardwareProfile) -> int:
    """Memory a model may use on ``profile``: its largest GPU's free memory when llama.cpp can
    offload there, else its available RAM (an ``rpc-server`` without accelerators serves its CPU)."""
    gpu = profile.best_gpu
    return gpu.vram_free_bytes if gpu is not None and profile.can_offload else profile.ram_available_bytes


def parse_hosts(text: str, profiles: dict[str, HardwareProfile] | None = None) -> tuple[HostMemory, ...]:
    """Hosts of ``"head=24,worker1=16GiB,pi=raspberry-pi-5,10.0.0.7:50053=8"``: ``name=size``
    (:func:`parse_size`), or ``name=profile`` for a hardware profile in ``profiles`` (key or
    display name, case-insensitive; :func:`profile_free_bytes`). ``name`` may end in ``:port``.

    Raises:
        UserError: an empty list, a part without ``=``, a bad size or port, an unknown profile,
            a host named twice.
    """
    lookup = {key.casefold(): p for key, p in (profiles or {}).items()}
    lookup.update({p.name.casefold(): p for p in (profiles or {}).values()})
    hosts: list[HostMemory] = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise UserError(f"{part!r} is not name=memory.", "Example: --hosts head=24,worker1=16")
        host, _, port_text = name.partition(":")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*", host):
            raise UserError(f"{host!r} is not a host name or IP address.")
        if port_text and not (port_text.isdigit() and 1 <= int(port_text) <= 65535):
            raise UserError(f"{port_text!r} is not a port.", "Use host:50052=16.")
        port = int(port_text) if port_text else DEFAULT_RPC_PORT
        profile = lookup.get(value.casefold())
        if profile is not None:
            hosts.append(HostMemory(host, profile_free_bytes(profile), port, source=profile.name))
        elif _SIZE.match(value):
            hosts.append(HostMemory(host, parse_size(value), port))
        else:
            raise UserError(f"{value!r} is neither a memory size nor a hardware profile.",
                            "Give GiB (16), MiB (512MiB), or a profile name from `slmdesk fit --list-profiles`.")
    if not hosts:
        raise UserError("No hosts given.", "Example: --hosts head=24,worker1=16")
    names = [(h.name, h.port) for h in hosts]
    if len(set(names)) != len(names):
        raise UserError("A host is named twice in --hosts.", "Give each machine once.")
    return tuple(hosts)


def split_layers(spec: ModelSpec, options: FitOptions, hosts: tuple[HostMemory, ...]) -> RpcSplit:
    """The layer split of ``spec`` loaded with ``options`` over ``hosts`` (head first).

    Layers are handed out in llama.cpp's order, balanced by usable memory: each host's share of
    the layers is proportional to its usable memory (free x (1 - TIGHT_FRACTION), less its fixed
    costs), then layers move to the next host while a host would exceed its usable memory.

    Returns an :class:`RpcSplit` whose ``need_bytes`` never exceed ``usable_bytes``.

    Raises:
        UserError: not a GGUF model with per-layer sizes, or the model does not fit the hosts
            together (the message gives the need, the total usable memory and the shortfall).
    """
    if spec.format != "gguf" or not spec.n_layer or len(spec.layer_weights_bytes) != spec.n_layer:
        raise UserError(f"{spec.path.name} has no per-layer sizes: an RPC split needs a GGUF model.",
                        "Export a GGUF artifact of this model.")
    if not hosts:
        raise UserError("No hosts given for the RPC layout.", "Example: --hosts head=24,worker1=16")
    n_layer = spec.n_layer
    kv = kv_cache_bytes_per_layer(spec, options)
    output = (spec.output_weights_bytes or 0) + ((spec.input_weights_bytes or 0) if spec.tied_embeddings else 0)
    units = [w + k for w, k in zip(spec.layer_weights_bytes, kv, strict=True)] + [output]
    compute = compute_reserved_bytes(spec, options, with_output=True)
    fixed = [compute + GPU_RUNTIME_RESERVE_OTHER for _ in hosts]
    fixed[0] += spec.input_weights_bytes or 0  # llama.cpp keeps the token embedding on the head's CPU
    usable = [int(h.free_bytes * (1 - TIGHT_FRACTION)) for h in hosts]
    room = [max(0, u - f) for u, f in zip(usable, fixed, strict=True)]
    need_total = sum(units) + sum(fixed)
    if sum(units) > sum(room):
        short = need_total - sum(usable)
        raise UserError(
            f"{spec.path.name} does not fit these {len(hosts)} machines: it needs about "
            f"{format_bytes(need_total)} (weights and KV cache at n_ctx {options.n_ctx}, compute buffers), "
            f"they offer {format_bytes(sum(usable))} usable"
            + (f", {format_bytes(short)} short." if short > 0 else " but not in pieces this large."),
            "Add a machine, use a smaller quantization or KV cache type, or a shorter context.",
        )
    counts = _balance(units, room)
    shares: list[HostShare] = []
    start = 0
    for host, count, fix, use in zip(hosts, counts, fixed, usable, strict=True):
        shares.append(HostShare(host, count, start, fix + sum(units[start:start + count]), use))
        start += count
    return RpcSplit(tuple(shares), n_layer)


def _balance(units: list[int], room: list[int]) -> list[int]:
    """Layer counts per host, in order, each host's units within its room: proportional to the
    room first (every machine does its share of the work), else each host filled in turn.

    Raises:
        UserError: no order of whole layers fits (a layer larger than what is left somewhere).
    """
    total_room = sum(room)
    targets = [sum(units) * r / total_room if total_room else 0.0 for r in room]
    for limits in (targets, [float(r) for r in room]):
        counts = _walk(units, room, limits)
        if counts is not None:
            return counts
    raise UserError("The model's layers cannot be cut to fit these machines: a layer is larger than the room left "
                    "on the machine it falls to.", "Give the machines with the most memory first, or add memory.")


def _walk(units: list[int], room: list[int], limits: list[float]) -> list[int] | None:
    """Hand out layers in order: a host takes layers while it stays within its room and, unless
    the hosts after it could not take the rest, within its limit. None when some layer fits nowhere."""
    counts = [0] * len(room)
    host, used = 0, 0
    for index, size in enumerate(units):
        while host < len(room) - 1 and (
            used + size > room[host]
            or (used + size > limits[host] and sum(units[index:]) <= sum(room[host + 1:]))
        ):
            host, used = host + 1, 0
        if used + size > room[host]:
            return None
        counts[host] += 1
        used += size
    return counts
