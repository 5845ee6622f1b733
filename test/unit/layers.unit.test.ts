/**
 * The source tree's layers (docs/development.md, "Source layout"): a module imports only from its
 * own layer or below, so the Redis plumbing never learns of sessions, a session layout never of
 * the CLI, and a second layout is a folder beside connect-redis's, not edits to the walker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from '@jest/globals';

const SRC = resolve('src');

/** Top to bottom; a path belongs to the first layer whose prefix it starts with. */
const LAYERS: Array<[name: string, prefixes: string[]]> = [
  ['entry', ['main.ts', 'program.ts']],
  ['commands', ['commands/']],
  ['cli', ['cli/']],
  ['sessions and users', ['core/sessions/', 'core/users/', 'core/audit.ts']],
  ['walk', ['core/walk/']],
  ['redis', ['core/redis/']],
  ['base', ['core/errors.ts', 'core/defaults.ts', 'core/duration.ts', 'core/json-safe.ts', 'core/text.ts']],
];

function layerOf(path: string): number {
  const at = LAYERS.findIndex(([, prefixes]) => prefixes.some((p) => path.startsWith(p)));
  if (at < 0) throw new Error(`${path} belongs to no layer: add it to LAYERS`);
  return at;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative imports of a module, static and dynamic, as paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) =>
    relative(SRC, resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts'))),
  );
}

describe('source layers', () => {
  const files = sources(SRC).map((f) => relative(SRC, f));

  test('every module has a layer', () => {
    for (const f of files) expect(() => layerOf(f)).not.toThrow();
  });

  test('imports only go to the same layer or below', () => {
    const upward: string[] = [];
    for (const f of files) {
      for (const target of importsOf(join(SRC, f))) {
        if (layerOf(target) < layerOf(f)) upward.push(`${f} -> ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  // A layout declares; the walker does the I/O. Its one contact with the walker is the
  // prefilter it hands over (walk/prefilter.ts: a type and a constant).
  test('session layouts import nothing from the walker (but its prefilter type) or another layout', () => {
    const crossing: string[] = [];
    for (const f of files.filter((p) => p.startsWith('core/sessions/layouts/'))) {
      const own = f.split('/').slice(0, 4).join('/');
      for (const target of importsOf(join(SRC, f))) {
        if (target.startsWith('core/sessions/layouts/') && !target.startsWith(`${own}/`)) crossing.push(`${f} -> ${target}`);
        if (target.startsWith('core/walk/') && target !== 'core/walk/prefilter.ts') crossing.push(`${f} -> ${target}`);
      }
    }
    expect(crossing).toEqual([]);
  });
});
