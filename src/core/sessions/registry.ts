/**
 * The session layouts by name. Each is loaded on first use, so that a command on one
 * framework's sessions never loads another's decoders (nor `--help` any of them).
 */
import { UsageError } from '../errors.js';
import { SESSION_LAYOUTS } from '../defaults.js';
import type { SessionLayout } from './layout.js';

const loaders: Record<string, () => Promise<SessionLayout>> = {
  'connect-redis': async () => (await import('./layouts/connect-redis/index.js')).connectRedis,
  spring: async () => (await import('./layouts/spring/index.js')).spring,
  koa: async () => (await import('./layouts/koa/index.js')).koa,
  'better-auth': async () => (await import('./layouts/better-auth/index.js')).betterAuth,
  authjs: async () => (await import('./layouts/authjs/index.js')).authjs,
  gorilla: async () => (await import('./layouts/gorilla/index.js')).gorilla,
  rails: async () => (await import('./layouts/rails/index.js')).rails,
  'rails-cache': async () => (await import('./layouts/rails/cache.js')).railsCache,
  php: async () => (await import('./layouts/php/index.js')).php,
  symfony: async () => (await import('./layouts/symfony/index.js')).symfony,
  laravel: async () => (await import('./layouts/laravel/index.js')).laravel,
  django: async () => (await import('./layouts/django/index.js')).django,
  flask: async () => (await import('./layouts/flask/index.js')).flask,
};

export async function loadLayout(name: string): Promise<SessionLayout> {
  const load = loaders[name];
  if (load === undefined || !SESSION_LAYOUTS.includes(name))
    throw new UsageError(`unknown session layout "${name}"`, { hint: `one of: ${SESSION_LAYOUTS.join(', ')}` });
  return load();
}

/** Every layout the tool reads (`session layouts`, `--layout auto`). */
export function loadAllLayouts(): Promise<SessionLayout[]> {
  return Promise.all(SESSION_LAYOUTS.map(loadLayout));
}
