;; The Relu gradient (../../wasm-grad/relu-grad.ts).
;; A fragment of the heap-kernels module: see ../heap-kernels.wat.

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
