// Shared jest settings: every package's jest.config.js spreads this.
// ts-jest transpiles only (isolatedModules); `pnpm typecheck` runs tsc for types.
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.check.json' }] },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60000,
  // a software Vulkan driver for the WebGPU tests where the machine has no GPU (see the file)
  globalSetup: require('node:path').join(__dirname, 'jest.global-setup.js'),
};
