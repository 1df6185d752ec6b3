// The one TensorFlow.js namespace of the process: every @pawpipe package imports tf from here,
// so all of them share one engine, one kernel registry and one backend.
import * as tf from '@tensorflow/tfjs';

export { tf };
