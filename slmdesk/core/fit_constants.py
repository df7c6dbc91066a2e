"""Every constant the fit estimator uses, with the llama.cpp source or the measurement it came from.

Calibration machine ("the build machine"): 2 vCPU AMD EPYC (AVX2, no AVX-512), 24 GiB RAM,
Linux, Python 3.11, llama-cpp-python 0.3.36 (CPU build, REPACK on), numpy 2.4; models:
SmolLM2-135M-Instruct Q4_1 (llama, 30 layers, 3 KV heads x 64, vocab 49,152) and Gemma 3 270M
Q4_K_M (gemma3, 18 layers, 1 KV head x 256, sliding window 512 on 15 layers, vocab 262,144).
Measurements: ``benchmarks/fit_accuracy.py`` (a fresh engine process per row reporting its
``VmHWM``; ``--raw`` for a bare ``llama_cpp.Llama`` child with ``VmRSS`` per stage and
llama.cpp's verbose log lines).
"""

from __future__ import annotations

from slmdesk.core.units import MIB

# --- llama.cpp facts ---------------------------------------------------------------------------

CTX_PAD = 256
"""llama.cpp pads ``n_ctx`` (and the SWA cache size) to a multiple of 256
(``src/llama-context.cpp``: ``cparams.n_ctx = GGML_PAD(cparams.n_ctx, 256)``; field notes §0.3).
Measured: n_ctx 300 -> "n_ctx = 512" in the log."""

SHORT_PROMPT_TOKENS = 256
"""Tokens in the context for the Fit panel's "at load / short prompt" figure (one exchange of up
to 256 tokens, decoded as one batch). Why 256: llama.cpp clears the whole KV cache when it
creates the context (``src/llama-kv-cache.cpp``, ``llama_kv_cache`` constructor:
``ggml_backend_buffer_clear(buf, 0)``), so the KV cache is resident from the load on, but it
only reserves the compute buffer (``ggml_backend_sched_reserve``; on the CPU
``ggml_backend_cpu_buffer_type_alloc_buffer`` is a bare ``ggml_aligned_malloc`` in
``ggml/src/ggml-backend.cpp``), whose pages become resident as a decode first writes them; the
attention part grows with the KV cells in use, which llama.cpp pads to 256
(``llama_kv_cache::get_n_kv``). Any first prompt up to 256 tokens therefore peaks at or below
this figure, which is a few MiB above the resident memory right after the load."""

KV_QUANT_TYPES_NEED_FLASH_ATTN = frozenset({"q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"})
"""A quantized V cache needs flash attention: llama.cpp refuses the context otherwise
("quantized V cache requires flash_attn", ``src/llama-context.cpp``)."""

# --- calibration constants (llama.cpp engine on the host) ---------------------------------------

ENGINE_BASE_BYTES = int(46.5 * MIB)
"""Resident memory of slmdesk's engine process (``python -m slmdesk engine-host``) once it has
imported llama_cpp, before any model. Measured on the build machine: ``python -c "import
slmdesk.__main__, slmdesk.cli, slmdesk.engine.host, slmdesk.engine.backend_llama, llama_cpp"``
then ``VmRSS`` = 46.5 MiB (a bare ``python -c "import llama_cpp"``: 40.0-40.2 MiB; the engine
host before it imports llama_cpp: 25.0 MiB)."""

CONTEXT_FIXED_BYTES = int(15.4 * MIB)
VOCAB_BYTES_PER_TOKEN = 129.5
"""Host memory of a loaded model and context beyond weights, KV cache and compute buffers:
``CONTEXT_FIXED_BYTES + VOCAB_BYTES_PER_TOKEN * n_vocab``. The per-token part is the vocabulary
(``llama_vocab``: token text ``std::string`` + score + attributes, the ``token_to_id`` hash map
node and the ``token_to_piece`` cache: about 130 bytes a token). Measured on the build machine
as ``VmRSS after Llama() - after import - weights - CPU_REPACK buffer - KV cache`` at n_ctx 512:
SmolLM2 21.5 MiB (49,152 tokens), Gemma 3 47.9 MiB (262,144 tokens); two equations, two
unknowns. ``Llama(vocab_only=True)`` agrees: +18.6 vs +44.4 MiB (25.8 MiB apart)."""

KV_CELL_META_BYTES = 68
"""Bookkeeping per KV cell (``llama_kv_cells``: position, sequence bitset, shift...), counted
over the cells of every cache, plus llama-cpp-python's ``input_ids`` (4 bytes per n_ctx).
Measured on the build machine: resident memory minus KV buffer grew by 2.25 MiB from n_ctx 512
to 32768 on SmolLM2 (one cache, 73 B/cell) and by 4.0 MiB on Gemma 3 with swa_full (two caches,
65 B/cell/cache)."""

