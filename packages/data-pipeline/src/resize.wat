;; Bilinear resize kernel for RGB images with WebAssembly SIMD: TensorFlow's resize_bilinear
;; arithmetic in float32 (top = tl + (tr - tl) * xl, bottom likewise, top + (bottom - top) * yl),
;; one pixel per step with its three channels in one f32x4, rounded half up to uint8.
;; Separable: a source row's horizontal interpolations (top or bottom alike) are computed once
;; into one of two cached rows of f32x4, and each output row is the vertical lerp of two of them;
;; for a downscale this computes each source row once where the direct form computes it twice.
;; The operations, and their order per value, are the direct form's: the output is the same.
;; Bit-identical to the float32 JS path of resizeImage in resize.ts, which builds the tap tables.
;; The caller leaves 4 bytes of slack after src and dst (32-bit loads and stores).
;; Compiled into src/wasm-kernels.ts by `pnpm gen:wasm` (test/wasm-kernels.test.ts checks it).
(module
  (memory (export "memory") 1)
  ;; hrow(row, out, outW, xtab): out[x] = tl + (tr - tl) * xl for one source row, as f32x4.
  (func $hrow (param $row i32) (param $out i32) (param $outW i32) (param $xtab i32)
    (local $xe i32) (local $end i32) (local $t v128)
    (local.set $xe (local.get $xtab))
    (local.set $end (i32.add (local.get $xtab) (i32.mul (local.get $outW) (i32.const 12))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $xe) (local.get $end)))
        (local.set $t (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
          (v128.load32_zero (i32.add (local.get $row) (i32.load (local.get $xe))))))))
        (v128.store (local.get $out) (f32x4.add (local.get $t) (f32x4.mul (f32x4.sub
          (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
            (v128.load32_zero (i32.add (local.get $row) (i32.load offset=4 (local.get $xe)))))))
          (local.get $t)) (f32x4.splat (f32.load offset=8 (local.get $xe))))))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $xe (i32.add (local.get $xe) (i32.const 12)))
        (br $next))))
  ;; bilinear3(src, dst, outW, outH, xtab, ytab, scratch)
  ;; xtab: outW entries of 12 bytes: left byte offset (i32), right byte offset (i32), lerp (f32)
  ;; ytab: outH entries of 12 bytes: top row byte offset (i32), bottom row byte offset (i32), lerp (f32)
  ;; scratch: 2 * outW * 16 bytes, 16-aligned: the two cached rows
  (func (export "bilinear3")
    (param $src i32) (param $dst i32) (param $outW i32) (param $outH i32) (param $xtab i32) (param $ytab i32) (param $scratch i32)
    (local $ye i32) (local $yend i32) (local $top i32) (local $bot i32) (local $yl v128)
    (local $rowA i32) (local $rowB i32) (local $slotA i32) (local $slotB i32) (local $ht i32) (local $hb i32)
    (local $x i32) (local $o i32) (local $t v128)
    (local.set $slotA (local.get $scratch))
    (local.set $slotB (i32.add (local.get $scratch) (i32.mul (local.get $outW) (i32.const 16))))
    (local.set $rowA (i32.const -1))
    (local.set $rowB (i32.const -1))
    (local.set $o (local.get $dst))
    (local.set $ye (local.get $ytab))
    (local.set $yend (i32.add (local.get $ytab) (i32.mul (local.get $outH) (i32.const 12))))
    (block $ydone
      (loop $yloop
        (br_if $ydone (i32.ge_u (local.get $ye) (local.get $yend)))
        (local.set $top (i32.load (local.get $ye)))
        (local.set $bot (i32.load offset=4 (local.get $ye)))
        (local.set $yl (f32x4.splat (f32.load offset=8 (local.get $ye))))
        ;; the top row: cached, or computed into the slot that does not hold the bottom row
        (if (i32.eq (local.get $top) (local.get $rowA))
          (then (local.set $ht (local.get $slotA)))
          (else (if (i32.eq (local.get $top) (local.get $rowB))
            (then (local.set $ht (local.get $slotB)))
            (else (if (i32.eq (local.get $bot) (local.get $rowA))
              (then
                (call $hrow (i32.add (local.get $src) (local.get $top)) (local.get $slotB) (local.get $outW) (local.get $xtab))
                (local.set $rowB (local.get $top))
                (local.set $ht (local.get $slotB)))
              (else
                (call $hrow (i32.add (local.get $src) (local.get $top)) (local.get $slotA) (local.get $outW) (local.get $xtab))
                (local.set $rowA (local.get $top))
                (local.set $ht (local.get $slotA))))))))
        ;; the bottom row: cached, or computed into the slot that does not hold the top row
        (if (i32.eq (local.get $bot) (local.get $rowA))
          (then (local.set $hb (local.get $slotA)))
          (else (if (i32.eq (local.get $bot) (local.get $rowB))
            (then (local.set $hb (local.get $slotB)))
            (else (if (i32.eq (local.get $ht) (local.get $slotA))
              (then
                (call $hrow (i32.add (local.get $src) (local.get $bot)) (local.get $slotB) (local.get $outW) (local.get $xtab))
                (local.set $rowB (local.get $bot))
                (local.set $hb (local.get $slotB)))
              (else
                (call $hrow (i32.add (local.get $src) (local.get $bot)) (local.get $slotA) (local.get $outW) (local.get $xtab))
                (local.set $rowA (local.get $bot))
                (local.set $hb (local.get $slotA))))))))
        (local.set $x (i32.const 0))
        (block $xdone
          (loop $xloop
            (br_if $xdone (i32.ge_s (local.get $x) (local.get $outW)))
            (local.set $t (v128.load (local.get $ht)))
            (local.set $t (f32x4.add (local.get $t) (f32x4.mul (f32x4.sub (v128.load (local.get $hb)) (local.get $t)) (local.get $yl))))
            ;; round half up: truncate(v + 0.5), v within [0, 255]
            (local.set $t (i32x4.trunc_sat_f32x4_u (f32x4.add (local.get $t) (f32x4.splat (f32.const 0.5)))))
            (local.set $t (i16x8.narrow_i32x4_u (local.get $t) (local.get $t)))
            (local.set $t (i8x16.narrow_i16x8_u (local.get $t) (local.get $t)))
            (v128.store32_lane 0 (local.get $o) (local.get $t))
            (local.set $o (i32.add (local.get $o) (i32.const 3)))
            (local.set $ht (i32.add (local.get $ht) (i32.const 16)))
            (local.set $hb (i32.add (local.get $hb) (i32.const 16)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $xloop)))
        ;; $ht and $hb walked their rows: point them back at their slots' starts is not needed,
        ;; the next row looks them up again
        (local.set $ye (i32.add (local.get $ye) (i32.const 12)))
        (br $yloop)))))
