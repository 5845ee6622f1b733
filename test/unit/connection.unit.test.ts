/**
 * resolveTarget and nodeSettings: what the tool makes of --url, the password file and the
 * TLS options before it touches the network.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  atAddress,
  databaseOf,
  nodeSettings,
  normalizeUrl,
  resolveTarget,
  type ConnectionOptions,
} from '../../src/core/redis/connection.js';
import { ExitCode, UsageError } from '../../src/core/errors.js';

const base: ConnectionOptions = { url: 'redis://127.0.0.1:6379', urlFromArgv: false, timeoutMs: 1000 };

async function usageErrorOf(p: Promise<unknown>): Promise<UsageError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    return err as UsageError;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('a URL without a scheme', () => {
  test.each([
    ['localhost', 'redis://localhost'],
    ['localhost:6379', 'redis://localhost:6379'],
    ['127.0.0.1:6380', 'redis://127.0.0.1:6380'],
    ['redis:6379', 'redis://redis:6379'],
    ['redis.internal:6379/2', 'redis://redis.internal:6379/2'],
    ['[::1]:6379', 'redis://[::1]:6379'],
  ])('%s means %s', async (text, url) => {
    expect(normalizeUrl(text)).toBe(url);
    const target = await resolveTarget({ ...base, url: text });
    expect(target.url.toString().replace(/\/$/, '')).toBe(url);
  });

  test.each(['redis://h:1', 'rediss://h:1', 'not a url', '', 'http://h:1', 'user:pw@host:6379', 'host:port'])(
    '%j is left as it is',
    (text) => {
      expect(normalizeUrl(text)).toBe(text);
    },
  );
});

describe('the database in the URL', () => {
  test.each([
    ['redis://h:1', 0],
    ['redis://h:1/', 0],
    ['redis://h:1/0', 0],
    ['redis://h:1/2', 2],
    ['rediss://h:1/15', 15],
  ])('%s selects %i', async (url, db) => {
    expect(databaseOf((await resolveTarget({ ...base, url })).url)).toBe(db);
  });

  test.each(['redis://h:1/x', 'redis://h:1/2/', 'redis://h:1/-1', 'redis://h:1/1.5', 'redis://h:1/999999'])(
    '%s is a usage error',
    async (url) => {
      expect((await usageErrorOf(resolveTarget({ ...base, url }))).message).toMatch(/^invalid database ".*" in the Redis URL$/);
    },
  );

  test("atAddress (a Sentinel's master, a cluster node) keeps it", async () => {
    const settings = await nodeSettings({ ...base, url: 'redis://h:1/2' }, () => undefined);
    const moved = atAddress(settings, '10.0.0.9', 6380);
    expect(moved.url.toString()).toBe('redis://10.0.0.9:6380/2');
    expect(databaseOf(moved.url)).toBe(2);
    expect(settings.url.toString()).toBe('redis://h:1/2'); // a copy: the original stays
  });
});

describe("a '%' in the URL's credentials that is not URL encoding", () => {
  test('in the password: a clear usage error that does not echo it', async () => {
    const err = await usageErrorOf(resolveTarget({ ...base, url: 'redis://:pa%ss@h:1' }));
    expect(err.message).toBe("the password in the URL has a '%' that is not URL encoding (write %25)");
    expect(`${err.message} ${err.hint}`).not.toContain('pa%ss');
  });

  test('in the user name', async () => {
    const err = await usageErrorOf(resolveTarget({ ...base, url: 'redis://al%ice:pw@h:1' }));
    expect(err.message).toBe("the user name in the URL has a '%' that is not URL encoding (write %25)");
  });

  test('%25 is a percent sign', async () => {
    expect((await resolveTarget({ ...base, url: 'redis://:pa%25ss@h:1' })).password).toBe('pa%ss');
  });
});

describe('secret files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ra-unit-secrets-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, content: string, mode: number): string {
    const path = join(dir, name);
    writeFileSync(path, content);
    chmodSync(path, mode); // exact, whatever the umask
    return path;
  }

  test.each([
    ['empty', ''],
    ['a newline only', '\n'],
    ['a CRLF only', '\r\n'],
  ])('a password file that is %s: usage error', async (name, content) => {
    const path = file(`pw-${name.replace(/\W/g, '')}`, content, 0o600);
    expect((await usageErrorOf(resolveTarget({ ...base, passwordFile: path }))).message).toBe(`the password file ${path} is empty`);
  });

  test('a private password file (0600, 0400): no warning', async () => {
    for (const mode of [0o600, 0o400]) {
      const target = await resolveTarget({ ...base, passwordFile: file(`pw-${mode.toString(8)}`, 'secret\n', mode) });
      expect(target.password).toBe('secret');
      expect(target.warnings).toEqual([]);
    }
  });

  test.each([
    [0o644, '0644'],
    [0o640, '0640'],
    [0o604, '0604'],
  ])('a password file of mode %o: warned about, as ssh does, and still used', async (mode, octal) => {
    const path = file(`pw-open-${octal}`, 'secret\n', mode);
    const target = await resolveTarget({ ...base, passwordFile: path });
    expect(target.password).toBe('secret');
    expect(target.warnings).toEqual([
      `Warning: ${path} is readable by group or others (mode ${octal}); a secret file should be private: chmod 600 ${path}`,
    ]);
  });

  test('a TLS key readable by others is warned about; the certificate and CA are public', async () => {
    const key = file('client.key', 'KEY', 0o644);
    const cert = file('client.crt', 'CERT', 0o644);
    const ca = file('ca.crt', 'CA', 0o644);
    const warnings: string[] = [];
    await nodeSettings({ ...base, url: 'rediss://h:1', tlsCa: ca, tlsCert: cert, tlsKey: key }, (line) => warnings.push(line));
    expect(warnings).toEqual([
      `Warning: ${key} is readable by group or others (mode 0644); a secret file should be private: chmod 600 ${key}`,
    ]);
  });

  test('--tls-cert without --tls-key, and the reverse: usage errors', async () => {
    const key = file('only.key', 'KEY', 0o600);
    const cert = file('only.crt', 'CERT', 0o644);
    const noKey = await usageErrorOf(nodeSettings({ ...base, url: 'rediss://h:1', tlsCert: cert }, () => undefined));
    expect(noKey.message).toMatch(/^--tls-cert \(REDIS_TLS_CERT\) needs --tls-key \(REDIS_TLS_KEY\)/);
    const noCert = await usageErrorOf(nodeSettings({ ...base, url: 'rediss://h:1', tlsKey: key }, () => undefined));
    expect(noCert.message).toMatch(/^--tls-key \(REDIS_TLS_KEY\) needs --tls-cert \(REDIS_TLS_CERT\)/);
  });
});
