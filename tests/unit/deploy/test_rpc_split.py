"""The llama.cpp RPC split: hosts, layer counts from the fit estimator's sizes, refusals."""

from __future__ import annotations

import bisect
from dataclasses import replace

import pytest

from slmdesk.core.errors import UserError
from slmdesk.core.fit_constants import TIGHT_FRACTION
from slmdesk.core.profiles import PRESETS
from slmdesk.core.units import GIB, MIB
from slmdesk.deploy import DeployRequest, HostMemory, parse_hosts, split_layers
from slmdesk.deploy.rpc_split import parse_size, profile_free_bytes


def test_hosts_are_read_from_sizes_profiles_and_ports() -> None:
    key, profile = next((k, p) for k, p in PRESETS.items() if p.gpus)
    hosts = parse_hosts(f"head=24, w1=512MiB,10.0.0.7:50053=1.5g,gpu={key}", PRESETS)
    assert hosts[0] == HostMemory("head", 24 * GIB)
    assert hosts[1] == HostMemory("w1", 512 * MIB)
    assert hosts[2] == HostMemory("10.0.0.7", int(1.5 * GIB), 50053)
    assert hosts[3].free_bytes == profile.gpus[0].vram_free_bytes == profile_free_bytes(profile)
    assert hosts[3].source == profile.name


@pytest.mark.parametrize(("text", "problem"), [
    ("", "No hosts"),
    ("head", "is not name=memory"),
    ("head=lots", "neither a memory size nor a hardware profile"),
    ("a=1,a=2", "named twice"),
    ("bad_host!=1", "not a host name"),
    ("h:99999=1", "not a port"),
])
def test_bad_host_lists_are_refused(text: str, problem: str) -> None:
    with pytest.raises(UserError, match=problem):
        parse_hosts(text, PRESETS)


def test_sizes() -> None:
    assert parse_size("2") == 2 * GIB
    assert parse_size("256MiB") == 256 * MIB
    with pytest.raises(UserError):
        parse_size("2 TB")


def _device_of_each_layer(counts: list[int]) -> list[int]:
    """llama.cpp's placement (``load_tensors``): layer il of n goes to the first device whose
    cumulative share exceeds il / n (``std::upper_bound`` over the normalised splits)."""
    total = sum(counts)
    cumulative, running = [], 0
    for count in counts:
        running += count
        cumulative.append(running / total)
    return [bisect.bisect_right(cumulative, il / total) for il in range(total)]


def test_a_model_too_big_for_each_host_is_split_over_two(toy_request: DeployRequest) -> None:
    hosts = (HostMemory("head", int(0.68 * GIB)), HostMemory("w1", int(0.68 * GIB)))
    options = toy_request.plan.fit_options()
    split = split_layers(toy_request.spec, options, hosts)
    counts = [share.layers for share in split.shares]
    assert sum(counts) == 9 and all(counts)  # 8 repeating layers + the output layer, both hosts used
    assert split.tensor_split == ",".join(map(str, counts))
    assert split.gpu_layers == 9
    for share in split.shares:
        assert share.need_bytes <= share.usable_bytes == int(share.host.free_bytes * (1 - TIGHT_FRACTION))
    # llama.cpp reads the counts as proportions and places exactly that many layers on each device.
    expected = [index for index, count in enumerate(counts) for _ in range(count)]
    assert _device_of_each_layer(counts) == expected
    # Neither host alone could hold it.
    for host in hosts:
        with pytest.raises(UserError, match="does not fit"):
            split_layers(toy_request.spec, options, (host,))


def test_the_split_follows_memory(toy_request: DeployRequest) -> None:
    hosts = (HostMemory("big", 2 * GIB), HostMemory("small", int(0.65 * GIB)))
    split = split_layers(toy_request.spec, toy_request.plan.fit_options(), hosts)
    assert split.shares[0].layers > split.shares[1].layers
    assert split.shares[1].first_layer == split.shares[0].layers


def test_a_model_that_fits_nowhere_is_refused_with_the_figures(toy_request: DeployRequest) -> None:
    hosts = (HostMemory("a", 600 * MIB), HostMemory("b", 600 * MIB))
    with pytest.raises(UserError) as caught:
        split_layers(toy_request.spec, toy_request.plan.fit_options(), hosts)
    assert "does not fit these 2 machines" in caught.value.message
    assert "short" in caught.value.message
    assert "smaller quantization" in (caught.value.hint or "")


def test_the_kv_cache_counts(toy_request: DeployRequest) -> None:
    hosts = (HostMemory("a", int(0.7 * GIB)), HostMemory("b", int(0.7 * GIB)))
    small = split_layers(toy_request.spec, toy_request.plan.fit_options(), hosts)
    large = split_layers(toy_request.spec, replace(toy_request.plan, n_ctx=2048).fit_options(), hosts)
    assert sum(s.need_bytes for s in large.shares) > sum(s.need_bytes for s in small.shares)


def test_a_model_without_per_layer_sizes_is_refused(toy_request: DeployRequest) -> None:
    spec = replace(toy_request.spec, format="hf", layer_weights_bytes=())
    with pytest.raises(UserError, match="needs a GGUF model"):
        split_layers(spec, toy_request.plan.fit_options(), (HostMemory("a", GIB),))
