;; The MaxPoolGrad kernel (../../wasm-grad/max-pool-grad.ts).
;; A fragment of the heap-kernels module: see ../heap-kernels.wat.

  ;; max_pool_grad(x, dy, dx, n, h, w, c, oh, ow, sh, sw, fh, fw, padTop, padLeft)
  ;; dx = 0, then for each pooling window (batch, row, column order) and channel, dy is added
  ;; at the window's first maximum in row-major tap order (strict >, as tfjs-backend-cpu's
  ;; maxPoolPositions and TF): NaN and -Infinity never win, a window of only those adds nothing.
  ;; Four channels at a time: `at` holds, per lane, the winning tap's pixel byte offset (-1: none).
  ;; Bit-identical to the JS loop in ../wasm-grad/max-pool-grad.ts (same additions, same order).
  (func (export "max_pool_grad")
    (param $x i32) (param $dy i32) (param $dx i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $oh i32) (param $ow i32) (param $sh i32) (param $sw i32)
    (param $fh i32) (param $fw i32) (param $padTop i32) (param $padLeft i32)
    (local $pixB i32) (local $rowB i32) (local $imgB i32) (local $vecB i32) (local $cB i32)
    (local $b i32) (local $r i32) (local $q i32) (local $r0 i32) (local $c0 i32)
    (local $rBegin i32) (local $rEnd i32) (local $cBegin i32) (local $cEnd i32)
    (local $xImg i32) (local $dxImg i32) (local $dyp i32) (local $k i32)
    (local $y i32) (local $xx i32) (local $tap i32) (local $off i32) (local $addr i32)
    (local $best v128) (local $at v128) (local $v v128) (local $gt v128) (local $g v128)
    (local $sbest f32) (local $sv f32) (local $sat i32)
    (local.set $pixB (i32.shl (local.get $c) (i32.const 2)))
    (local.set $rowB (i32.mul (local.get $w) (local.get $pixB)))
    (local.set $imgB (i32.mul (local.get $h) (local.get $rowB)))
    (local.set $cB (local.get $pixB))
    (local.set $vecB (i32.and (local.get $cB) (i32.const -16)))
    (memory.fill (local.get $dx) (i32.const 0) (i32.mul (local.get $n) (local.get $imgB)))
    (local.set $dyp (local.get $dy))
    (local.set $b (i32.const 0))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $xImg (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $imgB))))
      (local.set $dxImg (i32.add (local.get $dx) (i32.mul (local.get $b) (local.get $imgB))))
      (local.set $r (i32.const 0))
      (block $rDone (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $oh)))
        (local.set $r0 (i32.sub (i32.mul (local.get $r) (local.get $sh)) (local.get $padTop)))
        (local.set $rBegin (select (local.get $r0) (i32.const 0) (i32.gt_s (local.get $r0) (i32.const 0))))
        (local.set $rEnd (i32.add (local.get $r0) (local.get $fh)))
        (local.set $rEnd (select (local.get $h) (local.get $rEnd) (i32.lt_s (local.get $h) (local.get $rEnd))))
        (local.set $q (i32.const 0))
        (block $qDone (loop $qLoop
          (br_if $qDone (i32.ge_u (local.get $q) (local.get $ow)))
          (local.set $c0 (i32.sub (i32.mul (local.get $q) (local.get $sw)) (local.get $padLeft)))
          (local.set $cBegin (select (local.get $c0) (i32.const 0) (i32.gt_s (local.get $c0) (i32.const 0))))
          (local.set $cEnd (i32.add (local.get $c0) (local.get $fw)))
          (local.set $cEnd (select (local.get $w) (local.get $cEnd) (i32.lt_s (local.get $w) (local.get $cEnd))))

          ;; four channels at a time
          (local.set $k (i32.const 0))
          (block $kDone (loop $kLoop
            (br_if $kDone (i32.ge_u (local.get $k) (local.get $vecB)))
            (local.set $best (f32x4.splat (f32.const -inf)))
            (local.set $at (i32x4.splat (i32.const -1)))
            (local.set $y (local.get $rBegin))
            (block $yDone (loop $yLoop
              (br_if $yDone (i32.ge_s (local.get $y) (local.get $rEnd)))
              (local.set $xx (local.get $cBegin))
              (local.set $tap (i32.add (i32.mul (local.get $y) (local.get $rowB)) (i32.mul (local.get $xx) (local.get $pixB))))
              (block $xDone (loop $xLoop
                (br_if $xDone (i32.ge_s (local.get $xx) (local.get $cEnd)))
                (local.set $v (v128.load (i32.add (i32.add (local.get $xImg) (local.get $tap)) (local.get $k))))
                (local.set $gt (f32x4.gt (local.get $v) (local.get $best)))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $gt)))
                (local.set $at (v128.bitselect (i32x4.splat (local.get $tap)) (local.get $at) (local.get $gt)))
                (local.set $tap (i32.add (local.get $tap) (local.get $pixB)))
                (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
                (br $xLoop)))
              (local.set $y (i32.add (local.get $y) (i32.const 1)))
              (br $yLoop)))
            (local.set $g (v128.load (i32.add (local.get $dyp) (local.get $k))))
            (local.set $addr (i32.add (local.get $dxImg) (local.get $k)))
            (local.set $off (i32x4.extract_lane 0 (local.get $at)))
            (if (i32.ge_s (local.get $off) (i32.const 0)) (then
              (f32.store (i32.add (local.get $addr) (local.get $off))
                (f32.add (f32.load (i32.add (local.get $addr) (local.get $off))) (f32x4.extract_lane 0 (local.get $g))))))
            (local.set $off (i32x4.extract_lane 1 (local.get $at)))
            (if (i32.ge_s (local.get $off) (i32.const 0)) (then
              (f32.store offset=4 (i32.add (local.get $addr) (local.get $off))
                (f32.add (f32.load offset=4 (i32.add (local.get $addr) (local.get $off))) (f32x4.extract_lane 1 (local.get $g))))))
            (local.set $off (i32x4.extract_lane 2 (local.get $at)))
            (if (i32.ge_s (local.get $off) (i32.const 0)) (then
              (f32.store offset=8 (i32.add (local.get $addr) (local.get $off))
                (f32.add (f32.load offset=8 (i32.add (local.get $addr) (local.get $off))) (f32x4.extract_lane 2 (local.get $g))))))
            (local.set $off (i32x4.extract_lane 3 (local.get $at)))
            (if (i32.ge_s (local.get $off) (i32.const 0)) (then
              (f32.store offset=12 (i32.add (local.get $addr) (local.get $off))
                (f32.add (f32.load offset=12 (i32.add (local.get $addr) (local.get $off))) (f32x4.extract_lane 3 (local.get $g))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $kLoop)))

          ;; the last c % 4 channels one at a time
          (block $sDone (loop $sLoop
            (br_if $sDone (i32.ge_u (local.get $k) (local.get $cB)))
            (local.set $sbest (f32.const -inf))
            (local.set $sat (i32.const -1))
            (local.set $y (local.get $rBegin))
            (block $yDone (loop $yLoop
              (br_if $yDone (i32.ge_s (local.get $y) (local.get $rEnd)))
              (local.set $xx (local.get $cBegin))
              (local.set $tap (i32.add (i32.mul (local.get $y) (local.get $rowB)) (i32.mul (local.get $xx) (local.get $pixB))))
              (block $xDone (loop $xLoop
                (br_if $xDone (i32.ge_s (local.get $xx) (local.get $cEnd)))
                (local.set $sv (f32.load (i32.add (i32.add (local.get $xImg) (local.get $tap)) (local.get $k))))
                (if (f32.gt (local.get $sv) (local.get $sbest)) (then
                  (local.set $sbest (local.get $sv))
                  (local.set $sat (local.get $tap))))
                (local.set $tap (i32.add (local.get $tap) (local.get $pixB)))
                (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
                (br $xLoop)))
              (local.set $y (i32.add (local.get $y) (i32.const 1)))
              (br $yLoop)))
            (if (i32.ge_s (local.get $sat) (i32.const 0)) (then
              (local.set $addr (i32.add (i32.add (local.get $dxImg) (local.get $k)) (local.get $sat)))
              (f32.store (local.get $addr)
                (f32.add (f32.load (local.get $addr)) (f32.load (i32.add (local.get $dyp) (local.get $k)))))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $sLoop)))

          (local.set $dyp (i32.add (local.get $dyp) (local.get $cB)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $qLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bLoop))))
