import { tf } from '@pawpipe/tf-backend';

/** Keras tutorial defaults: Adam(1e-3). */
export const DEFAULT_LEARNING_RATE = 1e-3;
export const DEFAULT_EPOCHS = 50;

/**
 * compile() as in the Keras example: binary crossentropy + accuracy for 2 classes (one sigmoid
 * unit), categorical crossentropy + accuracy for more (softmax).
 */
export function compileForClasses(model: tf.LayersModel, numClasses: number, learningRate = DEFAULT_LEARNING_RATE): tf.Optimizer {
  const optimizer = tf.train.adam(learningRate);
  model.compile({
    optimizer,
    loss: numClasses === 2 ? 'binaryCrossentropy' : 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return optimizer;
}
