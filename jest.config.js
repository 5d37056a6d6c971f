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
      // A 60 s default per test (Jest ignores a project's own testTimeout).
      setupFilesAfterEnv: ['<rootDir>/e2e/support/jest-timeout.ts'],
    },
    // Real containers (the image `make image` builds; root, buildah): `make e2e-real`.
    {
      ...common,
      displayName: 'real',
      testMatch: ['<rootDir>/e2e/**/*.real.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/e2e/support/jest-timeout.ts'],
    },
  ],
};
