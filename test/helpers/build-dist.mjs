// jest globalSetup of the int tier (jest.config.js): the integration tests run the built CLI
// (bin/redis-accounts.js -> dist/main.js), so dist/ is rebuilt from src/ before any of them
// runs. Without it a test run after editing src/ would test the previous build. ~1 s.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function buildDist() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(
      `the int tier's globalSetup could not build dist/ (node scripts/build.mjs exited ${r.status}):\n${r.stdout}${r.stderr}`,
    );
}
