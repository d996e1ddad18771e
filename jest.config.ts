import type { Config } from 'jest';

type ProjectConfig = Exclude<NonNullable<Config['projects']>[number], string>;

// Path aliases mirror tsconfig.base.json so tests import libraries the way the apps do.
const moduleNameMapper = {
  '^@accrual/(money|billing|event-store|database|read-models|platform)$': '<rootDir>/libs/$1/src',
};

// Transpile only: `npm run typecheck` type-checks the whole tree once, instead of per test file.
const transform: ProjectConfig['transform'] = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }],
};

const shared: ProjectConfig = {
  rootDir: __dirname,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  moduleNameMapper,
  transform,
};

const config: Config = {
  projects: [
    // Pure tests: no database, no broker, no clock.
    { ...shared, displayName: 'unit', testMatch: ['**/*.unit.spec.ts'] },
    // Tests against real Postgres (and Kafka where they say so).
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/*.int.spec.ts', '**/*.e2e.spec.ts'],
      setupFiles: ['<rootDir>/test/setup-integration.ts'],
    },
  ],
  // Integration tests boot real Postgres-backed apps and a Kafka client; the bound is generous.
  testTimeout: 120_000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  maxWorkers: 2,
};

export default config;
