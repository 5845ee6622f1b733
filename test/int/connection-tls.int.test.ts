/**
 * rediss:// end to end against real redis-server TLS ports, with certificates made by
 * openssl for this file: the right CA works, every way the handshake can be refused ends
 * in one line on stderr and exit 3, never a hang.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { adminClient, sessionJson } from '../helpers/client.js';
import { ndjson, runCli, type CliResult } from '../helpers/cli.js';
import { expectConnectionFailure } from '../helpers/fixture.js';
import type { RedisServer } from '../helpers/redis-server.js';
import { makeTestPki, startTlsRedis, type TestPki } from '../helpers/tls.js';

const FAST_ARGON2 = ['--argon2-memory', '1024', '--argon2-time', '1', '--argon2-parallelism', '1'];
/** A successful run may print its summary on stderr ("2 sessions."), but no warning and no error. */
const QUIET_VIOLATION = /warning|error|redis-accounts:/i;

async function timed(args: string[], env?: Record<string, string>): Promise<CliResult & { ms: number }> {
  const start = Date.now();
  const r = await runCli(args, { env, timeoutMs: 15000 });
  return { ...r, ms: Date.now() - start };
}

describe('TLS (rediss://)', () => {
  let pki: TestPki;
  /** Server cert for 127.0.0.1 signed by pki.ca; client certificates optional. */
  let tlsServer: RedisServer;
  /** Server cert signed by pki.ca but issued to another host name. */
  let mismatchServer: RedisServer;
  /** Requires a client certificate signed by pki.ca. */
  let mtlsServer: RedisServer;

  beforeAll(async () => {
    pki = makeTestPki();
    [tlsServer, mismatchServer, mtlsServer] = await Promise.all([
      startTlsRedis(pki),
      startTlsRedis(pki, { cert: pki.mismatch }),
      startTlsRedis(pki, { requireClientCert: true }),
    ]);
    // Seed over the plaintext ports, which the helper opens next to the TLS ones.
    for (const server of [tlsServer, mtlsServer]) {
      const admin = await adminClient(`redis://127.0.0.1:${server.plainPort}`);
      await admin.set('sess:tls-a', sessionJson({ username: 'alice' }), { EX: 3600 });
      await admin.set('sess:tls-b', sessionJson({ username: 'bob' }), { EX: 3600 });
      await admin.close();
    }
  });

  afterAll(async () => {
    await Promise.all([tlsServer, mismatchServer, mtlsServer].map((s) => s?.stop()));
    pki?.cleanup();
  });

  test('with the right CA, session list --json reads the seeded sessions', async () => {
    const r = await runCli(['session', 'list', '--json', '--url', tlsServer.url, '--tls-ca', pki.ca.cert]);
    expect(r.stderr).not.toMatch(QUIET_VIOLATION);
    expect(r.code).toBe(0);
    const rows = ndjson(r.stdout);
    expect(rows.map((s) => [s['id'], s['user']]).sort()).toEqual([
      ['tls-a', 'alice'],
      ['tls-b', 'bob'],
    ]);
  });

  test('with the right CA, user add writes through TLS (checked on the plaintext port)', async () => {
    const r = await runCli(
      ['user', 'add', 'tls-carol', '--password-stdin', '--url', tlsServer.url, '--tls-ca', pki.ca.cert, ...FAST_ARGON2],
      {
        input: 'correct horse battery\n',
      },
    );
    expect(r.stderr).toContain('Created user tls-carol');
    expect(r.code).toBe(0);
    const admin = await adminClient(`redis://127.0.0.1:${tlsServer.plainPort}`);
    try {
      expect(await admin.hGet('user:{tls-carol}', 'password_hash')).toMatch(/^\$argon2id\$/);
    } finally {
      await admin.close();
    }
  });

  test('a CA that did not sign the server certificate: exit 3, one line naming TLS', async () => {
    const r = await runCli(['session', 'list', '--json', '--url', tlsServer.url, '--tls-ca', pki.wrongCa.cert]);
    expectConnectionFailure(r, /TLS/);
    expect(r.stderr).toContain(`rediss://127.0.0.1:${tlsServer.port}`);
  });

  test('no --tls-ca at all: the test CA is not trusted by default, exit 3', async () => {
    const r = await runCli(['session', 'list', '--json', '--url', tlsServer.url]);
    expectConnectionFailure(r, /TLS/);
  });

  test('a certificate for another host name (signed by the trusted CA): exit 3, hostname mismatch', async () => {
    const r = await runCli(['session', 'list', '--json', '--url', mismatchServer.url, '--tls-ca', pki.ca.cert]);
    expectConnectionFailure(r, /TLS.*(ALTNAME|does not match)/i);
  });

  test('plaintext redis:// against the TLS port: exit 3 well within the timeout', async () => {
    const r = await timed(['session', 'list', '--json', '--url', `redis://127.0.0.1:${tlsServer.port}`, '--timeout', '1s']);
    expectConnectionFailure(r, /cannot connect to redis:\/\/127\.0\.0\.1:\d+/);
    // However the server drops the plaintext client (a reset, or a close), the hint names rediss://.
    expect(r.stderr).toMatch(/\(hint: if the server expects TLS, use a rediss:\/\/ URL\)/);
    expect(r.signal).toBeNull();
    expect(r.ms).toBeLessThan(10000);
  });

  describe('server requiring client certificates', () => {
    test('works with --tls-cert and --tls-key', async () => {
      const r = await runCli([
        'session',
        'list',
        '--json',
        '--url',
        mtlsServer.url,
        '--tls-ca',
        pki.ca.cert,
        '--tls-cert',
        pki.client.cert,
        '--tls-key',
        pki.client.key,
      ]);
      expect(r.stderr).not.toMatch(QUIET_VIOLATION);
      expect(r.code).toBe(0);
      expect(ndjson(r.stdout)).toHaveLength(2);
    });

    test('without a client certificate: exit 3, one line', async () => {
      const r = await timed(['session', 'list', '--json', '--url', mtlsServer.url, '--tls-ca', pki.ca.cert, '--timeout', '2s']);
      expectConnectionFailure(r, /TLS|ECONNRESET|connection lost/);
      expect(r.ms).toBeLessThan(10000);
    });

    test('with a client certificate from an unrelated CA: exit 3, one line', async () => {
      const r = await runCli([
        'session',
        'list',
        '--json',
        '--url',
        mtlsServer.url,
        '--tls-ca',
        pki.ca.cert,
        '--tls-cert',
        pki.wrongClient.cert,
        '--tls-key',
        pki.wrongClient.key,
      ]);
      expectConnectionFailure(r, /TLS|ECONNRESET|connection lost/);
    });

    test('environment equivalents: REDIS_URL, REDIS_TLS_CA, REDIS_TLS_CERT, REDIS_TLS_KEY', async () => {
      const env = { REDIS_URL: mtlsServer.url, REDIS_TLS_CA: pki.ca.cert, REDIS_TLS_CERT: pki.client.cert, REDIS_TLS_KEY: pki.client.key };
      const r = await runCli(['session', 'list', '--json'], { env });
      expect(r.stderr).not.toMatch(QUIET_VIOLATION);
      expect(r.code).toBe(0);
      expect(
        ndjson(r.stdout)
          .map((s) => s['user'])
          .sort(),
      ).toEqual(['alice', 'bob']);

      // The variables are really read: without REDIS_TLS_CERT/KEY the same call is refused.
      const without = await runCli(['session', 'list', '--json'], { env: { REDIS_URL: mtlsServer.url, REDIS_TLS_CA: pki.ca.cert } });
      expectConnectionFailure(without, /TLS|ECONNRESET|connection lost/);
    });

    test('REDIS_TLS_CA pointing at the wrong CA is refused like --tls-ca', async () => {
      const r = await runCli(['session', 'list', '--json'], { env: { REDIS_URL: tlsServer.url, REDIS_TLS_CA: pki.wrongCa.cert } });
      expectConnectionFailure(r, /TLS/);
    });
  });

  test('--tls-ca naming a file that does not exist is a usage error (exit 2), not a connection failure', async () => {
    const r = await runCli(['session', 'list', '--url', tlsServer.url, '--tls-ca', `${pki.dir}/no-such-ca.pem`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read TLS CA file .*no-such-ca\.pem: ENOENT/);
    expect(r.stderr).not.toContain('    at ');
  });
});
