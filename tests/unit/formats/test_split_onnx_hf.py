"""Split GGUF sets, ONNX Runtime GenAI folders, Hugging Face folders and the format dispatcher
(read_spec, discover, format_of) on small real files written by the tests."""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path

import gguf
import pytest

from slmdesk.core.errors import Cancelled
from slmdesk.core.tasks import CancelToken
from slmdesk.formats import detect, split
from slmdesk.formats.detect import NotAModelError, discover, format_of, read_spec
from slmdesk.formats.gguf import GGUFFormatError
from slmdesk.formats.hf_folder import HFFolderError, read_safetensors_header
from slmdesk.formats.onnx_genai import OnnxFolderError, graph_precision
from slmdesk.formats.split import SplitSetError
from tests.gguf_factory import write_gguf

# -- split GGUF sets ----------------------------------------------------------------------------


def test_split_set_reads_as_one_artifact(tmp_path: Path) -> None:
    parts = write_gguf(tmp_path / "model.gguf", n_layer=4, split=3, chat_template="t")
    assert [p.name for p in parts] == [f"model-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
    readers = [gguf.GGUFReader(p) for p in parts]
    for any_part in parts:
        spec = read_spec(any_part)
        assert spec.path == parts[0]
        assert spec.files == tuple(parts)
        assert spec.file_bytes == sum(p.stat().st_size for p in parts)
        assert spec.n_params == sum(int(t.n_elements) for r in readers for t in r.tensors)
        assert spec.weights_bytes == sum(int(t.n_bytes) for r in readers for t in r.tensors)
        assert (spec.split_count, spec.split_no) == (3, 0)
        assert spec.chat_template == "t"
        assert spec.n_layer == 4 and all(spec.layer_weights_bytes)


def test_missing_part_is_named(tmp_path: Path) -> None:
    parts = write_gguf(tmp_path / "model.gguf", split=3)
    parts[1].unlink()
    with pytest.raises(SplitSetError, match=r"^model-00002-of-00003.gguf is missing from the 3-part set"):
        read_spec(parts[0])


def test_extra_part_is_named(tmp_path: Path) -> None:
    parts = write_gguf(tmp_path / "model.gguf", split=2)
    shutil.copy(parts[1], tmp_path / "model-00003-of-00003.gguf")
    with pytest.raises(SplitSetError, match=r"^model-00003-of-00003.gguf does not belong to the 2-part set"):
        read_spec(parts[0])


def test_parts_in_the_wrong_order_are_reported(tmp_path: Path) -> None:
    parts = write_gguf(tmp_path / "model.gguf", split=3)
    parts[1].rename(tmp_path / "tmp")
    parts[2].rename(parts[1])
    (tmp_path / "tmp").rename(parts[2])
    with pytest.raises(SplitSetError, match=r"model-00002-of-00003.gguf declares itself part 3"):
        read_spec(parts[0])


def test_part_of_another_model_is_reported(tmp_path: Path) -> None:
    parts = write_gguf(tmp_path / "model.gguf", split=2)
    parts[1].unlink()
    write_gguf(parts[1], arch="qwen2", extra_kv={"split.no": 1, "split.count": 2})
    with pytest.raises(SplitSetError, match=r"model-00002-of-00002.gguf is a qwen2 model but .* is a llama model"):
        read_spec(parts[0])


def test_split_count_mismatch_is_reported(tmp_path: Path) -> None:
    parts = write_gguf(tmp_path / "model.gguf", split=2)
    renamed = [tmp_path / f"other-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
    for source, target in zip((parts[0], parts[1], parts[1]), renamed, strict=True):
        shutil.copy(source, target)
    with pytest.raises(SplitSetError, match=r"other-00001-of-00003.gguf declares split.count 2, but its name says 3"):
        read_spec(renamed[0])


def test_split_part_under_a_plain_name_is_reported(tmp_path: Path) -> None:
    parts = write_gguf(tmp_path / "model.gguf", split=2)
    plain = tmp_path / "renamed.gguf"
    parts[0].rename(plain)
    with pytest.raises(SplitSetError, match=r"renamed\.gguf is part 1 of a 2-part split GGUF set"):
        read_spec(plain)


def test_split_names() -> None:
    assert split.parse_split_name("Qwen-7B-Q4_K_M-00002-of-00004.gguf") == split.SplitName("Qwen-7B-Q4_K_M", 2, 4)
    assert split.parse_split_name("model-00000-of-00002.gguf") is None
    assert split.parse_split_name("model-00003-of-00002.gguf") is None
    assert split.parse_split_name("model.gguf") is None
    assert split.split_part_name("m", 1, 12) == "m-00001-of-00012.gguf"


# -- ONNX Runtime GenAI folders -----------------------------------------------------------------

# The shape of onnxruntime-genai's builder output (builder.py make_genai_config), as written
# for SmolLM2-135M-Instruct int4 CPU.
GENAI_CONFIG = {
    "model": {
        "bos_token_id": 1,
        "context_length": 8192,
        "decoder": {
            "session_options": {"log_id": "onnxruntime-genai", "provider_options": []},
            "filename": "model.onnx",
            "head_size": 64,
            "hidden_size": 576,
            "inputs": {
                "input_ids": "input_ids",
                "attention_mask": "attention_mask",
                "past_key_names": "past_key_values.%d.key",
                "past_value_names": "past_key_values.%d.value",
            },
            "outputs": {
                "logits": "logits",
                "present_key_names": "present.%d.key",
                "present_value_names": "present.%d.value",
            },
            "num_attention_heads": 9,
            "num_hidden_layers": 30,
            "num_key_value_heads": 3,
        },
        "eos_token_id": [2, 0],
        "pad_token_id": 2,
        "type": "llama",
        "vocab_size": 49152,
    },
    "search": {"do_sample": False, "max_length": 8192, "num_beams": 1, "top_k": 50, "top_p": 1.0},
}

# Serialized protobuf fragments as the builder writes them (checked against a real build):
# a MatMulNBits node attribute {name: "bits", i: 4, type: INT}, and the graph output
# ValueInfoProto {name: "logits", type.tensor_type.elem_type: 10 (float16)}.
_MATMUL_NBITS = b"\x12\x0bMatMulNBits*\x0b\n\x04bits\x18\x04\xa0\x01\x02"
_LOGITS_FP16 = b"\n\x06logits\x12\x06\n\x04\x08\x0a\x12\x00"


def _onnx_folder(root: Path, graph: bytes = _MATMUL_NBITS, data_bytes: int = 4096, **overrides: object) -> Path:
    root.mkdir(parents=True)
    config = json.loads(json.dumps(GENAI_CONFIG))
    config["model"].update(overrides)
    (root / "genai_config.json").write_text(json.dumps(config, indent=4))
    (root / "model.onnx").write_bytes(b"\x08\x08" + graph + b"\0" * 100)
    (root / "model.onnx.data").write_bytes(b"\0" * data_bytes)
    (root / "tokenizer.json").write_text("{}")
    (root / "tokenizer_config.json").write_text(json.dumps({"chat_template": "from tokenizer_config"}))
    (root / "chat_template.jinja").write_text("{% for m in messages %}{{ m.content }}{% endfor %}")
    return root


def test_onnx_folder_spec(tmp_path: Path) -> None:
    folder = _onnx_folder(tmp_path / "smollm2-cpu-int4")
    spec = read_spec(folder)
    assert spec.format == "onnx"
    assert spec.architecture == "llama"
    assert spec.context_length == 8192
    assert spec.n_layer == 30
    assert spec.n_head == (9,) * 30 and spec.n_head_kv == (3,) * 30
    assert (spec.head_dim_k, spec.head_dim_v, spec.n_embd) == (64, 64, 576)
    assert spec.n_vocab == 49152
    assert spec.quantization == "int4"
    assert spec.files == (folder / "model.onnx", folder / "model.onnx.data")
    assert spec.weights_bytes == (folder / "model.onnx").stat().st_size + 4096
    assert spec.chat_template == "{% for m in messages %}{{ m.content }}{% endfor %}"
    assert (spec.bos_token_id, spec.eos_token_id, spec.eog_token_ids) == (1, 2, (2, 0))
    assert spec.n_params is None  # not in the config: never guessed
    # A file inside the folder reads as the folder.
    assert read_spec(folder / "model.onnx").path == folder


def test_onnx_precision_from_graph_or_name(tmp_path: Path) -> None:
    fp16 = _onnx_folder(tmp_path / "plain", graph=_LOGITS_FP16)
    assert graph_precision(fp16 / "model.onnx") == "fp16"
    int8 = _onnx_folder(tmp_path / "eight", graph=_MATMUL_NBITS.replace(b"\x18\x04", b"\x18\x08"))
    assert read_spec(int8).quantization == "int8"
    named = _onnx_folder(tmp_path / "cuda-bf16", graph=b"")
    assert read_spec(named).quantization == "bf16"
    unknown = _onnx_folder(tmp_path / "mystery", graph=b"")
    assert read_spec(unknown).quantization is None


def test_onnx_folder_errors(tmp_path: Path) -> None:
    folder = _onnx_folder(tmp_path / "m")
    (folder / "model.onnx").unlink()
    with pytest.raises(OnnxFolderError, match=r"model\.onnx is missing from m"):
        read_spec(folder)
    (folder / "genai_config.json").write_text("{not json")
    with pytest.raises(OnnxFolderError, match=r"genai_config\.json in m is not valid JSON"):
        read_spec(folder)
    config = {"model": {"type": "llama", "decoder": {"num_hidden_layers": "30"}}}
    (folder / "genai_config.json").write_text(json.dumps(config))
    (folder / "model.onnx").write_bytes(b"")
    with pytest.raises(OnnxFolderError, match=r"num_hidden_layers in genai_config\.json is '30', not a count"):
        read_spec(folder)


# -- Hugging Face folders -----------------------------------------------------------------------


def _safetensors(path: Path, tensors: dict[str, tuple[str, tuple[int, ...]]]) -> int:
    """Write a safetensors file with zero data; return its data size in bytes."""
    itemsize = {"BF16": 2, "F16": 2, "F32": 4, "I32": 4}
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        n = itemsize[dtype]
        for dim in shape:
            n *= dim
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * offset)
    return offset


HF_CONFIG = {
    "architectures": ["Gemma3ForCausalLM"],
    "model_type": "gemma3_text",
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 6,
    "num_attention_heads": 4,
    "num_key_value_heads": 1,
    "head_dim": 32,
    "max_position_embeddings": 32768,
    "vocab_size": 100,
    "sliding_window": 512,
    "layer_types": ["sliding_attention"] * 5 + ["full_attention"],
    "bos_token_id": 2,
    "eos_token_id": [1, 106],
    "torch_dtype": "bfloat16",
}


def _hf_folder(root: Path, sharded: bool = True, config: dict | None = None) -> tuple[Path, int, int]:
    root.mkdir(parents=True)
    (root / "config.json").write_text(json.dumps(config or HF_CONFIG))
    tensors = {"model.embed_tokens.weight": ("BF16", (100, 64)), "model.norm.weight": ("BF16", (64,))}
    for il in range(6):
        tensors[f"model.layers.{il}.self_attn.q_proj.weight"] = ("BF16", (128, 64))
        tensors[f"model.layers.{il}.mlp.up_proj.weight"] = ("BF16", (128, 64))
    names = list(tensors)
    n_params = 100 * 64 + 64 + 6 * 2 * 128 * 64
    if sharded:
        halves = {"model-00001-of-00002.safetensors": names[:7], "model-00002-of-00002.safetensors": names[7:]}
        size = sum(_safetensors(root / f, {n: tensors[n] for n in ns}) for f, ns in halves.items())
        weight_map = {n: f for f, ns in halves.items() for n in ns}
        (root / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    else:
        size = _safetensors(root / "model.safetensors", tensors)
    return root, n_params, size


def test_hf_folder_spec(tmp_path: Path) -> None:
    folder, n_params, size = _hf_folder(tmp_path / "gemma-3-tiny")
    (folder / "tokenizer_config.json").write_text(json.dumps({"chat_template": "{{ bos_token }}"}))
    spec = read_spec(folder)
    assert spec.format == "hf"
    assert spec.architecture == "gemma3_text"
    assert ("architectures", "Gemma3ForCausalLM") in spec.metadata
    assert spec.n_params == n_params
    assert spec.weights_bytes == size == 2 * n_params
    assert spec.quantization == "bf16"
    assert spec.tensor_types == (("BF16", 14),)
    assert len(spec.files) == 2
    assert spec.context_length == 32768
    assert spec.n_layer == 6
    assert spec.n_head == (4,) * 6 and spec.n_head_kv == (1,) * 6
    assert spec.head_dim_k == 32
    assert spec.n_vocab == 100
    assert spec.sliding_window == 512
    assert spec.swa_layers == (True,) * 5 + (False,)
    assert spec.chat_template == "{{ bos_token }}"
    assert (spec.bos_token_id, spec.eog_token_ids) == (2, (1, 106))
    assert spec.tied_embeddings is True  # no lm_head tensor
    assert spec.input_weights_bytes == 100 * 64 * 2
    assert sum(spec.layer_weights_bytes) == 6 * 2 * 128 * 64 * 2


def test_hf_single_file_and_jinja_template(tmp_path: Path) -> None:
    config = dict(HF_CONFIG, sliding_window=None)
    del config["layer_types"]
    folder, n_params, _ = _hf_folder(tmp_path / "m", sharded=False, config=config)
    (folder / "chat_template.jinja").write_text("jinja wins")
    (folder / "tokenizer_config.json").write_text(json.dumps({"chat_template": "ignored"}))
    spec = read_spec(folder / "config.json")
    assert spec.n_params == n_params
    assert spec.chat_template == "jinja wins"
    assert (spec.sliding_window, spec.swa_layers) == (None, ())


def test_hf_folder_errors(tmp_path: Path) -> None:
    folder, _, _ = _hf_folder(tmp_path / "m")
    shard = folder / "model-00002-of-00002.safetensors"
    data = shard.read_bytes()
    shard.write_bytes(data[:-10])
    with pytest.raises(HFFolderError, match="the file is incomplete"):
        read_spec(folder)
    shard.write_bytes(struct.pack("<Q", 2**40) + b"{}")
    with pytest.raises(HFFolderError, match="claims a 1099511627776-byte header"):
        read_safetensors_header(shard)
    shard.unlink()
    with pytest.raises(HFFolderError, match=r"model-00002-of-00002\.safetensors is missing from m"):
        read_spec(folder)


# -- dispatch and discovery ----------------------------------------------------------------------


def _library(root: Path) -> dict[str, Path]:
    """A models folder with one of everything, plus noise."""
    (root / "a").mkdir(parents=True)
    [single] = write_gguf(root / "a" / "single.gguf")
    parts = write_gguf(root / "a" / "big.gguf", split=3)
    onnx = _onnx_folder(root / "onnx" / "phi-cpu-int4")
    hf, _, _ = _hf_folder(root / "hf" / "org" / "tiny")
    (root / "a" / "notes.txt").write_text("not a model")
    (root / "a" / "model.gguf.part").write_bytes(b"GGUF")
    hidden = root / ".cache"
    hidden.mkdir()
    write_gguf(hidden / "hidden.gguf")
    (root / "empty").mkdir()
    return {"single": single, "split": parts[0], "onnx": onnx, "hf": hf}


def test_discover_yields_each_artifact_once(tmp_path: Path) -> None:
    found = _library(tmp_path)
    (tmp_path / "a" / "loop").symlink_to(tmp_path, target_is_directory=True)
    result = list(discover(tmp_path))
    assert sorted(result) == sorted(found.values())
    assert [format_of(p) for p in sorted(result)] == ["gguf", "gguf", "hf", "onnx"]
    for path in result:
        assert read_spec(path).path == path


def test_discover_yields_an_incomplete_split_set_once(tmp_path: Path) -> None:
    parts = write_gguf(tmp_path / "m.gguf", split=3)
    parts[0].unlink()
    assert list(discover(tmp_path)) == [parts[1]]
    with pytest.raises(SplitSetError, match=r"m-00001-of-00003\.gguf is missing"):
        read_spec(parts[1])


def test_discover_checks_the_cancel_token(tmp_path: Path) -> None:
    _library(tmp_path)
    token = CancelToken()
    walk = discover(tmp_path, token)
    next(walk)
    token.cancel()
    with pytest.raises(Cancelled, match=r"^cancelled$"):
        list(walk)


def test_read_spec_rejects_non_models(tmp_path: Path) -> None:
    with pytest.raises(NotAModelError, match="does not exist"):
        read_spec(tmp_path / "absent.gguf")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(NotAModelError, match=r"notes\.txt is not a model file"):
        read_spec(text)
    write_gguf(tmp_path / "one.gguf")
    with pytest.raises(NotAModelError, match=r"not a model folder\. It holds 1 GGUF file"):
        read_spec(tmp_path)
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"<html>404</html>")
    with pytest.raises(GGUFFormatError, match=r"fake\.gguf is not a readable GGUF file"):
        read_spec(fake)


def test_gguf_without_suffix_is_recognised_by_magic(tmp_path: Path) -> None:
    [path] = write_gguf(tmp_path / "m.gguf")
    blob = tmp_path / "sha256-0123abcd"
    os.rename(path, blob)
    assert format_of(blob) is None  # names only
    assert read_spec(blob).architecture == "llama"


def test_format_of(tmp_path: Path) -> None:
    found = _library(tmp_path)
    assert format_of(found["single"]) == "gguf"
    assert format_of(found["onnx"]) == "onnx"
    assert format_of(found["hf"]) == "hf"
    assert format_of(tmp_path / "empty") is None
    assert format_of(tmp_path / "a" / "notes.txt") is None
    assert detect.format_of(tmp_path / "absent") is None
