;; Snappy block compression of one fragment (at most 64 KiB), WebAssembly text.
;; The same algorithm as compressFragment in snappy.ts, step for step, so both write the same
;; bytes (the tests compare them): 4-byte hash table of 16-bit positions, 32-miss skipping,
;; greedy copies. What WebAssembly adds: 8-byte loads and compares without bounds checks, and
;; ctz for the end of a match.
;;
;; Memory (exported, grown by the caller): the match table (2^14 u16) at 0, then the caller's
;; input and output wherever it puts them.
;;
;; Regenerate snappy-wasm.ts after editing: node src/remotewrite/snappy-wasm-build.mjs
(module
  (memory (export "memory") 1)

  ;; Literal src[from, to) at dst[d]; returns the new d.
  (func $literal (param $d i32) (param $from i32) (param $to i32) (result i32)
    (local $len i32) (local $m i32)
    (local.set $len (i32.sub (local.get $to) (local.get $from)))
    (if (i32.eqz (local.get $len)) (then (return (local.get $d))))
    (local.set $m (i32.sub (local.get $len) (i32.const 1)))
    (if (i32.lt_u (local.get $m) (i32.const 60))
      (then
        (i32.store8 (local.get $d) (i32.shl (local.get $m) (i32.const 2)))
        (local.set $d (i32.add (local.get $d) (i32.const 1))))
      (else (if (i32.lt_u (local.get $m) (i32.const 0x100))
        (then
          (i32.store8 (local.get $d) (i32.const 240)) ;; 60 << 2
          (i32.store8 offset=1 (local.get $d) (local.get $m))
          (local.set $d (i32.add (local.get $d) (i32.const 2))))
        (else (if (i32.lt_u (local.get $m) (i32.const 0x10000))
          (then
            (i32.store8 (local.get $d) (i32.const 244)) ;; 61 << 2
            (i32.store16 offset=1 (local.get $d) (local.get $m))
            (local.set $d (i32.add (local.get $d) (i32.const 3))))
          (else (if (i32.lt_u (local.get $m) (i32.const 0x1000000))
            (then
              (i32.store8 (local.get $d) (i32.const 248)) ;; 62 << 2
              (i32.store16 offset=1 (local.get $d) (local.get $m))
              (i32.store8 offset=3 (local.get $d) (i32.shr_u (local.get $m) (i32.const 16)))
              (local.set $d (i32.add (local.get $d) (i32.const 4))))
            (else
              (i32.store8 (local.get $d) (i32.const 252)) ;; 63 << 2
              (i32.store offset=1 (local.get $d) (local.get $m))
              (local.set $d (i32.add (local.get $d) (i32.const 5)))))))))))
    (memory.copy (local.get $d) (local.get $from) (local.get $len))
    (i32.add (local.get $d) (local.get $len)))

  ;; Copy element with a 2-byte offset, length 1..64.
  (func $copy2 (param $d i32) (param $offset i32) (param $length i32) (result i32)
    (i32.store8 (local.get $d)
      (i32.or (i32.const 2) (i32.shl (i32.sub (local.get $length) (i32.const 1)) (i32.const 2))))
    (i32.store16 offset=1 (local.get $d) (local.get $offset))
    (i32.add (local.get $d) (i32.const 3)))

  ;; A copy of length >= 4 from offset (1..65535) back, as snappy.ts's emitCopy.
  (func $copy (param $d i32) (param $offset i32) (param $length i32) (result i32)
    (block $done
      (loop $long
        (br_if $done (i32.lt_u (local.get $length) (i32.const 68)))
        (local.set $d (call $copy2 (local.get $d) (local.get $offset) (i32.const 64)))
        (local.set $length (i32.sub (local.get $length) (i32.const 64)))
        (br $long)))
    (if (i32.gt_u (local.get $length) (i32.const 64))
      (then
        (local.set $d (call $copy2 (local.get $d) (local.get $offset) (i32.const 60)))
        (local.set $length (i32.sub (local.get $length) (i32.const 60)))))
    (if (i32.and (i32.lt_u (local.get $length) (i32.const 12))
                 (i32.lt_u (local.get $offset) (i32.const 2048)))
      (then
        (i32.store8 (local.get $d)
          (i32.or (i32.or (i32.const 1)
                          (i32.shl (i32.sub (local.get $length) (i32.const 4)) (i32.const 2)))
                  (i32.shl (i32.shr_u (local.get $offset) (i32.const 8)) (i32.const 5))))
        (i32.store8 offset=1 (local.get $d) (local.get $offset))
        (return (i32.add (local.get $d) (i32.const 2)))))
    (call $copy2 (local.get $d) (local.get $offset) (local.get $length)))

  ;; Compresses src[base, end) (end - base >= 17, <= 65536) to dst[d...]; returns the new d.
  (func (export "fragment") (param $base i32) (param $end i32) (param $d i32) (result i32)
    (local $bits i32) (local $shift i32) (local $limit i32) (local $emitFrom i32)
    (local $s i32) (local $next i32) (local $nextHash i32) (local $misses i32)
    (local $stride i32) (local $candidate i32) (local $matchStart i32) (local $c i32)
    (local $h i32) (local $x i32) (local $x64 i64)
    ;; Table size: the smallest power of two >= the fragment, 2^8 .. 2^14.
    (local.set $bits (i32.const 8))
    (block $sized
      (loop $grow
        (br_if $sized (i32.ge_u (local.get $bits) (i32.const 14)))
        (br_if $sized (i32.ge_u (i32.shl (i32.const 1) (local.get $bits))
                                (i32.sub (local.get $end) (local.get $base))))
        (local.set $bits (i32.add (local.get $bits) (i32.const 1)))
        (br $grow)))
    (local.set $shift (i32.sub (i32.const 32) (local.get $bits)))
    (memory.fill (i32.const 0) (i32.const 0) (i32.shl (i32.const 2) (local.get $bits)))
    (local.set $limit (i32.sub (local.get $end) (i32.const 15)))
    (local.set $emitFrom (local.get $base))
    (local.set $s (i32.add (local.get $base) (i32.const 1)))
    (local.set $nextHash (i32.shr_u (i32.mul (i32.load (local.get $s)) (i32.const 0x1e35a7bd))
                                    (local.get $shift)))
    (block $search
      (loop $outer
        ;; Scan for a 4-byte match, skipping faster after 32 misses in a row.
        (local.set $misses (i32.const 32))
        (local.set $next (local.get $s))
        (block $found
          (loop $scan
            (local.set $s (local.get $next))
            (local.set $stride (i32.shr_u (local.get $misses) (i32.const 5)))
            (local.set $next (i32.add (local.get $s) (local.get $stride)))
            (local.set $misses (i32.add (local.get $misses) (local.get $stride)))
            (br_if $search (i32.gt_u (local.get $next) (local.get $limit)))
            (local.set $h (i32.shl (local.get $nextHash) (i32.const 1)))
            (local.set $candidate (i32.add (local.get $base) (i32.load16_u (local.get $h))))
            (i32.store16 (local.get $h) (i32.sub (local.get $s) (local.get $base)))
            (local.set $nextHash
              (i32.shr_u (i32.mul (i32.load (local.get $next)) (i32.const 0x1e35a7bd))
                         (local.get $shift)))
            (br_if $found (i32.eq (i32.load (local.get $s)) (i32.load (local.get $candidate))))
            (br $scan)))
        (local.set $d (call $literal (local.get $d) (local.get $emitFrom) (local.get $s)))
        ;; Copies, as long as the position after one starts another match.
        (loop $copies
          (local.set $matchStart (local.get $s))
          (local.set $c (i32.add (local.get $candidate) (i32.const 4)))
          (local.set $s (i32.add (local.get $s) (i32.const 4)))
;; Extend 8 bytes at a time; the first differing word ends the match at the low zero
          ;; bytes of the XOR (little-endian); fewer than 8 bytes before end: byte by byte.
          (block $extended
            (block $nearEnd
              (loop $by8
                (br_if $nearEnd (i32.gt_u (i32.add (local.get $s) (i32.const 8)) (local.get $end)))
                (local.set $x64 (i64.xor (i64.load (local.get $s)) (i64.load (local.get $c))))
                (if (i64.ne (local.get $x64) (i64.const 0))
                  (then
                    (local.set $s (i32.add (local.get $s)
                      (i32.wrap_i64 (i64.shr_u (i64.ctz (local.get $x64)) (i64.const 3)))))
                    (br $extended)))
                (local.set $s (i32.add (local.get $s) (i32.const 8)))
                (local.set $c (i32.add (local.get $c) (i32.const 8)))
                (br $by8)))
            (loop $bytes
              (br_if $extended (i32.ge_u (local.get $s) (local.get $end)))
              (br_if $extended (i32.ne (i32.load8_u (local.get $s)) (i32.load8_u (local.get $c))))
              (local.set $s (i32.add (local.get $s) (i32.const 1)))
              (local.set $c (i32.add (local.get $c) (i32.const 1)))
              (br $bytes)))
          (local.set $d (call $copy (local.get $d)
            (i32.sub (local.get $matchStart) (local.get $candidate))
            (i32.sub (local.get $s) (local.get $matchStart))))
          (local.set $emitFrom (local.get $s))
          (br_if $search (i32.ge_u (local.get $s) (local.get $limit)))
          ;; Index the position before s and s itself, then test s.
          (i32.store16
            (i32.shl (i32.shr_u (i32.mul (i32.load (i32.sub (local.get $s) (i32.const 1)))
                                         (i32.const 0x1e35a7bd))
                                (local.get $shift))
                     (i32.const 1))
            (i32.sub (i32.sub (local.get $s) (i32.const 1)) (local.get $base)))
          (local.set $x (i32.load (local.get $s)))
          (local.set $h (i32.shl (i32.shr_u (i32.mul (local.get $x) (i32.const 0x1e35a7bd))
                                            (local.get $shift))
                                 (i32.const 1)))
          (local.set $candidate (i32.add (local.get $base) (i32.load16_u (local.get $h))))
          (i32.store16 (local.get $h) (i32.sub (local.get $s) (local.get $base)))
          (br_if $copies (i32.eq (local.get $x) (i32.load (local.get $candidate)))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (local.set $nextHash
          (i32.shr_u (i32.mul (i32.load (local.get $s)) (i32.const 0x1e35a7bd)) (local.get $shift)))
        (br $outer)))
    (if (i32.lt_u (local.get $emitFrom) (local.get $end))
      (then (local.set $d (call $literal (local.get $d) (local.get $emitFrom) (local.get $end)))))
    (local.get $d))
)
