// Builds dist/: src/cli.ts bundled together with commander, every command module a lazily
// loaded chunk. Why bundle: `--help` and every command start by loading commander, and
// loading it through Node's CommonJS loader plus our modules one by one cost ~30 ms before
// any work (1.5x `node -e 0`); as one ES module it costs ~10 ms (see docs/performance.md).
// The other dependencies stay external: argon2 is native, and redis, inquirer, chalk and
// cli-table3 load only in the commands that use them. Type-checking is tsc's job (npm test).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

/**
 * commander loads node:child_process at start-up (3-4 ms: it pulls in net, dgram and streams)
 * for executable subcommands, which we do not use. Hand it a stand-in that loads the real
 * module on first use.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) => (/[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({ contents: "module.exports = { spawn: (...args) => require('node:child_process').spawn(...args) };", loader: 'js' }));
  },
};

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['argon2', 'redis', '@inquirer/prompts', 'chalk', 'cli-table3'],
  sourcemap: true,
  legalComments: 'inline',
  logLevel: 'warning',
  plugins: [lazyChildProcess],
  // commander is CommonJS and require()s Node's built-ins; an ES module has no require.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
