"""Print a WAT or wasm file as an Inline `data:` URL for a spec's Wasm.EntryModule.

Usage: python examples/inline_module.py MODULE.wat|MODULE.wasm
"""

from __future__ import annotations

import argparse
import base64
from pathlib import Path

import wasmtime


def module_bytes(path: Path) -> bytes:
    """Return the module in binary form, compiling WAT text with wasmtime."""
    if path.suffix == ".wat":
        return wasmtime.wat2wasm(path.read_text(encoding="utf-8"))
    return path.read_bytes()


def data_url(path: Path) -> str:
    encoded = base64.b64encode(module_bytes(path)).decode("ascii")
    return f"data:application/wasm;base64,{encoded}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Print a WAT or wasm file as an Inline data: URL.")
    parser.add_argument("module", type=Path, help="a .wat text file or a .wasm binary")
    args = parser.parse_args()
    if not args.module.is_file():
        parser.error(f"module file not found: {args.module}")
    print(data_url(args.module))


if __name__ == "__main__":
    main()
