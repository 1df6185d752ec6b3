// tfjs-layers' BatchNormalization with a fused training path. Stock tfjs differentiates through
// tf.moments + tf.batchNorm, so the tape keeps x - mean, its square and more per layer and the
// backward pass runs a dozen full-size ops; here the forward runs under tf.customGrad (only x,
// mean, variance and gamma are kept) and the backward is the closed form
//   dx = gamma / sigma / M * (M dy - sum(dy) - xhat * sum(dy xhat)),
//   dgamma = sum(dy xhat), dbeta = sum(dy),   xhat = (x - mean) / sigma, sums over N, H, W.
// Same numbers as stock (biased variance for normalising and for the moving averages, like
// tfjs-layers), less memory and time on every backend; on wasm the forward and the backward are
// one SIMD kernel each (batchNormTraining/-Grad of @pawpipe/tf-backend). The class keeps the className
// 'BatchNormalization', so saved models stay standard; registering it makes loaded models use it.
import { batchNormTraining, batchNormTrainingGrad, tf } from '@pawpipe/tf-backend';

type Kwargs = Record<string, unknown>;
interface BnInternals {
  axis: number;
  epsilon: number;
  momentum: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

const StockBatchNormalization = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as
  new (args?: object) => tf.layers.Layer;

function fusedTrainingBatchNorm(epsilon: number, stats: { mean?: tf.Tensor; variance?: tf.Tensor }) {
  const forward = ((x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, save: tf.GradSaveFunc) => {
    // one fused SIMD kernel each way on wasm, tf ops elsewhere (@pawpipe/tf-backend)
    const { y, mean, variance } = batchNormTraining(x, gamma, beta, epsilon);
    save([x, mean, variance, gamma]);
    stats.mean = tf.keep(mean.clone());
    stats.variance = tf.keep(variance.clone());
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, mu, v, gm] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const { dx, dgamma, dbeta } = batchNormTrainingGrad(xs, dy as tf.Tensor4D, mu, v, gm, epsilon);
        return [dx, dgamma, dbeta];
      },
    };
  });
  return tf.customGrad(forward as never) as unknown as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
}

export class BatchNormalization extends StockBatchNormalization {
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
    const self = this as unknown as BnInternals;
    const lastAxis = self.axis === -1 || self.axis === x.rank - 1;
    if (kwargs['training'] !== true || x.rank !== 4 || !lastAxis || !self.center || !self.scale) {
      return super.call(inputs, kwargs);
    }
    return tf.tidy(() => {
      const stats: { mean?: tf.Tensor; variance?: tf.Tensor } = {};
      const y = fusedTrainingBatchNorm(self.epsilon, stats)(x, self.gamma.read(), self.beta.read());
      const update = (variable: tf.LayerVariable, value: tf.Tensor): void => tf.tidy(() => {
        const orig = variable.read();
        variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - self.momentum)));
      });
      update(self.movingMean, stats.mean as tf.Tensor);
      update(self.movingVariance, stats.variance as tf.Tensor);
      tf.dispose([stats.mean as tf.Tensor, stats.variance as tf.Tensor]);
      return y;
    });
  }
}
tf.serialization.registerClass(BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

export function batchNormalization(args: { name?: string; momentum?: number; epsilon?: number } = {}): tf.layers.Layer {
  return new BatchNormalization(args);
}
