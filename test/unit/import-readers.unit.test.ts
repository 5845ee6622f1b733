/**
 * The bounded readers under `user import`: lines, and the elements of a JSON document's array.
 * However the input is cut into chunks, they hand over the same records; a record over the
 * bound is reported by its place, never kept; a document of another shape fails with its line.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { BadDataError } from '../../src/core/errors.js';
import { boundedLines } from '../../src/core/users/import/lines.js';
import { jsonArrayElements, type ArrayPath } from '../../src/core/users/import/json-records.js';
import { readRecords } from '../../src/core/users/import/formats.js';

/** `text` cut at the given offsets, as a stream hands it over. */
async function* chunks(data: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b)) {
    yield data.subarray(from, cut);
    from = cut;
  }
  yield data.subarray(from);
}

async function lines(data: Buffer, cuts: number[], max?: number): Promise<Array<{ line: number; text: string | undefined }>> {
  const out: Array<{ line: number; text: string | undefined }> = [];
  for await (const batch of boundedLines(chunks(data, cuts), max))
    for (const l of batch) out.push({ line: l.line, text: l.bytes?.toString('utf8') });
  return out;
}

async function elements(text: string, path: ArrayPath, cuts: number[] = [], max?: number) {
  const out: Array<{ index: number; line: number; value: unknown }> = [];
  for await (const batch of jsonArrayElements(chunks(Buffer.from(text), cuts), path, 'the document', max))
    for (const e of batch)
      out.push({ index: e.index, line: e.line, value: e.bytes === undefined ? 'TOO LONG' : (JSON.parse(e.bytes.toString()) as unknown) });
  return out;
}

describe('boundedLines', () => {
  test('the same lines however the input is cut, CRLF or LF, a last line without a newline', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'é', ' ', '\r', '{', '"'), maxLength: 12 }), { maxLength: 12 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (texts, finalNewline, cuts) => {
          const clean = texts.map((t) => t.replace(/\r/g, ''));
          // Every other line ends in CRLF.
          const pieces = clean.map((t, i) => (i % 2 === 0 ? `${t}\r` : t));
          const body = pieces.join('\n') + (finalNewline && pieces.length > 0 ? '\n' : '');
          let expected = clean.map((text, i) => ({ line: i + 1, text }));
          // An unterminated last line of no bytes at all is no line.
          if (!finalNewline && pieces[pieces.length - 1] === '') expected = expected.slice(0, -1);
          expect(await lines(Buffer.from(body), cuts)).toEqual(expected);
        },
      ),
    );
  });

  test('a line over the bound is reported by its number, not kept; the next lines go on', async () => {
    const data = Buffer.from(`short\n${'x'.repeat(100)}\nafter\n${'y'.repeat(11)}`);
    for (const cuts of [[], [3, 50, 104], [7, 8, 9, 10]]) {
      expect(await lines(data, cuts, 10)).toEqual([
        { line: 1, text: 'short' },
        { line: 2, text: undefined },
        { line: 3, text: 'after' },
        { line: 4, text: undefined },
      ]);
    }
    // Exactly the bound is kept, with or without a CR after it.
    expect(await lines(Buffer.from(`${'z'.repeat(10)}\r\n${'z'.repeat(10)}`), [11], 10)).toEqual([
      { line: 1, text: 'z'.repeat(10) },
      { line: 2, text: 'z'.repeat(10) },
    ]);
  });
});

