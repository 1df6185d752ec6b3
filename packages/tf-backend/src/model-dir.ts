// Saves and loads a tf.LayersModel as a directory in the standard TensorFlow.js layers format
// (model.json + group1-shard1of1.bin, what tfjs-node's file:// handler writes), with plain
// node:fs, so checkpoints work on wasm/cpu where tfjs-node (and its file:// handler) is absent.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { tf } from './tf';
import { BackendError } from './errors';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'group1-shard1of1.bin';

export interface SaveModelOptions {
  /** Replace an existing model.json/weights in dir. Without it an existing model is an error. */
  overwrite?: boolean;
  /** Also save the optimizer's state (model must be compiled), so training can resume. */
  includeOptimizer?: boolean;
  /** Stored under userDefinedMetadata in model.json (class names, image size, ...). */
  metadata?: Record<string, unknown>;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

/** Writes dir/model.json and dir/group1-shard1of1.bin (each via a temp file and rename). */
export async function saveModelToDir(model: tf.LayersModel, dir: string, opts: SaveModelOptions = {}): Promise<tf.io.SaveResult> {
  const jsonPath = path.join(dir, MODEL_JSON);
  if (!opts.overwrite && (await exists(jsonPath))) {
    throw new BackendError('model-io', `${jsonPath} already exists: pass overwrite to replace it`);
  }
  const handler = tf.io.withSaveHandler(async (artifacts) => {
    const weightData = artifacts.weightData == null
      ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    const modelJson: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    };
    if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
    if (opts.metadata != null || artifacts.userDefinedMetadata != null) {
      modelJson.userDefinedMetadata = { ...artifacts.userDefinedMetadata, ...opts.metadata } as Record<string, {}>;
    }
    try {
      await fs.mkdir(dir, { recursive: true });
      const tmp = `.tmp-${process.pid}-${Date.now()}`;
      await fs.writeFile(path.join(dir, WEIGHTS_BIN + tmp), Buffer.from(weightData));
      await fs.writeFile(jsonPath + tmp, JSON.stringify(modelJson));
      await fs.rename(path.join(dir, WEIGHTS_BIN + tmp), path.join(dir, WEIGHTS_BIN));
      await fs.rename(jsonPath + tmp, jsonPath);
    } catch (cause) {
      throw new BackendError('model-io', `cannot write the model to ${dir}: ${(cause as Error).message}`, { cause });
    }
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
        weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
        weightDataBytes: weightData.byteLength,
      },
    };
  });
  return model.save(handler, { includeOptimizer: opts.includeOptimizer === true });
}

/** Reads the model.json of dir, the weight files its manifest names, and returns the artifacts. */
export async function readModelArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = path.join(dir, MODEL_JSON);
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
  } catch (cause) {
    throw new BackendError('model-io', `cannot read ${jsonPath}: ${(cause as Error).message}`, { cause });
  }
  if (modelJson.modelTopology == null || !Array.isArray(modelJson.weightsManifest)) {
    throw new BackendError('model-io', `${jsonPath} is not a TensorFlow.js layers model (no modelTopology/weightsManifest)`);
  }
  const buffers: ArrayBuffer[] = [];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  for (const group of modelJson.weightsManifest) {
    for (const p of group.paths) {
      const file = path.join(dir, p);
      const data = await fs.readFile(file).catch((cause: Error) => {
        throw new BackendError('model-io', `cannot read weights ${file}: ${cause.message}`, { cause });
      });
      buffers.push(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
    }
    weightSpecs.push(...group.weights);
  }
  return tf.io.getModelArtifactsForJSONSync(modelJson, weightSpecs, tf.io.concatenateArrayBuffers(buffers));
}

/**
 * Loads a model saved by saveModelToDir (or by tfjs-node's file:// handler). Custom layers
 * must be registered first (importing @pawpipe/model does that for RandomFlip/RandomRotation).
 */
export async function loadModelFromDir(dir: string, opts: { strict?: boolean } = {}): Promise<tf.LayersModel> {
  const artifacts = await readModelArtifacts(dir);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts), { strict: opts.strict ?? true });
}
