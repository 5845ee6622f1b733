/** ESM all the way: chalk and @inquirer are ESM-only, so jest runs under
 *  --experimental-vm-modules with ts-jest's default-esm preset (see package.json).
 *
 *  Three tiers, one jest project each (`--selectProjects <name>` runs one alone; so do the
 *  npm scripts test:unit, test:inproc and test:int):
 *  - unit:   test/unit, pure logic, no server.
 *  - inproc: test/inproc, `main(argv, io)` called in-process with in-memory streams against a
 *            real redis-server: option parsing, validation, exit codes, output shapes.
 *  - int:    test/int, the built CLI (bin/ -> dist/) as a subprocess. Its globalSetup builds
 *            dist/ first (~1 s), so running one integration file after editing src/ tests the
 *            new code; jest runs it only when a test of this project is selected. */
const common = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    // Type errors are caught by `tsc --noEmit` in `npm test`; here we only transpile.
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
};

export default {
  // A global option: jest ignores it inside a project (tests then got its default of 5 s).
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    // Its environment lets `instanceof Error` accept errors made by Node itself (see the file).
    {
      ...common,
      displayName: 'inproc',
      testMatch: ['<rootDir>/test/inproc/**/*.inproc.test.ts'],
      testEnvironment: '<rootDir>/test/helpers/inproc-environment.mjs',
    },
    { ...common, displayName: 'int', testMatch: ['<rootDir>/test/int/**/*.test.ts'], globalSetup: '<rootDir>/test/helpers/build-dist.mjs' },
  ],
};
