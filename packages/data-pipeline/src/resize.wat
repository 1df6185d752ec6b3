;; Bilinear resize kernel for RGB images with WebAssembly SIMD: TensorFlow's resize_bilinear
;; arithmetic in float32 (top = tl + (tr - tl) * xl, bottom likewise, top + (bottom - top) * yl),
;; one pixel per iteration with its three channels in one f32x4, rounded half up to uint8.
;; Bit-identical to the float32 JS path of resizeImage in resize.ts, which builds the tap tables.
;; The caller leaves 4 bytes of slack after src and dst (32-bit loads and stores).
;; Compiled into src/wasm-kernels.ts by `pnpm gen:wasm` (test/wasm-kernels.test.ts checks it).
(module
  (memory (export "memory") 1)
  ;; bilinear3(src, dst, outW, outH, xtab, ytab)
  ;; xtab: outW entries of 12 bytes: left byte offset (i32), right byte offset (i32), lerp (f32)
  ;; ytab: outH entries of 12 bytes: top row byte offset (i32), bottom row byte offset (i32), lerp (f32)
  (func (export "bilinear3")
    (param $src i32) (param $dst i32) (param $outW i32) (param $outH i32) (param $xtab i32) (param $ytab i32)
    (local $y i32) (local $x i32) (local $top i32) (local $bot i32) (local $yl v128) (local $xl v128)
    (local $xe i32) (local $l i32) (local $r i32) (local $t v128) (local $u v128) (local $o i32) (local $ye i32)
    (local.set $o (local.get $dst))
    (local.set $y (i32.const 0))
    (block $ydone
      (loop $yloop
        (br_if $ydone (i32.ge_s (local.get $y) (local.get $outH)))
        (local.set $ye (i32.add (local.get $ytab) (i32.mul (local.get $y) (i32.const 12))))
        (local.set $top (i32.add (local.get $src) (i32.load (local.get $ye))))
        (local.set $bot (i32.add (local.get $src) (i32.load offset=4 (local.get $ye))))
        (local.set $yl (f32x4.splat (f32.load offset=8 (local.get $ye))))
        (local.set $x (i32.const 0))
        (local.set $xe (local.get $xtab))
        (block $xdone
          (loop $xloop
            (br_if $xdone (i32.ge_s (local.get $x) (local.get $outW)))
            (local.set $l (i32.load (local.get $xe)))
            (local.set $r (i32.load offset=4 (local.get $xe)))
            (local.set $xl (f32x4.splat (f32.load offset=8 (local.get $xe))))
            ;; TF resize_bilinear in float32: top = tl + (tr - tl) * xl; bottom likewise;
            ;; value = top + (bottom - top) * yl
            (local.set $t (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
              (v128.load32_zero (i32.add (local.get $top) (local.get $l)))))))
            (local.set $t (f32x4.add (local.get $t) (f32x4.mul (f32x4.sub
              (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                (v128.load32_zero (i32.add (local.get $top) (local.get $r))))))
              (local.get $t)) (local.get $xl))))
            (local.set $u (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
              (v128.load32_zero (i32.add (local.get $bot) (local.get $l)))))))
            (local.set $u (f32x4.add (local.get $u) (f32x4.mul (f32x4.sub
              (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                (v128.load32_zero (i32.add (local.get $bot) (local.get $r))))))
              (local.get $u)) (local.get $xl))))
            (local.set $t (f32x4.add (local.get $t) (f32x4.mul (f32x4.sub (local.get $u) (local.get $t)) (local.get $yl))))
            ;; round half up: truncate(v + 0.5), v within [0, 255]
            (local.set $t (i32x4.trunc_sat_f32x4_u (f32x4.add (local.get $t) (f32x4.splat (f32.const 0.5)))))
            (local.set $t (i16x8.narrow_i32x4_u (local.get $t) (local.get $t)))
            (local.set $t (i8x16.narrow_i16x8_u (local.get $t) (local.get $t)))
            (v128.store32_lane 0 (local.get $o) (local.get $t))
            (local.set $o (i32.add (local.get $o) (i32.const 3)))
            (local.set $xe (i32.add (local.get $xe) (i32.const 12)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $xloop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yloop)))))
