import * as tf from '@tensorflow/tfjs';

/**
 * A checkpoint trained with the augmentation inside the model (`--augment model`, the tutorial's
 * Option 1) names packages/model's RandomFlip and RandomRotation layers. At inference Keras passes
 * images through them unchanged (they act only when training), and that is all the page does, so it
 * registers these stand-ins rather than bundling packages/model, which loads TensorFlow.js for Node.
 */
class PassThroughAtInference extends tf.layers.Layer {
  private readonly saved: tf.serialization.ConfigDict;

  constructor(config: tf.serialization.ConfigDict & { name?: string }) {
    super({ name: config.name });
    const { name: _name, trainable: _t, dtype: _d, batchInputShape: _b, ...rest } = config;
    this.saved = rest;
  }

  override computeOutputShape(shape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.saved };
  }
}

class RandomFlip extends PassThroughAtInference {
  static className = 'RandomFlip';
}
class RandomRotation extends PassThroughAtInference {
  static className = 'RandomRotation';
}

tf.serialization.registerClass(RandomFlip);
tf.serialization.registerClass(RandomRotation);