COMPUTE_BASE_TOUCHED_BYTES = int(1.7 * MIB)
COMPUTE_VOCAB_BYTES = 12
COMPUTE_FFN_BYTES_FLASH = 16
COMPUTE_FFN_BYTES_NO_FLASH = 7
COMPUTE_MASK_BYTES_FLASH = 2.5
"""Host compute memory a decode really touches (llama.cpp's compute buffer is allocated lazily:
pages count only once written). Model, for a ubatch of ``t`` tokens against ``k`` KV cells:
``BASE + 12 * n_vocab + t * f * n_ff + k * t * e`` where ``12 * n_vocab`` is the logits row in
the compute and output buffers plus the sampler's candidates, ``f`` is 16 bytes per FFN unit
with flash attention (gate and up activations, f32, and their q8 copies in the CPU work buffer)
and 7 without (the attention scores' region is reused), and ``e`` per (cell, token) is
2.5 bytes with flash attention (f16 mask) or ``6 * n_head + 4`` bytes without (f32 scores,
their f16 copy for the KQV product in the CPU work buffer, f32 mask). Gemma-3-style models have
a second mask for the sliding-window cache: 2.5 (flash) or 4 bytes per (its cell, token).
Measured on the build machine as peak - resident after load (``--fill`` and default runs of
``benchmarks/fit_accuracy.py``): t = 512, k = 512 / 2048: SmolLM2 flash 15.3 / 17.2 MiB,
no flash 21.3 / 64.4 MiB; Gemma 3 flash 21.1 / 25.3 (q8_0) MiB, no flash 22.4 / 44.1 MiB;
t = 32, k = 256: SmolLM2 2.6-3.3 MiB, Gemma 3 4.8-6.3 MiB."""

REPACK_TYPES_X86_AVX2 = frozenset({"Q4_0", "Q4_K", "IQ4_NL", "MXFP4"})
REPACK_TYPES_X86_AVX512 = REPACK_TYPES_X86_AVX2 | {"Q2_K"}
REPACK_TYPES_ARM_DOTPROD = frozenset({"Q4_0", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "MXFP4", "Q8_0", "Q1_0"})
"""Weight types llama.cpp's CPU back-end copies into interleaved "CPU_REPACK" buffers
(``ggml/src/ggml-cpu/repack.cpp``, ``ggml_repack_get_optimal_repack_type``, in the llama.cpp
that llama-cpp-python 0.3.36 vendors): AVX2 -> Q4_0, Q4_K, IQ4_NL, MXFP4 (+ Q2_K with AVX-512);
ARM NEON with dotprod or i8mm -> also Q5_K, Q6_K, Q8_0, Q1_0. The token embedding is never
repacked. With mmap the file pages stay mapped too, so those weights are resident twice.
Measured on the build machine: Gemma 3 270M Q4_K_M logs "CPU_REPACK model buffer size =
12.66 MiB" (its 27 Q4_K tensors, 13,271,040 bytes) next to "CPU_Mapped ... 235.16 MiB" (the
whole file), and its resident memory is that much higher; SmolLM2 Q4_1 has no repack buffer."""

GPU_RUNTIME_RESERVE_BYTES = {"nvidia": 457 * MIB, "apple": 512 * MIB}
GPU_RUNTIME_RESERVE_OTHER = 512 * MIB
"""Device memory the GPU runtime takes before any tensor (CUDA context, cuBLAS workspace; Metal
heaps). Not measured here (no GPU on the build machine): Ollama's ``MinimumMemory`` per library
(``ml/device.go`` at commit 3258a89b: 457 MiB CUDA/ROCm, 512 MiB Metal)."""

GPU_HOST_RUNTIME_BYTES = 150 * MIB
"""Extra host memory of a process using a GPU back-end (driver and runtime libraries). Not
measured here: gguf-parser-go's default ``--platform-footprint 150,250`` (RAM MiB)."""

TIGHT_FRACTION = 0.10
"""A load that fits with less than 10 % of the available memory to spare is "tight"."""

# --- ONNX Runtime GenAI ------------------------------------------------------------------------

ORT_ENGINE_BASE_BYTES = int(143.7 * MIB)
ORT_LOAD_TRANSIENT_BYTES = int(15.3 * MIB)
ORT_PROMPT_BYTES_PER_EMBD = 64
"""ONNX Runtime GenAI in slmdesk's engine process (onnxruntime-genai 0.18.0, onnxruntime 1.32.0,
CPU provider). The engine appends the whole prompt at once and sizes the KV cache per reply
(``max_length = min(n_ctx, prompt + max_tokens)``, ``engine/backend_onnx.py``), so memory is

    max(base + weights + LOAD_TRANSIENT,
        base + weights + KV(max_length) + P * (4 * n_vocab + 64 * n_embd))

for a prompt of P tokens: the logits of every prompt token (f32) plus activations. Measured on
the build machine with the SmolLM2 int4 CPU build in the test cache (weights 86,513,245 B,
f32 KV 45 KiB/token) through ``EngineClient`` at n_ctx 8192, 8 new tokens: prompts of 37 /
1938 / 5738 tokens peaked at 241.5 / 742.5 / 1796.5 MiB (predicted 241.5 / 743.2 / 1756); the
resident memory after the 37-token reply, 236.4 MiB, gives the base (143.7 MiB beyond the
weights: engine, onnxruntime, session, tokenizer), and the load peak 15.3 MiB above it. One
model only: approximate for other sizes."""

# --- rules of thumb people use (for comparison in benchmarks) ----------------------------------

FILE_SIZE_RULE_FACTOR = 1.2
"""The common "file size x 1.2" rule (e.g. many model cards and forum answers)."""
