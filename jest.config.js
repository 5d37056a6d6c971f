// Jest runs the TypeScript sources as native ES modules through ts-jest, with full type
// checking (no isolatedModules shortcut), so a type error fails the test run too.
const tsJest = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.jest.json' }],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: tsJest,
  // Sources import './x.js' (NodeNext); map them back to the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/**/*.e2e.test.ts'],
      // Steps that run a tool (helm, kubectl) take seconds on a busy 2-core machine: the 5 s
      // default would fail them for being slow, not wrong. Long tests set their own timeout.
      testTimeout: 60_000,
    },
    // Real containers (the image `make image` builds; root, buildah): `make e2e-real`.
    {
      ...common,
      displayName: 'real',
      testMatch: ['<rootDir>/e2e/**/*.real.test.ts'],
      testTimeout: 60_000,
    },
  ],
};
