// Builds dist/: src/main.ts and its pure-JavaScript dependencies as one ES module graph, each
// command (and each library only some commands use) a chunk loaded on first use. Why bundle:
// Node loads a CommonJS package file by file, and ESM one module at a time; bundled, `--help`
// went from 1.50x to 1.19x `node -e 0`, and a one-key command from ~0.38 s to ~0.21 s, most
// of it node-redis's hundreds of files (see docs/performance.md). argon2 and bcrypt stay
// external: they are native. The licenses of what is bundled go to
// dist/THIRD-PARTY-LICENSES.txt, and their names and versions to dist/bundled.cdx.json (an
// SBOM, for scanners and .ci/run's audit).
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
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "module.exports = { spawn: (...args) => require('node:child_process').spawn(...args) };",
      loader: 'js',
    }));
  },
};

/**
 * node-redis builds each client class by adding its ~500 command methods to a fresh class
 * prototype one at a time (attachConfig in @redis/client's commander.js); V8 copies the
 * prototype's hidden class and property list on every addition, ~4.5 MB of garbage and
 * ~10 ms per class, and each client builds two (the client and its Multi). Adding and
 * deleting one property first puts the prototype in dictionary mode, where additions are
 * cheap: createClient 40 ms -> 5 ms, a no-op Redis command 0.17 s -> 0.13 s
 * (docs/performance.md, change 18). The build fails if the code it patches has changed.
 * Checked against @redis/client 6.3.1, which package.json pins exactly (and `redis`, used by
 * the tests, at the same version); re-measure before moving the pin.
 * Upstream: redis/node-redis#2954 ("createClient in v5 is much slower than in v4", closed)
 * was fixed by #2963, which reuses the class while the config is unchanged; the first class
 * of each kind still pays for the copies, and the maintainers' stated remedy is generating
 * the command methods at build time. No upstream issue on the per-addition copying itself
 * was found.
 */
const ATTACH_ANCHOR = '    Class = class extends BaseClass {\n    };\n';
let prototypesPatched = false;
const cheapPrototypes = {
  name: 'cheap-node-redis-prototypes',
  setup(b) {
    b.onLoad({ filter: /[\\/]@redis[\\/]client[\\/]dist[\\/]lib[\\/]commander\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (source.split(ATTACH_ANCHOR).length !== 2)
        throw new Error(`${args.path}: attachConfig changed; revisit cheapPrototypes in scripts/build.mjs`);
      const normalize = '    Class.prototype.__dictionaryMode = 0;\n    delete Class.prototype.__dictionaryMode;\n';
      prototypesPatched = true;
      return { contents: source.replace(ATTACH_ANCHOR, ATTACH_ANCHOR + normalize), loader: 'js' };
    });
  },
};

rmSync('dist', { recursive: true, force: true });
const result = await build({
  entryPoints: ['src/main.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['argon2', 'bcrypt'],
  metafile: true,
  sourcemap: true,
  legalComments: 'inline',
  logLevel: 'warning',
  plugins: [lazyChildProcess, cheapPrototypes],
  // commander is CommonJS and require()s Node's built-ins; an ES module has no require.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
if (!prototypesPatched)
  throw new Error('@redis/client/dist/lib/commander.js was not bundled; revisit cheapPrototypes in scripts/build.mjs');

/** The packages whose files esbuild bundled: each one's folder under node_modules and its package.json, sorted by name. */
function bundledPackages(inputs) {
  const dirs = new Set();
  for (const file of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (m) dirs.add(m[1]);
  }
  const packages = [...dirs].map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }));
  return packages.sort((a, b) => a.pkg.name.localeCompare(b.pkg.name) || a.dir.localeCompare(b.dir));
}

/** One notice per bundled package (name, version, license, its LICENSE file). */
function licenseNotices(packages) {
  const notices = packages.map(({ dir, pkg }) => {
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
    const text = file === undefined ? `(no license file; package.json says ${pkg.license})` : readFileSync(join(dir, file), 'utf8').trim();
    return `${pkg.name} ${pkg.version} (${pkg.license})\n\n${text}\n`;
  });
  return notices.join(`\n${'-'.repeat(72)}\n\n`);
}

/**
 * dist/bundled.cdx.json: a CycloneDX 1.5 SBOM of the bundled packages. They are
 * devDependencies, so neither an installer's `npm audit` nor a scanner reading
 * node_modules sees them; this file names each one as a package URL (pkg:npm/...) that
 * SBOM scanners look up, and .ci/run audits it. cdx:npm:package:path is where the package
 * sat in node_modules (two bundled versions of one package sit at different paths; .ci/run
 * rebuilds a lockfile from them). No timestamp or serial number: the same sources give the
 * same file.
 */
function sbom(packages) {
  const self = JSON.parse(readFileSync('package.json', 'utf8'));
  const purl = (name, version) => `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
  const seen = new Set();
  const components = packages.flatMap(({ dir, pkg }) => {
    // One component per name and version (bom-ref is unique), wherever else it was installed too.
    if (seen.has(purl(pkg.name, pkg.version))) return [];
    seen.add(purl(pkg.name, pkg.version));
    const scoped = /^(@[^/]+)\/(.+)$/.exec(pkg.name);
    return {
      type: 'library',
      'bom-ref': purl(pkg.name, pkg.version),
      ...(scoped ? { group: scoped[1], name: scoped[2] } : { name: pkg.name }),
      version: pkg.version,
      ...(typeof pkg.license === 'string' ? { licenses: [{ expression: pkg.license }] } : {}),
      purl: purl(pkg.name, pkg.version),
      properties: [{ name: 'cdx:npm:package:path', value: dir.slice(dir.indexOf('node_modules/')) }],
    };
  });
  const app = {
    type: 'application',
    'bom-ref': purl(self.name, self.version),
    name: self.name,
    version: self.version,
    purl: purl(self.name, self.version),
  };
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: { component: app },
    components,
  };
}

const inputs = Object.keys(result.metafile.inputs).filter((f) => existsSync(f));
const packages = bundledPackages(inputs);
writeFileSync('dist/THIRD-PARTY-LICENSES.txt', `redis-accounts bundles these packages into dist/.\n\n${licenseNotices(packages)}`);
writeFileSync('dist/bundled.cdx.json', `${JSON.stringify(sbom(packages), null, 2)}\n`);
