/**
 * The files and URL parts that hold secrets, end to end: a password file or TLS key that
 * group or others can read is warned about on stderr (as ssh does) and still used; an empty
 * password file, a client certificate without its key (or the reverse) and a stray '%' in the
 * URL's credentials are usage errors (exit 2) with a clear message that never echoes a secret.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ndjson, runCli, type CliResult } from '../helpers/cli.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { makeTestPki, startTlsRedis, type TestPki } from '../helpers/tls.js';

const SECRET = 'file-Secret-k2P9';

let dir: string;
/** A port nothing listens on: usage errors must come before any connection (else exit 3). */
let deadUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ra-secrets-'));
  deadUrl = `redis://127.0.0.1:${await freePort()}`;
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Write a file with exactly `mode`, whatever the umask. */
function secretFile(name: string, content: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

function expectUsage(r: CliResult, message: string): void {
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
    code: 2,
    stdout: '',
    stderr: expect.stringMatching(/^redis-accounts: .*\n$/),
  });
  expect(r.stderr).toContain(message);
  expect(r.stderr).not.toContain(SECRET);
}

describe('a password file readable by group or others', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ args: ['--requirepass', SECRET] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('mode 0644: a warning on stderr naming the file and its mode; the password still works', async () => {
    const file = secretFile('open-password', `${SECRET}\n`, 0o644);
    const r = await runCli(['session', 'list', '--json', '--url', server.url, '--redis-password-file', file]);
    expect(r.code).toBe(0);
    expect(ndjson(r.stdout)).toEqual([]);
    expect(r.stderr.split('\n')[0]).toBe(
      `Warning: ${file} is readable by group or others (mode 0644); a secret file should be private: chmod 600 ${file}`,
    );
    expect(r.stderr).not.toContain(SECRET);
  });

  test('mode 0640 through REDIS_PASSWORD_FILE: warned as well', async () => {
    const file = secretFile('group-password', SECRET, 0o640);
    const r = await runCli(['session', 'list', '--json'], { env: { REDIS_URL: server.url, REDIS_PASSWORD_FILE: file } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Warning: ${file} is readable by group or others (mode 0640)`);
  });

  test('mode 0600: no warning', async () => {
    const file = secretFile('private-password', `${SECRET}\n`, 0o600);
    const r = await runCli(['session', 'list', '--json', '--url', server.url, '--redis-password-file', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/warning/i);
  });
});

describe('TLS client certificate and key', () => {
  let pki: TestPki;
  let tlsServer: RedisServer;
  beforeAll(async () => {
    pki = makeTestPki();
    tlsServer = await startTlsRedis(pki);
  });
  afterAll(async () => {
    await tlsServer?.stop();
    pki?.cleanup();
  });

  test('a key readable by others: warned about and still used; the certificate (public) is not', async () => {
    const key = join(dir, 'client-open.key');
    copyFileSync(pki.client.key, key);
    chmodSync(key, 0o644);
    chmodSync(pki.client.cert, 0o644);
    const r = await runCli([
      'session',
      'list',
      '--json',
      '--url',
      tlsServer.url,
      '--tls-ca',
      pki.ca.cert,
      '--tls-cert',
      pki.client.cert,
      '--tls-key',
      key,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `Warning: ${key} is readable by group or others (mode 0644); a secret file should be private: chmod 600 ${key}`,
      '0 sessions.',
    ]);
  });

  test('--tls-cert without --tls-key: exit 2', async () => {
    const r = await runCli(['session', 'list', '--url', tlsServer.url, '--tls-ca', pki.ca.cert, '--tls-cert', pki.client.cert]);
    expectUsage(r, '--tls-cert (REDIS_TLS_CERT) needs --tls-key (REDIS_TLS_KEY)');
  });

  test('REDIS_TLS_KEY without REDIS_TLS_CERT: exit 2', async () => {
    const r = await runCli(['session', 'list'], {
      env: { REDIS_URL: tlsServer.url, REDIS_TLS_CA: pki.ca.cert, REDIS_TLS_KEY: pki.client.key },
    });
    expectUsage(r, '--tls-key (REDIS_TLS_KEY) needs --tls-cert (REDIS_TLS_CERT)');
  });
});

describe('an empty password file is a usage error, not an empty password', () => {
  test.each([
    ['empty', ''],
    ['a newline only', '\n'],
  ])('%s: exit 2 before connecting', async (name, content) => {
    const file = secretFile(`empty-${name.replace(/\W/g, '')}`, content, 0o600);
    const r = await runCli(['session', 'list', '--url', deadUrl, '--redis-password-file', file]);
    expectUsage(r, `the password file ${file} is empty`);
  });
});

describe("a stray '%' in the URL's credentials", () => {
  test('in the password (--url): exit 2 with a clear message, not "unexpected error: URI malformed"', async () => {
    const r = await runCli(['session', 'list', '--url', `redis://:${SECRET}%zz@127.0.0.1:1`]);
    expectUsage(r, "the password in the URL has a '%' that is not URL encoding (write %25)");
    expect(r.stderr).not.toMatch(/unexpected|URI malformed/);
  });

  test('in the user name (REDIS_URL): exit 2', async () => {
    const r = await runCli(['session', 'list'], { env: { REDIS_URL: 'redis://ops%team:pw@127.0.0.1:1' } });
    expectUsage(r, "the user name in the URL has a '%' that is not URL encoding (write %25)");
  });
});
