/**
 * The published artifact works on its own: `npm pack` gives a tarball that installs into an
 * empty folder and runs (bin link, built code, runtime dependencies all present).
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
    // The tarball carries the built code, not the sources or tests.
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
    expect(listing).toContain('package/dist/main.js');
    expect(listing).not.toContain('package/test/');
  }, 180000);
});
