;; A WASI preview 1 program that prints "Hello, world!" and exits with code 0.
;; examples/hello-wasm.yaml carries this module, compiled, as an Inline data URL;
;; regenerate it with `python examples/inline_module.py examples/hello.wat`.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

  ;; The text, then one iovec {pointer, length} at offset 16 pointing at it.
  (data (i32.const 0) "Hello, world!\n")
  (data (i32.const 16) "\00\00\00\00\0e\00\00\00")

  (func (export "_start")
    ;; fd 1 is stdout; the number of bytes written lands at offset 24.
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))
