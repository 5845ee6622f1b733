/** The pure parts of --hold: waiting without leaking listeners, and telling an undone lifetime. */
import { getEventListeners } from 'node:events';
import { describe, expect, test } from '@jest/globals';
import { holdSummary, sleep } from '../../src/core/sessions/hold.js';
import { lifetimeUndone } from '../../src/core/sessions/layouts/connect-redis/record.js';

describe('sleep', () => {
  test('leaves no abort listener behind, however many times it runs (a polling hold sleeps 4 times a second)', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 25; i += 1) await sleep(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('an abort ends it early and removes its listener', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = sleep(60000, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    await waiting;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('an aborted signal returns at once', async () => {
    const controller = new AbortController();
    controller.abort();
    const started = Date.now();
    await sleep(60000, controller.signal);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('lifetimeUndone', () => {
  const session = (maxAge: number | null) =>
    JSON.stringify({ cookie: { originalMaxAge: maxAge, expires: null }, passport: { user: 'bob' } });
  test('the lifetime that was set, within its TTL: left alone', () => {
    expect(lifetimeUndone(session(60000), 60000, 60000)).toBe(false);
    expect(lifetimeUndone(session(60000), 1200, 60000)).toBe(false);
  });
  test('a save by a request that began before: the old maxAge', () => {
    expect(lifetimeUndone(session(86400000), 86400000, 60000)).toBe(true);
    expect(lifetimeUndone(session(null), 50000, 60000)).toBe(true);
  });
  test('a touch (EXPIRE) with the old lifetime: the key lives longer than the one set', () => {
    expect(lifetimeUndone(session(60000), 86400000, 60000)).toBe(true);
  });
  test('no expiry at all', () => {
    expect(lifetimeUndone(session(60000), -1, 60000)).toBe(true);
  });
  test('a value that is not express-session JSON: only its TTL counts', () => {
    expect(lifetimeUndone('not json', 30000, 60000)).toBe(false);
    expect(lifetimeUndone('not json', 90000, 60000)).toBe(true);
  });
});

describe('holdSummary', () => {
  test('names the mode, and says when notifications dropped and polling took over', () => {
    expect(holdSummary('Hold over', { mode: 'polling' })).toBe('Hold over (polling).');
    expect(holdSummary('Hold over', { mode: 'notifications, then polling', fallbackReason: 'Socket closed unexpectedly' })).toBe(
      'Hold over. The notification connection dropped (Socket closed unexpectedly) and polling took over for the rest of the hold.',
    );
  });
});
