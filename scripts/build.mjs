// Builds dist/: src/cli.ts and its pure-JavaScript dependencies as one ES module graph, each
// command (and each library only some commands use) a chunk loaded on first use. Why bundle:
// Node loads a CommonJS package file by file, and ESM one module at a time; bundled, `--help`
// went from 1.50x to 1.19x `node -e 0`, and a one-key command from ~0.38 s to ~0.21 s, most
// of it node-redis's hundreds of files (see docs/performance.md). argon2 stays external: it
// is native. The licenses of what is bundled go to dist/THIRD-PARTY-LICENSES.txt.
// Type-checking is tsc's job (npm run typecheck, part of npm test).
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
const result = await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['argon2'],
  metafile: true,
  sourcemap: true,
  legalComments: 'inline',
  logLevel: 'warning',
  plugins: [lazyChildProcess],
  // commander is CommonJS and require()s Node's built-ins; an ES module has no require.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});

/** One notice per bundled package (name, version, license, its LICENSE file), sorted by name. */
function licenseNotices(inputs) {
  const dirs = new Set();
  for (const file of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (m) dirs.add(m[1]);
  }
  const notices = [...dirs].map((dir) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
    const text = file === undefined ? `(no license file; package.json says ${pkg.license})` : readFileSync(join(dir, file), 'utf8').trim();
    return { name: pkg.name, text: `${pkg.name} ${pkg.version} (${pkg.license})\n\n${text}\n` };
  });
  notices.sort((a, b) => a.name.localeCompare(b.name));
  return notices.map((n) => n.text).join(`\n${'-'.repeat(72)}\n\n`);
}

const inputs = Object.keys(result.metafile.inputs).filter((f) => existsSync(f));
writeFileSync('dist/THIRD-PARTY-LICENSES.txt', `redis-accounts bundles these packages into dist/.\n\n${licenseNotices(inputs)}`);