describe('jsonArrayElements', () => {
  const user = fc.record({
    username: fc.string({ maxLength: 10 }),
    password: fc.string({ maxLength: 10 }),
    nested: fc.jsonValue({ maxDepth: 3 }),
  });

  test('the elements of the document array, however it is indented and cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(user, { maxLength: 6 }),
        fc.constantFrom(undefined, 1, 2),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (users, indent, cuts) => {
          const got = await elements(JSON.stringify(users, null, indent), { kind: 'document' }, cuts);
          expect(got.map((e) => e.value)).toEqual(JSON.parse(JSON.stringify(users)));
          expect(got.map((e) => e.index)).toEqual(users.map((_, i) => i + 1));
        },
      ),
    );
  });

  test('only the top-level object\'s member: nested "users" keys, brackets and quotes in strings are not it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(user, { maxLength: 5 }),
        fc.jsonValue({ maxDepth: 3 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (users, other, cuts) => {
          const doc = {
            realm: 'x"],[{"users": [1]}',
            clients: [{ users: ['not these'], attributes: { users: '[{' } }],
            other,
            users,
            after: { users: [] },
          };
          const got = await elements(JSON.stringify(doc, null, 1), { kind: 'member', name: 'users' }, cuts);
          expect(got.map((e) => e.value)).toEqual(JSON.parse(JSON.stringify(users)));
        },
      ),
    );
  });

  test('line numbers of the elements, and an element over the bound reported by its place', async () => {
    const text = '[\n  {"a": 1},\n  {"b": "' + 'x'.repeat(200) + '"},\n  {"c": 3}\n]\n';
    expect(await elements(text, { kind: 'document' }, [5, 20, 30], 100)).toEqual([
      { index: 1, line: 2, value: { a: 1 } },
      { index: 2, line: 3, value: 'TOO LONG' },
      { index: 3, line: 4, value: { c: 3 } },
    ]);
  });

  test.each([
    ['', { kind: 'document' }, /the input is empty/],
    ['{"users": []}', { kind: 'document' }, /starts with '\['/],
    ['[{"a": 1}', { kind: 'document' }, /ends early/],
    ['[{"a": "1}]', { kind: 'document' }, /ends early/],
    ['[{"a": 1]]', { kind: 'document' }, /unbalanced '\]'/],
    ['[] []', { kind: 'document' }, /more after the end/],
    ['{"users": {}}', { kind: 'member', name: 'users' }, /"users" is not an array/],
    ['{"users": [], "users": []}', { kind: 'member', name: 'users' }, /"users" is given twice/],
    ['{"realm": "x"}', { kind: 'member', name: 'users' }, /has no "users" array/],
    ['[]', { kind: 'member', name: 'users' }, /starts with '\{'/],
  ] as Array<[string, ArrayPath, RegExp]>)('%s is refused', async (text, path, message) => {
    const run = elements(text, path);
    await expect(run).rejects.toThrow(BadDataError);
    await expect(elements(text, path)).rejects.toThrow(message);
  });
});

describe('readRecords', () => {
  const read = async (text: string | Buffer, format: 'jsonl' | 'htpasswd') => {
    const out = [];
    for await (const batch of readRecords(chunks(Buffer.from(text), []), format)) out.push(...batch);
    return out;
  };

  test('htpasswd: a line without a colon is refused without quoting it (it may be a password)', async () => {
    const [record] = await read('correct horse battery staple\n', 'htpasswd');
    expect(record).toEqual({ kind: 'rejected', line: 1, reason: 'not name:hash' });
  });

  test('invalid UTF-8 is refused, never decoded with replacement characters', async () => {
    const bytes = Buffer.concat([Buffer.from('ann:$2b$'), Buffer.from([0xff]), Buffer.from('\n')]);
    expect(await read(bytes, 'htpasswd')).toEqual([{ kind: 'rejected', line: 1, reason: 'not valid UTF-8' }]);
  });

  test('jsonl: every key of the record is kept as given, an unknown key refuses the line', async () => {
    const line = { name: 'ann', password_hash: 'h', status: 'locked', sessions_valid_after: 't', must_change_password: true };
    expect(await read(`${JSON.stringify(line)}\n${JSON.stringify({ ...line, totp_secret: 'JBSWY3DPEHPK3PXP' })}`, 'jsonl')).toEqual([
      {
        kind: 'user',
        line: 1,
        name: 'ann',
        hash: 'h',
        fields: { status: 'locked', sessions_valid_after: 't', must_change_password: '1' },
        verbatim: true,
      },
      { kind: 'rejected', line: 2, reason: 'unknown key "totp_secret"' },
    ]);
  });
});
