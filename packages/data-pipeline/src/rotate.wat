;; Bilinear rotation kernel for RGB images with WebAssembly SIMD (one pixel per iteration, its
;; three channels in one i32x4). Bit-identical to the JS path of rotateImage in augment.ts: same
;; 16.16 fixed-point coordinates, same REFLECT mapping (one reflection), same 10-bit weights.
;; The caller checks that every sample lies within one reflection, and leaves 4 bytes of slack
;; after src (32-bit loads read one byte past a pixel) and after dst (32-bit stores).
;; Compiled into src/wasm-kernels.ts by `pnpm gen:wasm` (test/wasm-kernels.test.ts checks it).
(module
  (memory (export "memory") 1)
  ;; rotate3(src, dst, w, h, b, c, e, f, stepX, stepY): RGB, all samples within one reflection.
  (func (export "rotate3")
    (param $src i32) (param $dst i32) (param $w i32) (param $h i32)
    (param $b f64) (param $c f64) (param $e f64) (param $f f64) (param $stepX i32) (param $stepY i32)
    (local $y i32) (local $x i32) (local $sx i32) (local $sy i32) (local $px i32) (local $py i32)
    (local $maxXF i32) (local $maxYF i32) (local $reflX i32) (local $reflY i32) (local $stride i32)
    (local $x0 i32) (local $y0 i32) (local $fx i32) (local $fy i32) (local $gx i32) (local $gy i32)
    (local $p00 i32) (local $p01 i32) (local $dy i32) (local $o i32) (local $acc v128)
    (local.set $maxXF (i32.shl (i32.sub (local.get $w) (i32.const 1)) (i32.const 16)))
    (local.set $maxYF (i32.shl (i32.sub (local.get $h) (i32.const 1)) (i32.const 16)))
    (local.set $reflX (i32.shl (i32.sub (i32.shl (local.get $w) (i32.const 1)) (i32.const 1)) (i32.const 16)))
    (local.set $reflY (i32.shl (i32.sub (i32.shl (local.get $h) (i32.const 1)) (i32.const 1)) (i32.const 16)))
    (local.set $stride (i32.mul (local.get $w) (i32.const 3)))
    (local.set $o (local.get $dst))
    (local.set $y (i32.const 0))
    (block $ydone
      (loop $yloop
        (br_if $ydone (i32.ge_s (local.get $y) (local.get $h)))
        ;; Math.round(v * 65536) == floor(v * 65536 + 0.5)
        (local.set $sx (i32.trunc_sat_f64_s (f64.floor (f64.add (f64.mul
          (f64.add (f64.mul (local.get $b) (f64.convert_i32_s (local.get $y))) (local.get $c)) (f64.const 65536)) (f64.const 0.5)))))
        (local.set $sy (i32.trunc_sat_f64_s (f64.floor (f64.add (f64.mul
          (f64.add (f64.mul (local.get $e) (f64.convert_i32_s (local.get $y))) (local.get $f)) (f64.const 65536)) (f64.const 0.5)))))
        (local.set $x (i32.const 0))
        (block $xdone
          (loop $xloop
            (br_if $xdone (i32.ge_s (local.get $x) (local.get $w)))
            (local.set $px (local.get $sx))
            (local.set $py (local.get $sy))
            ;; Samples outside the image: REFLECT (c < 0 -> -c - 1, c > len - 1 -> 2 len - 1 - c),
            ;; then clamp. Inside, nothing to do (the common case, one well-predicted branch).
            (if (i32.or
                  (i32.gt_u (local.get $px) (local.get $maxXF))
                  (i32.gt_u (local.get $py) (local.get $maxYF)))
              (then
                (if (i32.lt_s (local.get $px) (i32.const 0))
                  (then (local.set $px (i32.sub (i32.sub (i32.const 0) (local.get $px)) (i32.const 65536))))
                  (else (if (i32.gt_s (local.get $px) (local.get $maxXF))
                    (then (local.set $px (i32.sub (local.get $reflX) (local.get $px)))))))
                (if (i32.lt_s (local.get $py) (i32.const 0))
                  (then (local.set $py (i32.sub (i32.sub (i32.const 0) (local.get $py)) (i32.const 65536))))
                  (else (if (i32.gt_s (local.get $py) (local.get $maxYF))
                    (then (local.set $py (i32.sub (local.get $reflY) (local.get $py)))))))
                (local.set $px (select (i32.const 0) (local.get $px) (i32.lt_s (local.get $px) (i32.const 0))))
                (local.set $px (select (local.get $maxXF) (local.get $px) (i32.gt_s (local.get $px) (local.get $maxXF))))
                (local.set $py (select (i32.const 0) (local.get $py) (i32.lt_s (local.get $py) (i32.const 0))))
                (local.set $py (select (local.get $maxYF) (local.get $py) (i32.gt_s (local.get $py) (local.get $maxYF))))))
            (local.set $x0 (i32.shr_s (local.get $px) (i32.const 16)))
            (local.set $y0 (i32.shr_s (local.get $py) (i32.const 16)))
            (local.set $fx (i32.shr_u (i32.and (local.get $px) (i32.const 65535)) (i32.const 6)))
            (local.set $fy (i32.shr_u (i32.and (local.get $py) (i32.const 65535)) (i32.const 6)))
            (local.set $gx (i32.sub (i32.const 1024) (local.get $fx)))
            (local.set $gy (i32.sub (i32.const 1024) (local.get $fy)))
            (local.set $p00 (i32.add (local.get $src)
              (i32.add (i32.mul (local.get $y0) (local.get $stride)) (i32.mul (local.get $x0) (i32.const 3)))))
            ;; a tap one past the edge has weight 0: reuse the edge pixel
            (local.set $p01 (select (i32.add (local.get $p00) (i32.const 3)) (local.get $p00)
              (i32.lt_s (local.get $x0) (i32.sub (local.get $w) (i32.const 1)))))
            (local.set $dy (select (local.get $stride) (i32.const 0)
              (i32.lt_s (local.get $y0) (i32.sub (local.get $h) (i32.const 1)))))
            (local.set $acc
              (i32x4.add
                (i32x4.add
                  (i32x4.mul (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p00))))
                             (i32x4.splat (i32.mul (local.get $gx) (local.get $gy))))
                  (i32x4.mul (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p01))))
                             (i32x4.splat (i32.mul (local.get $fx) (local.get $gy)))))
                (i32x4.add
                  (i32x4.mul (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (i32.add (local.get $p00) (local.get $dy)))))
                             (i32x4.splat (i32.mul (local.get $gx) (local.get $fy))))
                  (i32x4.mul (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (i32.add (local.get $p01) (local.get $dy)))))
                             (i32x4.splat (i32.mul (local.get $fx) (local.get $fy)))))))
            (local.set $acc (i32x4.shr_u (i32x4.add (local.get $acc) (i32x4.splat (i32.const 524288))) (i32.const 20)))
            (local.set $acc (i16x8.narrow_i32x4_u (local.get $acc) (local.get $acc)))
            (local.set $acc (i8x16.narrow_i16x8_u (local.get $acc) (local.get $acc)))
            ;; writes 4 bytes: the 4th is overwritten by the next pixel (dst has 1 byte of slack)
            (v128.store32_lane 0 (local.get $o) (local.get $acc))
            (local.set $o (i32.add (local.get $o) (i32.const 3)))
            (local.set $sx (i32.add (local.get $sx) (local.get $stepX)))
            (local.set $sy (i32.add (local.get $sy) (local.get $stepY)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $xloop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yloop)))))
