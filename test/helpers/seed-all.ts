/**
 * Every layout's seeder by the layout's name, each writing sessions as its real app writes a
 * login (seed.ts, seed-php.ts, seed-python.ts, seed-ruby.ts, seed-go.ts). Spring's writes
 * RedisIndexedSessionRepository's keys with the JDK 17 bytes of test/fixtures/jdk/vectors.json.
 * Shared by the tests that walk every layout and by the bench.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  seedAuthjsSessions,
  seedBetterAuthSessions,
  seedKoaSessions,
  seedSessions,
  seedSpringSessions,
  type NodeSeedOptions,
} from './seed.js';
import { seedGorillaSessions } from './seed-go.js';
import { seedLaravelSessions, seedPhpSessions, seedSymfonySessions } from './seed-php.js';
import { seedDjangoSessions, seedFlaskSessions } from './seed-python.js';
import { seedRailsCacheSessions, seedRailsSessions } from './seed-ruby.js';

export type LayoutSeed = (port: number, opts: NodeSeedOptions) => Promise<void>;

// The tests and the bench both run from the checkout's root (npm test, npm run bench).
let springVectors: Record<string, string> | undefined;
const vectors = (): Record<string, string> =>
  (springVectors ??= JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'jdk', 'vectors.json'), 'utf8')) as Record<
    string,
    string
  >);

export const SEED_BY_LAYOUT: Readonly<Record<string, LayoutSeed>> = {
  'connect-redis': (port, opts) => seedSessions(port, opts),
  spring: (port, opts) => seedSpringSessions(port, { ...opts, indexed: true, vectors: vectors() }),
  koa: seedKoaSessions,
  'better-auth': seedBetterAuthSessions,
  authjs: seedAuthjsSessions,
  php: seedPhpSessions,
  symfony: seedSymfonySessions,
  laravel: seedLaravelSessions,
  django: seedDjangoSessions,
  flask: seedFlaskSessions,
  rails: seedRailsSessions,
  'rails-cache': seedRailsCacheSessions,
  gorilla: seedGorillaSessions,
};

/** The seeder of `layout`; fails for a layout without one. */
export function seederOf(layout: string): LayoutSeed {
  const seed = SEED_BY_LAYOUT[layout];
  if (seed === undefined) throw new Error(`no seeder for the layout ${layout}`);
  return seed;
}
