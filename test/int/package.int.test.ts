/**
 * The published artifact works on its own: `npm pack` gives a tarball that installs into an
 * empty folder and runs (bin link, built code, runtime dependencies all present). It names
 * the packages bundled into dist/ (dist/bundled.cdx.json), which no `npm audit` of the
 * installed tree can see.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

describe('npm pack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ra-pack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // --ignore-scripts: dist/ is already built by `npm test`; rebuilding it here would race the
  // other test files that run the CLI at the same time.
  test('the tarball installs in an empty folder and its bin runs', () => {
    const out = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
    const tarball = join(dir, out.trim().split('\n').pop() ?? '');
    const app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), '{"name":"empty","version":"1.0.0","private":true}');
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', tarball], { cwd: app, stdio: 'ignore' });
    const help = execFileSync(join(app, 'node_modules', '.bin', 'redis-accounts'), ['--help'], { encoding: 'utf8' });
    expect(help).toContain('Usage: redis-accounts');
    // The native runtime dependencies load there (--help loads neither).
    execFileSync(process.execPath, ['-e', "require('bcrypt').hashSync('x', 4); require('argon2')"], { cwd: app });
    // The tarball carries the built code, not the sources or tests.
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
    expect(listing).toContain('package/dist/main.js');
    expect(listing).not.toContain('package/test/');

    // The bundled-dependency list ships, and names each bundled package at the version that
    // was installed here when dist/ was built; the same packages as the license notices.
    expect(listing).toContain('package/dist/bundled.cdx.json');
    const installed = join(app, 'node_modules', 'redis-accounts', 'dist');
    const bom = JSON.parse(readFileSync(join(installed, 'bundled.cdx.json'), 'utf8')) as {
      bomFormat: string;
      components: { group?: string; name: string; version: string; purl: string; properties: { name: string; value: string }[] }[];
    };
    expect(bom.bomFormat).toBe('CycloneDX');
    const named = bom.components.map((c) => `${c.group === undefined ? '' : `${c.group}/`}${c.name}@${c.version}`);
    const version = (dir: string): string =>
      (JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { version: string }).version;
    for (const pkg of ['@redis/client', 'commander', 'chalk', 'cli-table3', '@inquirer/password', '@inquirer/confirm']) {
      expect(named).toContain(`${pkg}@${version(join('node_modules', pkg))}`);
    }
    expect(bom.components.find((c) => c.group === '@redis' && c.name === 'client')?.purl).toBe(
      `pkg:npm/%40redis/client@${version('node_modules/@redis/client')}`,
    );
    for (const c of bom.components)
      expect(version(c.properties.find((p) => p.name === 'cdx:npm:package:path')?.value ?? '')).toBe(c.version);
    // External: runtime dependencies.
    expect(named.map((n) => n.replace(/@[^@]*$/, ''))).not.toContain('argon2');
    expect(named.map((n) => n.replace(/@[^@]*$/, ''))).not.toContain('bcrypt');
    const notices = readFileSync(join(installed, 'THIRD-PARTY-LICENSES.txt'), 'utf8');
    // Each notice starts with a line `name version (license)`; notices are split by a rule of dashes.
    const headings = notices
      .split(`\n${'-'.repeat(72)}\n\n`)
      .map((block, i) => (i === 0 ? block.split('\n\n')[1] : block)?.split('\n')[0] ?? '');
    const noticed = headings.map((line) => line.split(' ').slice(0, 2).join('@'));
    expect([...named].sort()).toEqual([...new Set(noticed)].sort());
  }, 180000);
});
