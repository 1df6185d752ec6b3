;; WebAssembly SIMD kernels that work in place on tfjs-backend-wasm's own heap: the module
;; imports the backend's memory, and every pointer below is a tensor's byte offset in it
;; (backend.dataIdMap.get(dataId).memoryOffset), so nothing is copied in or out.
;; All sizes and strides are in float32 elements unless a name ends in B (bytes).
;; `pnpm gen:wasm` compiles this file twice into heap-kernels-wasm.ts: as is, for the
;; single-threaded build's plain memory, and with the import below declared
;; `(memory 1 65536 shared)` for the threaded build's SharedArrayBuffer memory.
;; test/heap-kernels.test.ts checks the generated file is up to date.
(module
  (import "env" "memory" (memory 1))

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

  ;; transpose(src, dst, rows, cols, srcRow, dstRow, batches, srcBatch, dstBatch)
  ;; For every batch t: dst[t*dstBatch + j*dstRow + i] = src[t*srcBatch + i*srcRow + j],
  ;; i < rows, j < cols (4-byte elements: a pure copy, bit for bit). 4x4 blocks through
  ;; registers (two rounds of shuffles), in tiles of a few columns so the destination rows a
  ;; tile writes stay in L1 while whole 64-byte lines of them fill up; edges one element at a time.
  (func (export "transpose")
    (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (param $srcRow i32) (param $dstRow i32) (param $batches i32) (param $srcBatch i32) (param $dstBatch i32)
    (local $sRB i32) (local $dRB i32) (local $rows4 i32) (local $cols4 i32) (local $tile i32)
    (local $t i32) (local $s i32) (local $d i32) (local $j0 i32) (local $jEnd i32)
    (local $i i32) (local $j i32) (local $sp i32) (local $dp i32)
    (local $a v128) (local $b v128) (local $c v128) (local $e v128)
    (local $ab0 v128) (local $ab1 v128) (local $ce0 v128) (local $ce1 v128)
    (local.set $sRB (i32.shl (local.get $srcRow) (i32.const 2)))
    (local.set $dRB (i32.shl (local.get $dstRow) (i32.const 2)))
    (local.set $rows4 (i32.and (local.get $rows) (i32.const -4)))
    ;; 16 columns per tile: 16 destination rows, each filled 16 bytes per step, whole 64-byte
    ;; lines every 4 steps. Where the destination stride is a multiple of 4 KiB those rows all
    ;; fall into the same L1 set (8-way here) and evict each other: 8 columns then.
    (local.set $tile (select (i32.const 8) (i32.const 16) (i32.eqz (i32.and (local.get $dRB) (i32.const 4095)))))
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $t (i32.const 0))
    (block $tDone (loop $tLoop
      (br_if $tDone (i32.ge_u (local.get $t) (local.get $batches)))
      (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (local.get $t) (local.get $srcBatch)) (i32.const 2))))
      (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $t) (local.get $dstBatch)) (i32.const 2))))
      ;; 4x4 blocks
      (local.set $j0 (i32.const 0))
      (block $jtDone (loop $jtLoop
        (br_if $jtDone (i32.ge_u (local.get $j0) (local.get $cols4)))
        (local.set $jEnd (i32.add (local.get $j0) (local.get $tile)))
        (local.set $jEnd (select (local.get $cols4) (local.get $jEnd) (i32.lt_u (local.get $cols4) (local.get $jEnd))))
        (local.set $i (i32.const 0))
        (block $iDone (loop $iLoop
          (br_if $iDone (i32.ge_u (local.get $i) (local.get $rows4)))
          (local.set $sp (i32.add (local.get $s)
            (i32.add (i32.mul (local.get $i) (local.get $sRB)) (i32.shl (local.get $j0) (i32.const 2)))))
          (local.set $dp (i32.add (local.get $d)
            (i32.add (i32.mul (local.get $j0) (local.get $dRB)) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $j (local.get $j0))
          (block $jDone (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $jEnd)))
            (local.set $a (v128.load (local.get $sp)))
            (local.set $b (v128.load (i32.add (local.get $sp) (local.get $sRB))))
            (local.set $c (v128.load (i32.add (local.get $sp) (i32.shl (local.get $sRB) (i32.const 1)))))
            (local.set $e (v128.load (i32.add (local.get $sp) (i32.mul (local.get $sRB) (i32.const 3)))))
            ;; [a0 b0 a1 b1] [a2 b2 a3 b3] [c0 e0 c1 e1] [c2 e2 c3 e3]
            (local.set $ab0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
            (local.set $ab1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $ce0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $e)))
            (local.set $ce1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $e)))
            ;; columns: [a0 b0 c0 e0] [a1 b1 c1 e1] [a2 b2 c2 e2] [a3 b3 c3 e3]
            (v128.store (local.get $dp)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab0) (local.get $ce0)))
            (v128.store (i32.add (local.get $dp) (local.get $dRB))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab0) (local.get $ce0)))
            (v128.store (i32.add (local.get $dp) (i32.shl (local.get $dRB) (i32.const 1)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab1) (local.get $ce1)))
            (v128.store (i32.add (local.get $dp) (i32.mul (local.get $dRB) (i32.const 3)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab1) (local.get $ce1)))
            (local.set $sp (i32.add (local.get $sp) (i32.const 16)))
            (local.set $dp (i32.add (local.get $dp) (i32.shl (local.get $dRB) (i32.const 2))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $jLoop)))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $iLoop)))
        (local.set $j0 (local.get $jEnd))
        (br $jtLoop)))
      ;; the last cols % 4 columns of the first rows4 rows
      (local.set $i (i32.const 0))
      (block $eDone (loop $eLoop
        (br_if $eDone (i32.ge_u (local.get $i) (local.get $rows4)))
        (local.set $j (local.get $cols4))
        (block $fDone (loop $fLoop
          (br_if $fDone (i32.ge_u (local.get $j) (local.get $cols)))
          (i32.store
            (i32.add (local.get $d) (i32.add (i32.mul (local.get $j) (local.get $dRB)) (i32.shl (local.get $i) (i32.const 2))))
            (i32.load (i32.add (local.get $s) (i32.add (i32.mul (local.get $i) (local.get $sRB)) (i32.shl (local.get $j) (i32.const 2))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $fLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $eLoop)))
      ;; the last rows % 4 rows, every column
      (local.set $i (local.get $rows4))
      (block $gDone (loop $gLoop
        (br_if $gDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $hDone (loop $hLoop
          (br_if $hDone (i32.ge_u (local.get $j) (local.get $cols)))
          (i32.store
            (i32.add (local.get $d) (i32.add (i32.mul (local.get $j) (local.get $dRB)) (i32.shl (local.get $i) (i32.const 2))))
            (i32.load (i32.add (local.get $s) (i32.add (i32.mul (local.get $i) (local.get $sRB)) (i32.shl (local.get $j) (i32.const 2))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $hLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $gLoop)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tLoop))))

  ;; transpose_blocks(src, dst, rows, cols, block)
  ;; [rows, cols, block] -> [cols, rows, block]: each run of `block` elements moves whole.
  ;; Written in destination order (sequential stores), 16 bytes at a time, then 4.
  (func (export "transpose_blocks")
    (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32) (param $block i32)
    (local $blockB i32) (local $vecB i32) (local $srcRowB i32) (local $i i32) (local $j i32)
    (local $sp i32) (local $dp i32) (local $k i32)
    (local.set $blockB (i32.shl (local.get $block) (i32.const 2)))
    (local.set $vecB (i32.and (local.get $blockB) (i32.const -16)))
    (local.set $srcRowB (i32.mul (local.get $cols) (local.get $blockB)))
    (local.set $dp (local.get $dst))
    (local.set $j (i32.const 0))
    (block $jDone (loop $jLoop
      (br_if $jDone (i32.ge_u (local.get $j) (local.get $cols)))
      (local.set $sp (i32.add (local.get $src) (i32.mul (local.get $j) (local.get $blockB))))
      (local.set $i (i32.const 0))
      (block $iDone (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $k (i32.const 0))
        (block $vDone (loop $vLoop
          (br_if $vDone (i32.ge_u (local.get $k) (local.get $vecB)))
          (v128.store (i32.add (local.get $dp) (local.get $k)) (v128.load (i32.add (local.get $sp) (local.get $k))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $vLoop)))
        (block $sDone (loop $sLoop
          (br_if $sDone (i32.ge_u (local.get $k) (local.get $blockB)))
          (i32.store (i32.add (local.get $dp) (local.get $k)) (i32.load (i32.add (local.get $sp) (local.get $k))))
          (local.set $k (i32.add (local.get $k) (i32.const 4)))
          (br $sLoop)))
        (local.set $dp (i32.add (local.get $dp) (local.get $blockB)))
        (local.set $sp (i32.add (local.get $sp) (local.get $srcRowB)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $jLoop))))


  ;; dw_filter_grad(x, dy, dw, n, h, w, c, oh, ow, sh, sw, fh, fw, dh, dwid, padTop, padLeft)
  ;; The filter gradient of a depthwise convolution with channel multiplier 1 (NHWC, dW as
  ;; [fh, fw, c]): dW[kh,kw,ch] = sum over b, oy, ox of x[b, oy*sh + kh*dh - padTop,
  ;; ox*sw + kw*dwid - padLeft, ch] * dy[b, oy, ox, ch], out-of-image taps contributing 0.
  ;; For each output row and tap, four channels at a time are summed along the row in a
  ;; register and then added to dW (which stays in cache), so x and dy are read row by row.
  (func (export "dw_filter_grad")
    (param $x i32) (param $dy i32) (param $dw i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $oh i32) (param $ow i32) (param $sh i32) (param $sw i32)
    (param $fh i32) (param $fw i32) (param $dh i32) (param $dwid i32)
    (param $padTop i32) (param $padLeft i32)
    (local $cB i32) (local $vecB i32) (local $b i32) (local $oy i32) (local $kh i32) (local $kw i32)
    (local $iy i32) (local $off i32) (local $oxB i32) (local $oxE i32) (local $dyRow i32) (local $xRow i32)
    (local $tap i32) (local $chB i32) (local $xp i32) (local $dyp i32) (local $k i32) (local $xStep i32)
    (local $acc v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $sacc f32) (local $t i32)
    (local.set $cB (i32.shl (local.get $c) (i32.const 2)))
    (local.set $vecB (i32.and (local.get $cB) (i32.const -16)))
    (local.set $xStep (i32.mul (local.get $sw) (local.get $cB)))
    (memory.fill (local.get $dw) (i32.const 0) (i32.mul (i32.mul (local.get $fh) (local.get $fw)) (local.get $cB)))
    (local.set $b (i32.const 0))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $oy (i32.const 0))
      (block $oyDone (loop $oyLoop
        (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $oh)))
        (local.set $dyRow (i32.add (local.get $dy)
          (i32.mul (i32.mul (i32.add (i32.mul (local.get $b) (local.get $oh)) (local.get $oy)) (local.get $ow)) (local.get $cB))))
        (local.set $kh (i32.const 0))
        (block $khDone (loop $khLoop
          (br_if $khDone (i32.ge_u (local.get $kh) (local.get $fh)))
          (local.set $iy (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (i32.mul (local.get $kh) (local.get $dh))) (local.get $padTop)))
          (if (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $h)))
            (then
              (local.set $xRow (i32.add (local.get $x)
                (i32.mul (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $cB))))
              (local.set $kw (i32.const 0))
              (block $kwDone (loop $kwLoop
                (br_if $kwDone (i32.ge_u (local.get $kw) (local.get $fw)))
                ;; input column of output column ox: ox*sw + off; valid when 0 <= that < w
                (local.set $off (i32.sub (i32.mul (local.get $kw) (local.get $dwid)) (local.get $padLeft)))
                (local.set $oxB (i32.const 0))
                (if (i32.lt_s (local.get $off) (i32.const 0))
                  (then (local.set $oxB (i32.div_s (i32.sub (i32.add (i32.sub (i32.const 0) (local.get $off)) (local.get $sw)) (i32.const 1)) (local.get $sw)))))
                (local.set $oxE (i32.const 0))
                (if (i32.gt_s (i32.sub (local.get $w) (local.get $off)) (i32.const 0))
                  (then (local.set $oxE (i32.div_s (i32.sub (i32.add (i32.sub (local.get $w) (local.get $off)) (local.get $sw)) (i32.const 1)) (local.get $sw)))))
                (if (i32.gt_s (local.get $oxE) (local.get $ow)) (then (local.set $oxE (local.get $ow))))
                (if (i32.lt_s (local.get $oxB) (local.get $oxE))
                  (then
                    (local.set $tap (i32.add (local.get $dw) (i32.mul (i32.add (i32.mul (local.get $kh) (local.get $fw)) (local.get $kw)) (local.get $cB))))
                    (local.set $chB (i32.const 0))
                    ;; sixteen channels (one cache line) at a time: four independent sums
                    (block $qDone (loop $qLoop
                      (br_if $qDone (i32.gt_u (i32.add (local.get $chB) (i32.const 64)) (local.get $vecB)))
                      (local.set $xp (i32.add (i32.add (local.get $xRow)
                        (i32.mul (i32.add (i32.mul (local.get $oxB) (local.get $sw)) (local.get $off)) (local.get $cB))) (local.get $chB)))
                      (local.set $dyp (i32.add (i32.add (local.get $dyRow) (i32.mul (local.get $oxB) (local.get $cB))) (local.get $chB)))
                      (local.set $acc (v128.const i32x4 0 0 0 0))
                      (local.set $acc1 (v128.const i32x4 0 0 0 0))
                      (local.set $acc2 (v128.const i32x4 0 0 0 0))
                      (local.set $acc3 (v128.const i32x4 0 0 0 0))
                      (local.set $k (i32.sub (local.get $oxE) (local.get $oxB)))
                      (loop $qxLoop
                        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $xp)) (v128.load (local.get $dyp)))))
                        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (v128.load offset=16 (local.get $xp)) (v128.load offset=16 (local.get $dyp)))))
                        (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (v128.load offset=32 (local.get $xp)) (v128.load offset=32 (local.get $dyp)))))
                        (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (v128.load offset=48 (local.get $xp)) (v128.load offset=48 (local.get $dyp)))))
                        (local.set $xp (i32.add (local.get $xp) (local.get $xStep)))
                        (local.set $dyp (i32.add (local.get $dyp) (local.get $cB)))
                        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                        (br_if $qxLoop (local.get $k)))
                      (local.set $t (i32.add (local.get $tap) (local.get $chB)))
                      (v128.store (local.get $t) (f32x4.add (v128.load (local.get $t)) (local.get $acc)))
                      (v128.store offset=16 (local.get $t) (f32x4.add (v128.load offset=16 (local.get $t)) (local.get $acc1)))
                      (v128.store offset=32 (local.get $t) (f32x4.add (v128.load offset=32 (local.get $t)) (local.get $acc2)))
                      (v128.store offset=48 (local.get $t) (f32x4.add (v128.load offset=48 (local.get $t)) (local.get $acc3)))
                      (local.set $chB (i32.add (local.get $chB) (i32.const 64)))
                      (br $qLoop)))
                    (block $vDone (loop $vLoop
                      (br_if $vDone (i32.ge_u (local.get $chB) (local.get $vecB)))
                      (local.set $xp (i32.add (i32.add (local.get $xRow)
                        (i32.mul (i32.add (i32.mul (local.get $oxB) (local.get $sw)) (local.get $off)) (local.get $cB))) (local.get $chB)))
                      (local.set $dyp (i32.add (i32.add (local.get $dyRow) (i32.mul (local.get $oxB) (local.get $cB))) (local.get $chB)))
                      (local.set $acc (v128.const i32x4 0 0 0 0))
                      (local.set $k (i32.sub (local.get $oxE) (local.get $oxB)))
                      (loop $oxLoop
                        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $xp)) (v128.load (local.get $dyp)))))
                        (local.set $xp (i32.add (local.get $xp) (local.get $xStep)))
                        (local.set $dyp (i32.add (local.get $dyp) (local.get $cB)))
                        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                        (br_if $oxLoop (local.get $k)))
                      (local.set $t (i32.add (local.get $tap) (local.get $chB)))
                      (v128.store (local.get $t) (f32x4.add (v128.load (local.get $t)) (local.get $acc)))
                      (local.set $chB (i32.add (local.get $chB) (i32.const 16)))
                      (br $vLoop)))
                    ;; channels left over after the groups of four
                    (block $sDone (loop $sLoop
                      (br_if $sDone (i32.ge_u (local.get $chB) (local.get $cB)))
                      (local.set $xp (i32.add (i32.add (local.get $xRow)
                        (i32.mul (i32.add (i32.mul (local.get $oxB) (local.get $sw)) (local.get $off)) (local.get $cB))) (local.get $chB)))
                      (local.set $dyp (i32.add (i32.add (local.get $dyRow) (i32.mul (local.get $oxB) (local.get $cB))) (local.get $chB)))
                      (local.set $sacc (f32.const 0))
                      (local.set $k (i32.sub (local.get $oxE) (local.get $oxB)))
                      (loop $sxLoop
                        (local.set $sacc (f32.add (local.get $sacc) (f32.mul (f32.load (local.get $xp)) (f32.load (local.get $dyp)))))
                        (local.set $xp (i32.add (local.get $xp) (local.get $xStep)))
                        (local.set $dyp (i32.add (local.get $dyp) (local.get $cB)))
                        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                        (br_if $sxLoop (local.get $k)))
                      (local.set $t (i32.add (local.get $tap) (local.get $chB)))
                      (f32.store (local.get $t) (f32.add (f32.load (local.get $t)) (local.get $sacc)))
                      (local.set $chB (i32.add (local.get $chB) (i32.const 4)))
                      (br $sLoop)))))
                (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
                (br $kwLoop)))))
          (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
          (br $khLoop)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyLoop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bLoop)))
  )

  ;; channel_sums(src, mean, out, scratch, p, c, mode): out[ch] = sum over the p pixels of
  ;; src[pixel, ch] (mode 0) or of (src[pixel, ch] - mean[ch])^2 (mode 1). c is a multiple of 4.
  ;; Summed in blocks of 64 pixels in scratch (c floats) and the blocks into out, so a float32
  ;; sum over 32K pixels keeps ~7 digits.
  (func $channel_sums
    (param $src i32) (param $mean i32) (param $out i32) (param $scratch i32) (param $p i32) (param $c i32) (param $mode i32)
    (local $cB i32) (local $px i32) (local $blockEnd i32) (local $j i32) (local $sp i32) (local $v v128)
    (local.set $cB (i32.shl (local.get $c) (i32.const 2)))
    (memory.fill (local.get $out) (i32.const 0) (local.get $cB))
    (local.set $sp (local.get $src))
    (local.set $px (i32.const 0))
    (block $done (loop $blocks
      (br_if $done (i32.ge_u (local.get $px) (local.get $p)))
      (local.set $blockEnd (i32.add (local.get $px) (i32.const 64)))
      (if (i32.gt_u (local.get $blockEnd) (local.get $p)) (then (local.set $blockEnd (local.get $p))))
      (memory.fill (local.get $scratch) (i32.const 0) (local.get $cB))
      (loop $pixels
        (local.set $j (i32.const 0))
        (loop $chans
          (local.set $v (v128.load (i32.add (local.get $sp) (local.get $j))))
          (if (local.get $mode) (then
            (local.set $v (f32x4.sub (local.get $v) (v128.load (i32.add (local.get $mean) (local.get $j)))))
            (local.set $v (f32x4.mul (local.get $v) (local.get $v)))))
          (v128.store (i32.add (local.get $scratch) (local.get $j))
            (f32x4.add (v128.load (i32.add (local.get $scratch) (local.get $j))) (local.get $v)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $chans (i32.lt_u (local.get $j) (local.get $cB))))
        (local.set $sp (i32.add (local.get $sp) (local.get $cB)))
        (local.set $px (i32.add (local.get $px) (i32.const 1)))
        (br_if $pixels (i32.lt_u (local.get $px) (local.get $blockEnd))))
      (local.set $j (i32.const 0))
      (loop $fold
        (v128.store (i32.add (local.get $out) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $out) (local.get $j))) (v128.load (i32.add (local.get $scratch) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $fold (i32.lt_u (local.get $j) (local.get $cB))))
      (br $blocks)))
  )

  ;; bn_train_forward(x, y, mean, variance, gamma, beta, scratch, p, c, eps)
  ;; BatchNormalization in training: per channel of x ([p pixels, c], c a multiple of 4) the
  ;; batch mean and biased variance (written to mean and variance), and
  ;; y = (x - mean) * gamma / sqrt(variance + eps) + beta. scratch: c floats.
  (func (export "bn_train_forward")
    (param $x i32) (param $y i32) (param $mean i32) (param $var i32) (param $gamma i32) (param $beta i32)
    (param $scratch i32) (param $p i32) (param $c i32) (param $eps f32)
    (local $cB i32) (local $j i32) (local $px i32) (local $xp i32) (local $yp i32) (local $inv v128)
    (local.set $cB (i32.shl (local.get $c) (i32.const 2)))
    (local.set $inv (f32x4.splat (f32.div (f32.const 1) (f32.convert_i32_u (local.get $p)))))
    (call $channel_sums (local.get $x) (local.get $mean) (local.get $mean) (local.get $scratch) (local.get $p) (local.get $c) (i32.const 0))
    (local.set $j (i32.const 0))
    (loop $m
      (v128.store (i32.add (local.get $mean) (local.get $j)) (f32x4.mul (v128.load (i32.add (local.get $mean) (local.get $j))) (local.get $inv)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br_if $m (i32.lt_u (local.get $j) (local.get $cB))))
    (call $channel_sums (local.get $x) (local.get $mean) (local.get $var) (local.get $scratch) (local.get $p) (local.get $c) (i32.const 1))
    ;; variance, and scratch = gamma / sqrt(variance + eps)
    (local.set $j (i32.const 0))
    (loop $v
      (v128.store (i32.add (local.get $var) (local.get $j)) (f32x4.mul (v128.load (i32.add (local.get $var) (local.get $j))) (local.get $inv)))
      (v128.store (i32.add (local.get $scratch) (local.get $j))
        (f32x4.div (v128.load (i32.add (local.get $gamma) (local.get $j)))
          (f32x4.sqrt (f32x4.add (v128.load (i32.add (local.get $var) (local.get $j))) (f32x4.splat (local.get $eps))))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br_if $v (i32.lt_u (local.get $j) (local.get $cB))))
    (local.set $xp (local.get $x))
    (local.set $yp (local.get $y))
    (local.set $px (i32.const 0))
    (block $done (loop $pixels
      (br_if $done (i32.ge_u (local.get $px) (local.get $p)))
      (local.set $j (i32.const 0))
      (loop $chans
        (v128.store (i32.add (local.get $yp) (local.get $j))
          (f32x4.add
            (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $xp) (local.get $j))) (v128.load (i32.add (local.get $mean) (local.get $j))))
              (v128.load (i32.add (local.get $scratch) (local.get $j))))
            (v128.load (i32.add (local.get $beta) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $chans (i32.lt_u (local.get $j) (local.get $cB))))
      (local.set $xp (i32.add (local.get $xp) (local.get $cB)))
      (local.set $yp (i32.add (local.get $yp) (local.get $cB)))
      (local.set $px (i32.add (local.get $px) (i32.const 1)))
      (br $pixels)))
  )

  ;; bn_train_backward(x, dy, dx, mean, variance, gamma, dgamma, dbeta, scratch, p, c, eps)
  ;; The gradient of bn_train_forward (batch statistics included), per channel with
  ;; inv = 1 / sqrt(variance + eps), xhat = (x - mean) * inv, sums over the p pixels:
  ;;   dbeta = sum(dy), dgamma = sum(dy * xhat),
  ;;   dx = gamma * inv / p * (p * dy - dbeta - xhat * dgamma)
  ;;      = A * dy + B * (x - mean) + C0, A = gamma * inv, B = -A * inv * dgamma / p, C0 = -A * dbeta / p.
  ;; scratch: 4c floats.
  (func (export "bn_train_backward")
    (param $x i32) (param $dy i32) (param $dx i32) (param $mean i32) (param $var i32) (param $gamma i32)
    (param $dgamma i32) (param $dbeta i32) (param $scratch i32) (param $p i32) (param $c i32) (param $eps f32)
    (local $cB i32) (local $j i32) (local $px i32) (local $blockEnd i32) (local $xp i32) (local $gp i32) (local $op i32)
    (local $g v128) (local $d v128) (local $inv v128) (local $a v128) (local $invP v128)
    (local $sA i32) (local $sB i32) (local $sC i32) (local $sG i32)
    (local.set $cB (i32.shl (local.get $c) (i32.const 2)))
    (local.set $sA (local.get $scratch))
    (local.set $sB (i32.add (local.get $scratch) (local.get $cB)))
    (local.set $sC (i32.add (local.get $sB) (local.get $cB)))
    (local.set $sG (i32.add (local.get $sC) (local.get $cB)))
    (memory.fill (local.get $dbeta) (i32.const 0) (local.get $cB))
    (memory.fill (local.get $dgamma) (i32.const 0) (local.get $cB))
    ;; pass 1: dbeta and sum(dy * (x - mean)), in blocks of 64 pixels (partials in sA, sB)
    (local.set $xp (local.get $x))
    (local.set $gp (local.get $dy))
    (local.set $px (i32.const 0))
    (block $done1 (loop $blocks
      (br_if $done1 (i32.ge_u (local.get $px) (local.get $p)))
      (local.set $blockEnd (i32.add (local.get $px) (i32.const 64)))
      (if (i32.gt_u (local.get $blockEnd) (local.get $p)) (then (local.set $blockEnd (local.get $p))))
      (memory.fill (local.get $sA) (i32.const 0) (i32.shl (local.get $cB) (i32.const 1)))
      (loop $pixels
        (local.set $j (i32.const 0))
        (loop $chans
          (local.set $g (v128.load (i32.add (local.get $gp) (local.get $j))))
          (local.set $d (f32x4.sub (v128.load (i32.add (local.get $xp) (local.get $j))) (v128.load (i32.add (local.get $mean) (local.get $j)))))
          (v128.store (i32.add (local.get $sA) (local.get $j)) (f32x4.add (v128.load (i32.add (local.get $sA) (local.get $j))) (local.get $g)))
          (v128.store (i32.add (local.get $sB) (local.get $j))
            (f32x4.add (v128.load (i32.add (local.get $sB) (local.get $j))) (f32x4.mul (local.get $g) (local.get $d))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $chans (i32.lt_u (local.get $j) (local.get $cB))))
        (local.set $xp (i32.add (local.get $xp) (local.get $cB)))
        (local.set $gp (i32.add (local.get $gp) (local.get $cB)))
        (local.set $px (i32.add (local.get $px) (i32.const 1)))
        (br_if $pixels (i32.lt_u (local.get $px) (local.get $blockEnd))))
      (local.set $j (i32.const 0))
      (loop $fold
        (v128.store (i32.add (local.get $dbeta) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $dbeta) (local.get $j))) (v128.load (i32.add (local.get $sA) (local.get $j)))))
        (v128.store (i32.add (local.get $dgamma) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $dgamma) (local.get $j))) (v128.load (i32.add (local.get $sB) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $fold (i32.lt_u (local.get $j) (local.get $cB))))
      (br $blocks)))
    ;; per channel: dgamma = sum(dy * (x - mean)) * inv, and the coefficients A, B, C0
    (local.set $invP (f32x4.splat (f32.div (f32.const 1) (f32.convert_i32_u (local.get $p)))))
    (local.set $j (i32.const 0))
    (loop $coef
      (local.set $inv (f32x4.div (f32x4.splat (f32.const 1))
        (f32x4.sqrt (f32x4.add (v128.load (i32.add (local.get $var) (local.get $j))) (f32x4.splat (local.get $eps))))))
      (local.set $d (f32x4.mul (v128.load (i32.add (local.get $dgamma) (local.get $j))) (local.get $inv)))
      (v128.store (i32.add (local.get $dgamma) (local.get $j)) (local.get $d))
      (local.set $a (f32x4.mul (v128.load (i32.add (local.get $gamma) (local.get $j))) (local.get $inv)))
      (v128.store (i32.add (local.get $sA) (local.get $j)) (local.get $a))
      (v128.store (i32.add (local.get $sB) (local.get $j))
        (f32x4.neg (f32x4.mul (f32x4.mul (f32x4.mul (local.get $a) (local.get $inv)) (local.get $d)) (local.get $invP))))
      (v128.store (i32.add (local.get $sC) (local.get $j))
        (f32x4.neg (f32x4.mul (f32x4.mul (local.get $a) (v128.load (i32.add (local.get $dbeta) (local.get $j)))) (local.get $invP))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br_if $coef (i32.lt_u (local.get $j) (local.get $cB))))
    ;; pass 2: dx = A * dy + B * (x - mean) + C0
    (local.set $xp (local.get $x))
    (local.set $gp (local.get $dy))
    (local.set $op (local.get $dx))
    (local.set $px (i32.const 0))
    (block $done2 (loop $pixels2
      (br_if $done2 (i32.ge_u (local.get $px) (local.get $p)))
      (local.set $j (i32.const 0))
      (loop $chans2
        (v128.store (i32.add (local.get $op) (local.get $j))
          (f32x4.add
            (f32x4.add
              (f32x4.mul (v128.load (i32.add (local.get $sA) (local.get $j))) (v128.load (i32.add (local.get $gp) (local.get $j))))
              (f32x4.mul (v128.load (i32.add (local.get $sB) (local.get $j)))
                (f32x4.sub (v128.load (i32.add (local.get $xp) (local.get $j))) (v128.load (i32.add (local.get $mean) (local.get $j))))))
            (v128.load (i32.add (local.get $sC) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $chans2 (i32.lt_u (local.get $j) (local.get $cB))))
      (local.set $xp (i32.add (local.get $xp) (local.get $cB)))
      (local.set $gp (i32.add (local.get $gp) (local.get $cB)))
      (local.set $op (i32.add (local.get $op) (local.get $cB)))
      (local.set $px (i32.add (local.get $px) (i32.const 1)))
      (br $pixels2)))
  )

  ;; conv_filter_grad(x, dy, dw, n, h, w, ci, oh, ow, co, sh, sw, fh, fw, padTop, padLeft, rowsPerChunk)
  ;; The filter gradient of a 2-D convolution (NHWC, dilation 1, dW as [fh, fw, ci, co]):
  ;; dW[kh,kw,i,o] = sum over b, oy, ox of x[b, oy*sh + kh - padTop, ox*sw + kw - padLeft, i]
  ;; * dy[b, oy, ox, o], out-of-image taps contributing 0. ci a multiple of 4, co of 8.
  ;; A GEMM over the pixels (K) done in chunks of rowsPerChunk output rows so the chunk of x
  ;; and dy stays in cache while every 4x8 tile of dW is accumulated over it in registers
  ;; (XNNPACK's GEMM, fed this shape, streams the whole of both per tile and is memory-bound).
  (func (export "conv_filter_grad")
    (param $x i32) (param $dy i32) (param $dw i32)
    (param $n i32) (param $h i32) (param $w i32) (param $ci i32)
    (param $oh i32) (param $ow i32) (param $co i32)
    (param $sh i32) (param $sw i32) (param $fh i32) (param $fw i32)
    (param $padTop i32) (param $padLeft i32) (param $rowsPerChunk i32)
    (local $rows i32) (local $r i32) (local $dyRow i32) (local $xImg i32) (local $xRowB i32) (local $xImgB i32) (local $dyRowB i32) (local $cols i32) (local $ciB i32) (local $coB i32) (local $xStep i32) (local $b i32) (local $oy0 i32) (local $oy1 i32)
    (local $kh i32) (local $kw i32) (local $co0 i32) (local $ci0 i32) (local $oy i32) (local $iy i32)
    (local $off i32) (local $oxB i32) (local $oxE i32) (local $xp i32) (local $dyp i32) (local $k i32) (local $t i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $d0 v128) (local $d1 v128) (local $s v128)
    (local.set $ciB (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $coB (i32.shl (local.get $co) (i32.const 2)))
    (local.set $xStep (i32.mul (local.get $sw) (local.get $ciB)))
    (local.set $xRowB (i32.mul (local.get $w) (local.get $ciB)))
    (local.set $xImgB (i32.mul (local.get $h) (local.get $xRowB)))
    (local.set $dyRowB (i32.mul (local.get $ow) (local.get $coB)))
    (memory.fill (local.get $dw) (i32.const 0)
      (i32.mul (i32.mul (i32.mul (local.get $fh) (local.get $fw)) (local.get $ci)) (local.get $coB)))
    ;; output rows of all images as one sequence r = b*oh + oy, taken rowsPerChunk at a time
    (local.set $rows (i32.mul (local.get $n) (local.get $oh)))
    (local.set $oy0 (i32.const 0))
    (block $chunkDone (loop $chunkLoop
        (br_if $chunkDone (i32.ge_u (local.get $oy0) (local.get $rows)))
        (local.set $oy1 (i32.add (local.get $oy0) (local.get $rowsPerChunk)))
        (if (i32.gt_u (local.get $oy1) (local.get $rows)) (then (local.set $oy1 (local.get $rows))))
        (local.set $kh (i32.const 0))
        (block $khDone (loop $khLoop
          (br_if $khDone (i32.ge_u (local.get $kh) (local.get $fh)))
          (local.set $kw (i32.const 0))
          (block $kwDone (loop $kwLoop
            (br_if $kwDone (i32.ge_u (local.get $kw) (local.get $fw)))
            ;; input column of output column ox: ox*sw + off, valid when 0 <= that < w
            (local.set $off (i32.sub (local.get $kw) (local.get $padLeft)))
            (local.set $oxB (i32.const 0))
            (if (i32.lt_s (local.get $off) (i32.const 0))
              (then (local.set $oxB (i32.div_s (i32.sub (i32.add (i32.sub (i32.const 0) (local.get $off)) (local.get $sw)) (i32.const 1)) (local.get $sw)))))
            (local.set $oxE (i32.const 0))
            (if (i32.gt_s (i32.sub (local.get $w) (local.get $off)) (i32.const 0))
              (then (local.set $oxE (i32.div_s (i32.sub (i32.add (i32.sub (local.get $w) (local.get $off)) (local.get $sw)) (i32.const 1)) (local.get $sw)))))
            (if (i32.gt_s (local.get $oxE) (local.get $ow)) (then (local.set $oxE (local.get $ow))))
            (if (i32.lt_s (local.get $oxB) (local.get $oxE)) (then
              (local.set $cols (i32.sub (local.get $oxE) (local.get $oxB)))
              (local.set $co0 (i32.const 0))
              (block $coDone (loop $coLoop
                (br_if $coDone (i32.ge_u (local.get $co0) (local.get $coB)))
                (local.set $ci0 (i32.const 0))
                (block $ciDone (loop $ciLoop
                  (br_if $ciDone (i32.ge_u (local.get $ci0) (local.get $ciB)))
                  (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
                  (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
                  (local.set $a4 (v128.const i32x4 0 0 0 0)) (local.set $a5 (v128.const i32x4 0 0 0 0))
                  (local.set $a6 (v128.const i32x4 0 0 0 0)) (local.set $a7 (v128.const i32x4 0 0 0 0))
                  (local.set $r (local.get $oy0))
                  (local.set $b (i32.div_u (local.get $r) (local.get $oh)))
                  (local.set $oy (i32.sub (local.get $r) (i32.mul (local.get $b) (local.get $oh))))
                  ;; dy of row r at column oxB, and x's image row oy*sh of image b (before the tap offset)
                  (local.set $dyRow (i32.add (i32.add (local.get $dy) (local.get $co0))
                    (i32.mul (i32.add (i32.mul (local.get $r) (local.get $ow)) (local.get $oxB)) (local.get $coB))))
                  (local.set $xImg (i32.add (i32.add (local.get $x) (local.get $ci0))
                    (i32.mul (i32.add (i32.mul (i32.mul (local.get $b) (local.get $h)) (local.get $w))
                      (i32.add (i32.mul (local.get $oxB) (local.get $sw)) (local.get $off))) (local.get $ciB))))
                  (block $oyDone (loop $oyLoop
                    (br_if $oyDone (i32.ge_u (local.get $r) (local.get $oy1)))
                    (local.set $iy (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (local.get $kh)) (local.get $padTop)))
                    (if (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $h))) (then
                      (local.set $xp (i32.add (local.get $xImg) (i32.mul (local.get $iy) (local.get $xRowB))))
                      (local.set $dyp (local.get $dyRow))
                      (local.set $k (local.get $cols))
                      (loop $oxLoop
                        (local.set $d0 (v128.load (local.get $dyp)))
                        (local.set $d1 (v128.load offset=16 (local.get $dyp)))
                        (local.set $s (v128.load32_splat (local.get $xp)))
                        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $s) (local.get $d0))))
                        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $s) (local.get $d1))))
                        (local.set $s (v128.load32_splat offset=4 (local.get $xp)))
                        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $s) (local.get $d0))))
                        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $s) (local.get $d1))))
                        (local.set $s (v128.load32_splat offset=8 (local.get $xp)))
                        (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (local.get $s) (local.get $d0))))
                        (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (local.get $s) (local.get $d1))))
                        (local.set $s (v128.load32_splat offset=12 (local.get $xp)))
                        (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (local.get $s) (local.get $d0))))
                        (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (local.get $s) (local.get $d1))))
                        (local.set $xp (i32.add (local.get $xp) (local.get $xStep)))
                        (local.set $dyp (i32.add (local.get $dyp) (local.get $coB)))
                        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                        (br_if $oxLoop (local.get $k)))))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (local.set $dyRow (i32.add (local.get $dyRow) (local.get $dyRowB)))
                    (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
                    (if (i32.eq (local.get $oy) (local.get $oh)) (then
                      (local.set $oy (i32.const 0))
                      (local.set $xImg (i32.add (local.get $xImg) (local.get $xImgB)))))
                    (br $oyLoop)))
                  ;; dW[kh, kw, ci0/4 .. +3, co0/4 .. +7] += the tile
                  (local.set $t (i32.add (i32.add (local.get $dw) (local.get $co0))
                    (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $kh) (local.get $fw)) (local.get $kw)) (local.get $ci))
                      (i32.shr_u (local.get $ci0) (i32.const 2))) (local.get $coB))))
                  (v128.store (local.get $t) (f32x4.add (v128.load (local.get $t)) (local.get $a0)))
                  (v128.store offset=16 (local.get $t) (f32x4.add (v128.load offset=16 (local.get $t)) (local.get $a1)))
                  (local.set $t (i32.add (local.get $t) (local.get $coB)))
                  (v128.store (local.get $t) (f32x4.add (v128.load (local.get $t)) (local.get $a2)))
                  (v128.store offset=16 (local.get $t) (f32x4.add (v128.load offset=16 (local.get $t)) (local.get $a3)))
                  (local.set $t (i32.add (local.get $t) (local.get $coB)))
                  (v128.store (local.get $t) (f32x4.add (v128.load (local.get $t)) (local.get $a4)))
                  (v128.store offset=16 (local.get $t) (f32x4.add (v128.load offset=16 (local.get $t)) (local.get $a5)))
                  (local.set $t (i32.add (local.get $t) (local.get $coB)))
                  (v128.store (local.get $t) (f32x4.add (v128.load (local.get $t)) (local.get $a6)))
                  (v128.store offset=16 (local.get $t) (f32x4.add (v128.load offset=16 (local.get $t)) (local.get $a7)))
                  (local.set $ci0 (i32.add (local.get $ci0) (i32.const 16)))
                  (br $ciLoop)))
                (local.set $co0 (i32.add (local.get $co0) (i32.const 32)))
                (br $coLoop)))))
            (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
            (br $kwLoop)))
          (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
          (br $khLoop)))
        (local.set $oy0 (local.get $oy1))
        (br $chunkLoop)))
  )

  ;; relu_grad(x, dy, dx, count): dx = dy * step(x) elementwise, step(x) = 1 where x > 0, NaN
  ;; where x is NaN, else 0: exactly tfjs-core's Relu gradient mul(dy, cast(step(x), 'float32'))
  ;; (with the cpu backend's step), in one pass instead of three.
  (func (export "relu_grad") (param $x i32) (param $dy i32) (param $dx i32) (param $count i32)
    (local $i i32) (local $vecEnd i32) (local $xv v128) (local $s v128) (local $sx f32) (local $ss f32)
    (local.set $vecEnd (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $i) (local.get $vecEnd)))
      (local.set $xv (v128.load (i32.add (local.get $x) (local.get $i))))
      (local.set $s (v128.and (f32x4.gt (local.get $xv) (f32x4.splat (f32.const 0))) (f32x4.splat (f32.const 1))))
      (local.set $s (v128.bitselect (f32x4.splat (f32.const nan)) (local.get $s) (f32x4.ne (local.get $xv) (local.get $xv))))
      (v128.store (i32.add (local.get $dx) (local.get $i))
        (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $i))) (local.get $s)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vLoop)))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $i) (i32.shl (local.get $count) (i32.const 2))))
      (local.set $sx (f32.load (i32.add (local.get $x) (local.get $i))))
      (local.set $ss (select (f32.const 1) (f32.const 0) (f32.gt (local.get $sx) (f32.const 0))))
      (if (f32.ne (local.get $sx) (local.get $sx)) (then (local.set $ss (f32.const nan))))
      (f32.store (i32.add (local.get $dx) (local.get $i))
        (f32.mul (f32.load (i32.add (local.get $dy) (local.get $i))) (local.get $ss)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $sLoop)))
  )

  ;; bn_apply(x, y, mean, variance, scale, offset, hasScale, hasOffset, scratch, p, c, eps)
  ;; BatchNormalization with given statistics (inference): per channel of x ([p pixels, c], c a
  ;; multiple of 4), y = (x - mean) * scale / sqrt(variance + eps) + offset, scale 1 and offset 0
  ;; when absent. scratch: c floats (the per-channel factor).
  (func (export "bn_apply")
    (param $x i32) (param $y i32) (param $mean i32) (param $var i32) (param $scale i32) (param $offset i32)
    (param $hasScale i32) (param $hasOffset i32) (param $scratch i32) (param $p i32) (param $c i32) (param $eps f32)
    (local $cB i32) (local $j i32) (local $px i32) (local $xp i32) (local $yp i32) (local $f v128)
    (local.set $cB (i32.shl (local.get $c) (i32.const 2)))
    (local.set $j (i32.const 0))
    (loop $factor
      (local.set $f (f32x4.div (f32x4.splat (f32.const 1))
        (f32x4.sqrt (f32x4.add (v128.load (i32.add (local.get $var) (local.get $j))) (f32x4.splat (local.get $eps))))))
      (if (local.get $hasScale) (then (local.set $f (f32x4.mul (local.get $f) (v128.load (i32.add (local.get $scale) (local.get $j)))))))
      (v128.store (i32.add (local.get $scratch) (local.get $j)) (local.get $f))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br_if $factor (i32.lt_u (local.get $j) (local.get $cB))))
    (local.set $xp (local.get $x))
    (local.set $yp (local.get $y))
    (local.set $px (i32.const 0))
    (block $done (loop $pixels
      (br_if $done (i32.ge_u (local.get $px) (local.get $p)))
      (local.set $j (i32.const 0))
      (if (local.get $hasOffset)
        (then
          (loop $chans
            (v128.store (i32.add (local.get $yp) (local.get $j))
              (f32x4.add
                (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $xp) (local.get $j))) (v128.load (i32.add (local.get $mean) (local.get $j))))
                  (v128.load (i32.add (local.get $scratch) (local.get $j))))
                (v128.load (i32.add (local.get $offset) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br_if $chans (i32.lt_u (local.get $j) (local.get $cB)))))
        (else
          (loop $chans0
            (v128.store (i32.add (local.get $yp) (local.get $j))
              (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $xp) (local.get $j))) (v128.load (i32.add (local.get $mean) (local.get $j))))
                (v128.load (i32.add (local.get $scratch) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br_if $chans0 (i32.lt_u (local.get $j) (local.get $cB))))))
      (local.set $xp (i32.add (local.get $xp) (local.get $cB)))
      (local.set $yp (i32.add (local.get $yp) (local.get $cB)))
      (local.set $px (i32.add (local.get $px) (i32.const 1)))
      (br $pixels)))
  )
)
