// Keras' RandomRotation for tfjs-layers (which has none). factor f (or [lo, hi]) means an angle
// drawn uniformly from [-f * 2pi, f * 2pi] per image, counter-clockwise for positive angles;
// pixels outside the image are filled by 'reflect' (d c b a | a b c d | d c b a), sampled
// bilinearly: Keras 2 image_preprocessing.RandomRotation with get_rotation_matrix and
// ImageProjectiveTransformV3, reproduced by ./projective-transform (wasm's Transform kernel
// gets 'reflect' wrong). Active only in training.
import { tf } from '@pawpipe/tf-backend';
import { randomSeed, SeededRandom } from './seeded-random';

import { projectiveTransform, type FillMode, type Interpolation } from './projective-transform';

export type { FillMode, Interpolation };

export interface RandomRotationArgs {
  factor: number | [number, number];
  fillMode?: FillMode;
  interpolation?: Interpolation;
  fillValue?: number;
  seed?: number;
  name?: string;
}

type Kwargs = Record<string, unknown>;

/**
 * Keras get_rotation_matrix: the projective transform [a0, a1, a2, b0, b1, b2, 0, 0] that maps
 * each output pixel (x, y) to the input point (a0 x + a1 y + a2, b0 x + b1 y + b2).
 */
export function rotationMatrix(angle: number, height: number, width: number): number[] {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const xOffset = (width - 1 - (c * (width - 1) - s * (height - 1))) / 2;
  const yOffset = (height - 1 - (s * (width - 1) + c * (height - 1))) / 2;
  return [c, -s, xOffset, s, c, yOffset, 0, 0];
}

export class RandomRotation extends tf.layers.Layer {
  static className = 'RandomRotation';
  readonly factor: number | [number, number];
  readonly fillMode: FillMode;
  readonly interpolation: Interpolation;
  readonly fillValue: number;
  readonly seed: number | undefined;
  private readonly lower: number;
  private readonly upper: number;
  private readonly rng: SeededRandom;

  constructor(args: RandomRotationArgs) {
    super({ name: args.name });
    this.factor = args.factor;
    const [lo, hi] = Array.isArray(args.factor) ? args.factor : [-args.factor, args.factor];
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
      throw new Error(`RandomRotation: factor must be a number or [lower, upper] with lower <= upper, got ${JSON.stringify(args.factor)}`);
    }
    this.lower = lo * 2 * Math.PI;
    this.upper = hi * 2 * Math.PI;
    this.fillMode = args.fillMode ?? 'reflect';
    this.interpolation = args.interpolation ?? 'bilinear';
    if (!['reflect', 'wrap', 'constant', 'nearest'].includes(this.fillMode)) {
      throw new Error(`RandomRotation: fillMode must be reflect, wrap, constant or nearest, got '${this.fillMode}'`);
    }
    if (!['bilinear', 'nearest'].includes(this.interpolation)) {
      throw new Error(`RandomRotation: interpolation must be bilinear or nearest, got '${this.interpolation}'`);
    }
    this.fillValue = args.fillValue ?? 0;
    this.seed = args.seed;
    this.rng = new SeededRandom(args.seed ?? randomSeed());
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  /** The angles (radians) for the next batch. */
  draw(batch: number): number[] {
    return Array.from({ length: batch }, () => this.rng.uniform(this.lower, this.upper));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    if (kwargs['training'] !== true) return x;
    return tf.tidy(() => {
      const [n, h, w] = x.shape;
      const matrices = this.draw(n).map((a) => rotationMatrix(a, h, w));
      return projectiveTransform(x, matrices, this.interpolation, this.fillMode, this.fillValue);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      factor: this.factor, fillMode: this.fillMode, interpolation: this.interpolation, fillValue: this.fillValue,
    };
    if (this.seed !== undefined) config['seed'] = this.seed;
    return { ...super.getConfig(), ...config };
  }
}
tf.serialization.registerClass(RandomRotation);

export function randomRotation(args: RandomRotationArgs): RandomRotation {
  return new RandomRotation(args);
}
