;; BatchNormalization: training forward and backward (../../wasm-grad/batch-norm-train.ts) and
;; inference with given statistics (../../wasm-grad/batch-norm-apply.ts).
;; A fragment of the heap-kernels module: see ../heap-kernels.wat.

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
