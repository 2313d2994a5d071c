"""Print a WAT or wasm file as an Inline `data:` URL for a spec's Wasm.EntryModule.

Usage: python examples/inline_module.py MODULE.wat|MODULE.wasm
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import wasmtime


def module_bytes(path: Path) -> bytes:
    """The module in binary form; WAT text is compiled with wasmtime."""
    if path.suffix == ".wat":
        return wasmtime.wat2wasm(path.read_text(encoding="utf-8"))
    return path.read_bytes()


def data_url(path: Path) -> str:
    encoded = base64.b64encode(module_bytes(path)).decode("ascii")
    return f"data:application/wasm;base64,{encoded}"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(data_url(Path(sys.argv[1])))
