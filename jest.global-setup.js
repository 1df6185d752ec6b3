// Runs once in jest's parent process, before any test file: points the Vulkan loader at the
// software driver (SwiftShader, from scripts/provision-swiftshader.sh) when the environment names
// none, so the WebGPU tests have an adapter on machines without a GPU. It has to happen here, in
// the real environment: Dawn reads VK_ICD_FILENAMES with getenv, and a test file's process.env is
// jest's copy. Test workers inherit it.
const path = require('node:path');

module.exports = async () => {
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return;
  let icd;
  try {
    icd = require(path.join(__dirname, 'packages', 'tf-backend', 'dist', 'webgpu-test-gate.js')).softwareVulkanIcd();
  } catch {
    return; // tf-backend not built yet: the WebGPU tests will say why they are skipped
  }
  if (icd) process.env.VK_ICD_FILENAMES = icd;
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp'; // silences the loader's warning
};
