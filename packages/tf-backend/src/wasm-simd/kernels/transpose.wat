;; Transposes on the heap (../transpose.ts), for the filter gradients' layout changes.
;; A fragment of the heap-kernels module: see ../heap-kernels.wat.

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
