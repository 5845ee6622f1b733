/**
 * The Symfony layout's user: the security token in `_security_<firewall>`, read as plain data in
 * each shape Symfony has written it (5.4+ `O:` with __serialize data, pre-4.3 `C:` Serializable
 * payloads holding serialize()d strings, a string user), from a session Symfony 5.4 wrote
 * (test/fixtures/php/vectors.json, symfony_session).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { symfony } from '../../src/core/sessions/layouts/symfony/index.js';
import { readToken, tokenUserName } from '../../src/core/sessions/layouts/symfony/token.js';

const vectors = JSON.parse(readFileSync('test/fixtures/php/vectors.json', 'utf8')) as Record<string, unknown>;
const NOW = Date.parse('2026-12-05T10:00:00Z');
const FIELDS = ['passport.user', 'userId', 'user.id', 'username'];
const TOKEN = 'Symfony\\Component\\Security\\Core\\Authentication\\Token\\UsernamePasswordToken';

/** serialize() of a string, as PHP writes it (the length in bytes). */
const s = (text: string) => `s:${Buffer.byteLength(text)}:"${text}";`;

describe('Symfony tokens', () => {
  test('a session Symfony 5.4 wrote: the token user, the metadata times, the hash never shown', () => {
    const raw = Buffer.from(vectors['symfony_session'] as string, 'base64');
    const record = symfony.record('id', raw, 60_000, FIELDS, NOW);
    expect(record).toMatchObject({ user: 'alice', readable: true, extra: { theme: 'dark' }, createdAt: '2026-12-05T04:05:00.000Z' });
    expect(JSON.stringify(symfony.content(raw))).not.toContain('hash-of-alice');
    expect(symfony.detect(Buffer.from('app1:sf_sabc123'), raw)).toEqual({ prefix: 'app1:sf_s', id: 'abc123' });
    // A phpredis session is not a Symfony one.
    expect(symfony.detect(Buffer.from('sf_sabc'), Buffer.from('username|s:5:"alice";'))).toBeUndefined();
  });

  test('--user-field picks another member of the user object; Symfony identifiers are the fallback', () => {
    const token = `O:${TOKEN.length}:"${TOKEN}":3:{i:0;N;i:1;${s('main')}i:2;a:5:{i:0;O:8:"App\\User":2:{s:5:"email";${s('a@example.com')}s:2:"id";i:7;}i:1;b:1;i:2;N;i:3;a:0:{}i:4;a:0:{}}}`;
    const value = readToken(token);
    expect(value).toBeDefined();
    expect(tokenUserName(value as never, FIELDS)).toBe('a@example.com');
    expect(tokenUserName(value as never, ['id'])).toBe('7');
  });

  test('a pre-4.3 Serializable token (C:) with the parent data serialize()d inside, and a string user', () => {
    const parent = 'a:4:{i:0;s:5:"alice";i:1;b:1;i:2;a:0:{}i:3;a:0:{}}';
    const payload = `a:3:{i:0;N;i:1;${s('main')}i:2;${s(parent)}}`;
    const token = `C:${TOKEN.length}:"${TOKEN}":${Buffer.byteLength(payload)}:{${payload}}`;
    expect(tokenUserName(readToken(token) as never, FIELDS)).toBe('alice');
  });

  test('what is not a token names no user', () => {
    for (const text of ['', 'garbage', 's:3:"abc";', 'a:1:{i:0;b:1;}', `O:${TOKEN.length}:"${TOKEN}":0:{}`]) {
      const value = readToken(text);
      expect(value === undefined ? null : tokenUserName(value, FIELDS)).toBeNull();
    }
  });
});
