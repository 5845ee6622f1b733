/**
 * The rails and rails-cache layouts on values Ruby wrote (test/fixtures/rails/vectors.json):
 * who the user is, what is shown and redacted, which fields decide expiry, what a lifetime
 * change writes, how a cookie names its key. The same against the real Rails 6.1 application:
 * test/int/rails-layouts.int.test.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { DEFAULT_USER_FIELDS } from '../../src/core/defaults.js';
import { NegativeAnswer, UsageError } from '../../src/core/errors.js';
import { decodeMarshal } from '../../src/core/sessions/decode/marshal.js';
import type { LineInfo } from '../../src/core/sessions/layout.js';
import { rails } from '../../src/core/sessions/layouts/rails/index.js';
import { railsCache } from '../../src/core/sessions/layouts/rails/cache.js';
import { prefilterPasses } from '../../src/core/walk/prefilter.js';

const vectors = JSON.parse(readFileSync('test/fixtures/rails/vectors.json', 'utf8')) as Record<string, string>;
const hex = (name: string) => Buffer.from(vectors[name] as string, 'hex');
const text = (name: string) => hex(name).toString('utf8');

const NOW = Date.parse('2026-12-05T10:00:00Z');
const ID = 'ff64e8b9e0add0a84b37c9a6d5fcef15f15dc1af8d1986c94c6c24fbc2bf1327';
const ENTRY_CREATED = 1796173531.7379396;
const user = (raw: Buffer, fields: readonly string[] = DEFAULT_USER_FIELDS) => rails.record(ID, raw, 5000, fields, NOW).user;

describe('rails layout: the user', () => {
  test("Warden's key as Devise writes it ([[id], salt]), through HashWithIndifferentAccess, in another scope, or Devise < 2.2's [class, [id], salt]", () => {
    expect(user(hex('session'))).toBe('1');
    expect(user(hex('hwia'))).toBe('1');
    expect(user(hex('deviseOld'))).toBe('9');
    expect(user(hex('stringUser'))).toBe('c0ffee-4b1d');
  });

  test('without Warden, session[:user_id] (a String or a Symbol key); none after a logout', () => {
    expect(user(hex('userId'))).toBe('bob');
    expect(user(hex('sessionSymbolKeys'))).toBe('42');
    expect(user(hex('loggedOut'))).toBeNull();
  });

  test('a Warden key holding the user object names no user, and says what it holds', () => {
    const info: LineInfo = { readable: true };
    expect(rails.record(ID, hex('objectUser'), 5000, DEFAULT_USER_FIELDS, NOW, info).user).toBeNull();
    expect(info).toMatchObject({ readable: true, oddUserField: 'warden.user.user.key', oddUserShape: 'an object (Account)' });
  });

  test('--user-field: a session key holding dots is one key; a dotted path walks Hashes', () => {
    expect(user(hex('deviseOld'), ['warden.user.admin.key'])).toBe('9');
    expect(user(hex('session'), ['warden.user.admin.key'])).toBeNull();
    expect(user(hex('session'), ['flash.flashes.notice'])).toBe('Signed in.');
    expect(user(hex('session'), ['visits'])).toBe('3');
  });

  test("redis-session-store's JSON serializer (and :hybrid, which reads both)", () => {
    const json = Buffer.from(JSON.stringify({ 'warden.user.user.key': [[5], '$2a$12$abcdefghijklmnopqrstuv'], _csrf_token: 'x', n: 1 }));
    expect(rails.record(ID, json, 5000, DEFAULT_USER_FIELDS, NOW)).toMatchObject({ user: '5', extra: { _csrf_token: '(redacted)', n: 1 } });
    expect(rails.record(ID, Buffer.from('not a session'), 5000, DEFAULT_USER_FIELDS, NOW)).toMatchObject({
      readable: false,
      unreadable: 'neither Ruby Marshal nor JSON',
    });
  });
});

describe('rails layout: record, content, lifetime', () => {
  test('the record: TTL from the key, the rest of the session shown with the CSRF token redacted', () => {
    const r = rails.record(ID, hex('session'), 90_500, DEFAULT_USER_FIELDS, NOW);
    expect(r).toEqual({
      id: ID,
      user: '1',
      ttlSeconds: 91,
      expiresAt: new Date(NOW + 90_500).toISOString(),
      readable: true,
      extra: { _csrf_token: '(redacted)', flash: { discard: [], flashes: { notice: 'Signed in.' } }, visits: 3 },
    });
    const line = rails.jsonLine(ID, hex('session'), 90_500, DEFAULT_USER_FIELDS, NOW, '1', { readable: true }) as string;
    expect(JSON.parse(line)).toMatchObject({ user: '1', readable: true });
    expect(rails.jsonLine(ID, hex('session'), 90_500, DEFAULT_USER_FIELDS, NOW, '2', { readable: true })).toBeUndefined();
    expect(rails.content(hex('session'))).toMatchObject({
      'warden.user.user.key': [[1], '$2a$12$abcdefghijklmnopqrstuv'],
      _csrf_token: '(redacted)',
    });
  });

  test("ttl: the TTL alone, with a note that the next request writes the app's own back and --hold", () => {
    const plan = rails.withLifetime(hex('session'), 600_000, NOW, { prefix: rails.defaultPrefix, id: ID, pttlMs: 3_600_000 });
    expect(plan).toMatchObject({ ttlMs: 600_000, side: [] });
    expect(plan?.value).toBeUndefined();
    expect(plan?.note).toMatch(/next request.*--hold/);
    expect(rails.withLifetime(Buffer.from('junk'), 600_000, NOW, { prefix: '', id: ID, pttlMs: 1 })).toBeUndefined();
    expect(rails.lifetimeUndone(hex('session'), 599_000, 600_000)).toBe(false);
    expect(rails.lifetimeUndone(hex('session'), 3_600_000, 600_000)).toBe(true);
    expect(rails.lifetimeUndone(hex('session'), -1, 600_000)).toBe(true);
  });
});

describe('rails-cache layout: the ActiveSupport::Cache::Entry', () => {
  test("the Entry's @created_at + @expires_in decide expiry; the user is in @value", () => {
    const r = railsCache.record(ID, hex('entry'), 5_000, DEFAULT_USER_FIELDS, NOW);
    const expiry = (ENTRY_CREATED + 3600) * 1000;
    expect(r).toMatchObject({
      user: '1',
      readable: true,
      ttlSeconds: Math.max(0, Math.ceil((expiry - NOW) / 1000)),
      expiresAt: new Date(expiry).toISOString(),
      createdAt: new Date(ENTRY_CREATED * 1000).toISOString(),
      expiresBy: '@created_at + @expires_in',
      extra: { _csrf_token: '(redacted)', visits: 3 },
    });
    // An Entry without @expires_in lives as long as its key.
    expect(railsCache.record(ID, hex('entryNoExpiry'), 5_000, DEFAULT_USER_FIELDS, NOW)).toMatchObject({ ttlSeconds: 5, user: '1' });
    expect(railsCache.record(ID, hex('entryNoExpiry'), 5_000, DEFAULT_USER_FIELDS, NOW).expiresBy).toBeUndefined();
  });

  test('a compressed Entry (a session of 1 KB or more) is inflated; --user prefilter lets it through', () => {
    const raw = hex('entryCompressed');
    expect(raw.includes(Buffer.from('warden'))).toBe(false);
    expect(railsCache.record(ID, raw, 5_000, DEFAULT_USER_FIELDS, NOW)).toMatchObject({ user: '1', readable: true });
    expect(railsCache.content(raw)).toMatchObject({ entry: { compressed: true, expiresIn: 5400 }, session: { visits: 3 } });
    expect(prefilterPasses(raw, railsCache.userPrefilter('c0ffee-4b1d'))).toBe(true);
    expect(prefilterPasses(hex('entry'), railsCache.userPrefilter('c0ffee-4b1d'))).toBe(false);
    expect(prefilterPasses(hex('stringUser'), rails.userPrefilter('c0ffee-4b1d'))).toBe(true);
    // A composite key's parts are stored apart: the prefilter must not reject its session.
    const composite = Buffer.from(JSON.stringify({ 'warden.user.user.key': [['abc', 5], 'salt'] }));
    expect(rails.record(ID, composite, 5000, DEFAULT_USER_FIELDS, NOW).user).toBe('abc-5');
    expect(prefilterPasses(composite, rails.userPrefilter('abc-5'))).toBe(true);
  });

  test('a session Hash is not an Entry, and an Entry is not a rails session', () => {
    expect(railsCache.record(ID, hex('session'), 5_000, DEFAULT_USER_FIELDS, NOW)).toMatchObject({
      readable: false,
      unreadable: 'not an ActiveSupport::Cache::Entry',
    });
    expect(rails.record(ID, hex('entry'), 5_000, DEFAULT_USER_FIELDS, NOW)).toMatchObject({ readable: false, unreadable: 'not a Hash' });
  });

  test('ttl rewrites @created_at and @expires_in, and only their bytes, with the TTL', () => {
    const raw = hex('entry');
    const plan = railsCache.withLifetime(raw, 600_000, NOW, { prefix: railsCache.defaultPrefix, id: ID, pttlMs: 3_000_000 });
    expect(plan).toMatchObject({ ttlMs: 600_000, side: [] });
    expect(plan?.note).toMatch(/whole Entry.*next request.*--hold/);
    const value = plan?.value as Buffer;
    const entry = decodeMarshal(value);
    if (!entry.ok || entry.value === null || typeof entry.value !== 'object' || entry.value.kind !== 'object')
      throw new Error('not an Entry');
    expect(Object.fromEntries(entry.value.ivars)).toMatchObject({ '@created_at': NOW / 1000, '@expires_in': 600, '@version': null });
    // Everything before @created_at's value, and the session itself, is byte for byte what was stored.
    const old = decodeMarshal(raw);
    if (!old.ok || old.value === null || typeof old.value !== 'object' || old.value.kind !== 'object') throw new Error('not an Entry');
    const [start] = old.value.spans[2] as [number, number];
    expect(value.subarray(0, start)).toEqual(raw.subarray(0, start));
    expect(railsCache.record(ID, value, 600_000, DEFAULT_USER_FIELDS, NOW)).toMatchObject({ ttlSeconds: 600, user: '1' });
    expect(railsCache.lifetimeUndone(value, 599_000, 600_000)).toBe(false);
    expect(railsCache.lifetimeUndone(raw, 599_000, 600_000)).toBe(true);
    // An Entry without expiry gets one.
    const none = railsCache.withLifetime(hex('entryNoExpiry'), 600_000, NOW, { prefix: '', id: ID, pttlMs: -1 })?.value as Buffer;
    expect(railsCache.record(ID, none, 600_000, DEFAULT_USER_FIELDS, NOW)).toMatchObject({ ttlSeconds: 600 });
    // A compressed Entry keeps its deflated session as it was.
    const big = railsCache.withLifetime(hex('entryCompressed'), 600_000, NOW, { prefix: '', id: ID, pttlMs: 1 })?.value as Buffer;
    expect(railsCache.record(ID, big, 600_000, DEFAULT_USER_FIELDS, NOW)).toMatchObject({ ttlSeconds: 600, user: '1' });
  });
});

describe('rails cookie and keys', () => {
  const publicId = text('cookie:publicId');
  const hashed = createHash('sha256').update(publicId).digest('hex');
  const secret = text('cookie:secret');

  test('the cookie is the public id; the key is <prefix> + SHA-256 of it', () => {
    expect(rails.cookie.defaultName).toBe('_session_id');
    expect(rails.cookie.read(publicId).id).toBe(hashed);
    expect(rails.key(rails.defaultPrefix, hashed).toString()).toBe(`rack:session:2::${hashed}`);
    expect(railsCache.key(railsCache.defaultPrefix, hashed).toString()).toBe(`_session_id:2::${hashed}`);
    expect(rails.cookie.isBareValue(publicId)).toBe(true);
    expect(rails.cookie.isBareValue(`_session_id=${publicId}; theme=dark`)).toBe(false);
    expect(() => rails.cookie.read(publicId).verify([secret])).toThrow(/not signed/);
    expect(() => rails.cookie.read('a b')).toThrow(UsageError);
    expect(rails.cookie.readSealed?.(publicId, '_session_id')).toBeUndefined();
  });

  test("redis-actionpack's signed: true cookie opens with secret_key_base: GCM with and without metadata, JSON or Marshal id, SHA-256 keys, CBC", () => {
    for (const name of ['gcmJson', 'gcmMarshal', 'gcmSha256', 'gcmNoMetadata', 'cbcJson']) {
      const cookie = text(`cookie:${name}`);
      expect(rails.cookie.isBareValue(encodeURIComponent(cookie))).toBe(true);
      expect(rails.cookie.readSealed?.(encodeURIComponent(cookie), '_session_id')?.open(['an old secret', secret])).toBe(hashed);
      expect(() => rails.cookie.read(cookie)).toThrow(/encrypted/);
      expect(() => rails.cookie.readSealed?.(cookie, '_session_id')?.open(['not the secret'])).toThrow(NegativeAnswer);
    }
  });

  test('session layouts: the prefix is everything before the hash, 2:: included; an Entry is rails-cache', () => {
    const key = (k: string) => Buffer.from(k);
    expect(rails.detect(key(`rack:session:2::${hashed}`), hex('session'))).toEqual({ prefix: 'rack:session:2::', id: hashed });
    expect(rails.detect(key(`2::${hashed}`), Buffer.from('{"user_id":1}'))).toEqual({ prefix: '2::', id: hashed });
    expect(rails.detect(key(`_session_id:2::${hashed}`), hex('entry'))).toBeUndefined();
    expect(railsCache.detect(key(`_session_id:2::${hashed}`), hex('entry'))).toEqual({ prefix: '_session_id:2::', id: hashed });
    expect(railsCache.detect(key(`rack:session:2::${hashed}`), hex('session'))).toBeUndefined();
    expect(rails.detect(key(`sess:${hashed}`), hex('session'))).toBeUndefined();
  });
});
