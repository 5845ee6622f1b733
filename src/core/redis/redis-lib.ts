/**
 * node-redis, loaded lazily through this module. A static re-export lets the bundler
 * (scripts/build.mjs) see the named exports of this CommonJS package; a dynamic
 * `import('redis')` in a bundle would yield only its default export.
 */
export { createClient, createCluster } from '@redis/client';
