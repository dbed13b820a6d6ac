"""What this machine can do, read without importing torch (doctor, encoders and training share it)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU feature flags from /proc/cpuinfo (empty where it cannot be read, e.g. macOS)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def cpu_has_native_bf16() -> bool:
    """True on x86 CPUs with AVX512-BF16 or AMX-BF16 (where bf16 matmuls beat fp32; elsewhere they are emulated)."""
    flags = cpu_flags()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def cpu_has_int8_dot() -> bool:
    """True on x86 CPUs with an int8 dot-product instruction (AVX512-VNNI, AVX-VNNI or AMX-INT8): where the
    quantized query encoder (``nbits8``, legalret.models.onnx) was measured. AVX2-only CPUs lack them."""
    flags = cpu_flags()
    return bool(flags & {"avx512_vnni", "avx_vnni", "amx_int8"})


def release_freed_memory() -> None:
    """Hand heap freed by large temporary arrays back to the operating system (glibc's ``malloc_trim``).

    glibc keeps freed heap for reuse, so a one-off build — the article profiles' table, ~30 MB of temporary
    sparse matrices on 민법+상법 — would otherwise stay in a long-running server's resident memory. A no-op
    where the C library is not glibc."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
