// tfjs-layers' Conv2D, except that a convolution whose input can never need a gradient runs
// unfused. Why: tfjs-layers always calls tf.fused.conv2d for a conv with a bias, and the fused
// op's gradient (a tf.customGrad in tfjs-core ops/fused/conv2d.ts) computes the input
// gradient every time, even for the first conv of a network, whose input is the image. The
// plain conv2d + add is differentiated per input, and tfjs prunes the input gradient when
// nothing trainable lies upstream. For the mini-Xception that gradient (a 3x3 conv back to 3
// channels at full resolution, XNNPACK's worst shape) was 7.5% of a training step on wasm.
// Same numbers up to float rounding (the bias is added after the sum instead of before). The
// class keeps the className 'Conv2D', so saved models stay standard; registering it makes
// loaded models use it too.
import { tf } from '@pawpipe/tf-backend';

type Kwargs = Record<string, unknown>;
interface ConvInternals {
  rank: number;
  dataFormat: string;
  padding: string;
  strides: number[];
  dilationRate: number | number[];
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  activation: { apply(x: tf.Tensor): tf.Tensor } | null;
}
interface NodeLike { inboundLayers: tf.layers.Layer[] }
type LayerWithNodes = tf.layers.Layer & { inboundNodes: NodeLike[] };

const StockConv2D = Object.getPrototypeOf(tf.layers.conv2d({ filters: 1, kernelSize: 1 })).constructor as
  new (args: object) => tf.layers.Layer;

/**
 * Whether some call of `layer` can receive a gradient from upstream: true when any layer
 * feeding it (transitively) has trainable weights. A layer with no recorded calls counts as
 * needing it (unknown), which keeps the fused path.
 */
export function inputMayNeedGradient(layer: tf.layers.Layer, seen = new Map<tf.layers.Layer, boolean>()): boolean {
  const known = seen.get(layer);
  if (known !== undefined) return known;
  seen.set(layer, true); // cycles cannot occur in a layers graph; this only guards recursion
  const nodes = (layer as LayerWithNodes).inboundNodes ?? [];
  let needs = nodes.length === 0 && layer.getClassName() !== 'InputLayer';
  for (const node of nodes) {
    for (const up of node.inboundLayers) {
      if (up.trainableWeights.length > 0 || inputMayNeedGradient(up, seen)) needs = true;
    }
  }
  seen.set(layer, needs);
  return needs;
}

export class Conv2D extends StockConv2D {
  static className = 'Conv2D';
  /** inputMayNeedGradient, cached per number of recorded calls (a new call can change it). */
  private gradientCheck?: { calls: number; needs: boolean };

  private inputNeedsGradient(): boolean {
    const calls = (this as unknown as LayerWithNodes).inboundNodes.length;
    if (this.gradientCheck?.calls !== calls) {
      this.gradientCheck = { calls, needs: calls === 0 || inputMayNeedGradient(this) };
    }
    return this.gradientCheck.needs;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as ConvInternals;
    if (self.rank !== 2 || self.dataFormat !== 'channelsLast' || this.inputNeedsGradient()) {
      return super.call(inputs, kwargs);
    }
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const dilation = typeof self.dilationRate === 'number' ? self.dilationRate : self.dilationRate as [number, number];
      let y: tf.Tensor = tf.conv2d(x, self.kernel.read() as tf.Tensor4D, self.strides as [number, number],
        self.padding === 'same' ? 'same' : 'valid', 'NHWC', dilation);
      if (self.bias != null) y = tf.add(y, self.bias.read());
      return self.activation != null ? self.activation.apply(y) : y;
    });
  }
}
tf.serialization.registerClass(Conv2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** Same arguments as tf.layers.conv2d. */
export function conv2d(args: Parameters<typeof tf.layers.conv2d>[0]): tf.layers.Layer {
  return new Conv2D(args);
}
