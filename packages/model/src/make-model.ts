// The small Xception of the Keras example "Image classification from scratch" (make_model),
// layer for layer, with readable layer names. Returned uncompiled: compiling and fitting
// belong to the trainer. At 180x180x3 with 2 classes it has 2,782,649 parameters, as Keras
// reports.
import { tf } from '@pawpipe/tf-backend';
import { batchNormalization } from './batch-normalization';
import { conv2d } from './conv2d';
import { randomFlip, type FlipMode } from './random-flip';
import { randomRotation } from './random-rotation';

export interface AugmentationConfig {
  flip?: FlipMode | false;
  /** RandomRotation factor: a fraction of a full turn. */
  rotation?: number | false;
  seed?: number;
}

export interface MakeModelConfig {
  inputShape: [number, number, number];
  numClasses: number;
  /**
   * Augmentation layers at the model's input (the tutorial's "Option 1"), active only in
   * training. Default: the tutorial's { flip: 'horizontal', rotation: 0.1 }. false: none.
   */
  augmentation?: AugmentationConfig | false;
  name?: string;
}

export const TUTORIAL_AUGMENTATION: AugmentationConfig = { flip: 'horizontal', rotation: 0.1 };
export const BLOCK_SIZES = [128, 256, 512, 728] as const;

type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

export function makeModel(config: MakeModelConfig): tf.LayersModel {
  const { inputShape, numClasses } = config;
  if (inputShape.length !== 3 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`makeModel: inputShape must be [height, width, channels] of positive integers, got ${JSON.stringify(inputShape)}`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new Error(`makeModel: numClasses must be an integer >= 2, got ${numClasses}`);
  }
  const inputs = tf.input({ shape: inputShape, name: 'image' });
  let x: Sym = inputs;

  const aug = config.augmentation === undefined ? TUTORIAL_AUGMENTATION : config.augmentation;
  if (aug !== false) {
    // Distinct seeds per layer so flip and rotation draws are independent streams.
    if (aug.flip !== false && aug.flip !== undefined) {
      x = apply(randomFlip({ mode: aug.flip, seed: aug.seed, name: 'random_flip' }), x);
    }
    if (aug.rotation !== false && aug.rotation !== undefined && aug.rotation !== 0) {
      const seed = aug.seed === undefined ? undefined : (aug.seed + 1) >>> 0;
      x = apply(randomRotation({ factor: aug.rotation, seed, name: 'random_rotation' }), x);
    }
  }

  // Entry block
  x = apply(tf.layers.rescaling({ scale: 1 / 255, name: 'rescaling' }), x);
  x = apply(conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', name: 'entry_conv1' }), x);
  x = apply(batchNormalization({ name: 'entry_bn1' }), x);
  x = apply(tf.layers.activation({ activation: 'relu', name: 'entry_relu1' }), x);
  x = apply(conv2d({ filters: 64, kernelSize: 3, padding: 'same', name: 'entry_conv2' }), x);
  x = apply(batchNormalization({ name: 'entry_bn2' }), x);
  x = apply(tf.layers.activation({ activation: 'relu', name: 'entry_relu2' }), x);

  let previous = x; // set aside for the residual
  for (const size of BLOCK_SIZES) {
    const b = `block${size}`;
    x = apply(tf.layers.activation({ activation: 'relu', name: `${b}_relu1` }), x);
    x = apply(tf.layers.separableConv2d({ filters: size, kernelSize: 3, padding: 'same', name: `${b}_sepconv1` }), x);
    x = apply(batchNormalization({ name: `${b}_bn1` }), x);
    x = apply(tf.layers.activation({ activation: 'relu', name: `${b}_relu2` }), x);
    x = apply(tf.layers.separableConv2d({ filters: size, kernelSize: 3, padding: 'same', name: `${b}_sepconv2` }), x);
    x = apply(batchNormalization({ name: `${b}_bn2` }), x);
    x = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: `${b}_pool` }), x);
    const residual = apply(conv2d({ filters: size, kernelSize: 1, strides: 2, padding: 'same', name: `${b}_residual` }), previous);
    x = apply(tf.layers.add({ name: `${b}_add` }), [x, residual]);
    previous = x;
  }

  // Exit block
  x = apply(tf.layers.separableConv2d({ filters: 1024, kernelSize: 3, padding: 'same', name: 'exit_sepconv' }), x);
  x = apply(batchNormalization({ name: 'exit_bn' }), x);
  x = apply(tf.layers.activation({ activation: 'relu', name: 'exit_relu' }), x);
  x = apply(tf.layers.globalAveragePooling2d({ name: 'global_pool' }), x);
  x = apply(tf.layers.dropout({ rate: 0.5, name: 'dropout' }), x);
  const binary = numClasses === 2;
  const outputs = apply(tf.layers.dense({
    units: binary ? 1 : numClasses, activation: binary ? 'sigmoid' : 'softmax', name: 'predictions',
  }), x);
  return tf.model({ inputs, outputs, name: config.name ?? 'mini_xception' });
}
