/**
 * Deterministic randomness per (seed, epoch, batch), so any batch can be produced on its own
 * (shards, restarts). Each stream is numpy's `RandomState` seeded by an array (init_by_array), so
 * Python can reproduce it:
 *   order of epoch e:        np.random.RandomState([seed, e]).permutation(n)
 *   augmentation of batch b: np.random.RandomState([seed, e, b, 0x41554721]).random_sample(3 * k)
 *                            (3 doubles per image slot: flip-h, flip-v, angle)
 */
import { MT19937 } from './mt19937';

const AUGMENT_TAG = 0x41554721; // 'AUG!': keeps augmentation streams apart from order streams

export function epochOrder(seed: number, epoch: number, n: number): number[] {
  return MT19937.fromArray([seed, epoch]).permutation(n);
}

export function augmentationStream(seed: number, epoch: number, batch: number): MT19937 {
  return MT19937.fromArray([seed, epoch, batch, AUGMENT_TAG]);
}
