// Keras' RandomFlip for tfjs-layers (which has none): during training each image is flipped
// left-right and/or up-down with probability 0.5 each, independently (Keras 2 RandomFlip uses
// tf.image.random_flip_left_right / random_flip_up_down); at inference it is the identity.
// Follows the tfjs-layers layer pattern (layers/preprocessing/random_width.ts).
import { tf } from '@pawpipe/tf-backend';
import { randomSeed, SeededRandom } from './seeded-random';

export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';
const MODES: readonly FlipMode[] = ['horizontal', 'vertical', 'horizontal_and_vertical'];

export interface RandomFlipArgs {
  mode?: FlipMode;
  seed?: number;
  name?: string;
}

type Kwargs = Record<string, unknown>;

export class RandomFlip extends tf.layers.Layer {
  static className = 'RandomFlip';
  readonly mode: FlipMode;
  readonly seed: number | undefined;
  private readonly rng: SeededRandom;

  constructor(args: RandomFlipArgs = {}) {
    super({ name: args.name });
    this.mode = args.mode ?? 'horizontal_and_vertical'; // Keras' default
    if (!MODES.includes(this.mode)) {
      throw new Error(`RandomFlip: mode must be one of ${MODES.join(', ')}, got '${String(this.mode)}'`);
    }
    this.seed = args.seed;
    this.rng = new SeededRandom(args.seed ?? randomSeed());
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  /** The per-image decisions for a batch: [flipLeftRight, flipUpDown] each 0 or 1. */
  draw(batch: number): Array<[number, number]> {
    const horizontal = this.mode !== 'vertical';
    const vertical = this.mode !== 'horizontal';
    return Array.from({ length: batch }, () => [
      horizontal && this.rng.next() < 0.5 ? 1 : 0,
      vertical && this.rng.next() < 0.5 ? 1 : 0,
    ]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    if (kwargs['training'] !== true) return x;
    return tf.tidy(() => {
      const decisions = this.draw(x.shape[0]);
      let out: tf.Tensor4D = x;
      // Blend with 0/1 masks: exact, and one batched op per axis instead of one per image.
      const apply = (axis: 1 | 2, pick: 0 | 1): void => {
        const mask = decisions.map((d) => d[pick]);
        if (mask.every((m) => m === 0)) return;
        const m = tf.tensor4d(mask, [mask.length, 1, 1, 1]);
        out = tf.add(tf.mul(tf.reverse(out, axis), m), tf.mul(out, tf.sub(1, m))) as tf.Tensor4D;
      };
      apply(2, 0);
      apply(1, 1);
      return out;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { mode: this.mode };
    if (this.seed !== undefined) config['seed'] = this.seed;
    return { ...super.getConfig(), ...config };
  }
}
tf.serialization.registerClass(RandomFlip);

export function randomFlip(args?: RandomFlipArgs): RandomFlip {
  return new RandomFlip(args);
}
