// Jest runs the ESM build of every module (node --experimental-vm-modules) with ts-jest
// transpiling TypeScript file by file; typechecking is `npm run typecheck`'s job.
const esmTypeScript = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testEnvironment: 'node',
};

export default {
  // Applies to hooks as well; e2e waits are bounded by their own timeouts well below this.
  testTimeout: 300000,
  projects: [
    {
      ...esmTypeScript,
      displayName: 'unit',
      roots: ['<rootDir>/src'],
      testMatch: ['**/*.test.ts'],
    },
    {
      ...esmTypeScript,
      displayName: 'e2e',
      roots: ['<rootDir>/e2e'],
      testMatch: ['**/*.e2e.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/e2e/realnode/'],
      globalSetup: '<rootDir>/e2e/support/global-setup.ts',
      globalTeardown: '<rootDir>/e2e/support/global-teardown.ts',
    },
    {
      // Suites that need pods to really run: a world with a real node (kubelet + containerd),
      // started only when this project is selected (npm run test:e2e:realnode).
      ...esmTypeScript,
      displayName: 'e2e-realnode',
      roots: ['<rootDir>/e2e/realnode'],
      testMatch: ['**/*.e2e.test.ts'],
      globalSetup: '<rootDir>/e2e/support/global-setup.ts',
      globalTeardown: '<rootDir>/e2e/support/global-teardown.ts',
    },
  ],
};
