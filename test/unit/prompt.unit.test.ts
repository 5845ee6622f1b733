/** readSecretLine on a pipe: one line, strict UTF-8 (issue 13 item 12). */
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { readPassword, readSecretLine } from '../../src/cli/prompt.js';
import { UsageError } from '../../src/core/errors.js';
import type { Io } from '../../src/cli/io.js';

function pipeIo(...chunks: Buffer[]): Io {
  return { stdin: Readable.from(chunks), stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
}

async function refusal(p: Promise<unknown>): Promise<UsageError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  return err as UsageError;
}

describe('readSecretLine', () => {
  test('returns the first line without its line ending', async () => {
    expect(await readSecretLine(pipeIo(Buffer.from('s3cret pw\r\nnext line\n')))).toBe('s3cret pw');
    expect(await readSecretLine(pipeIo(Buffer.from('no newline')))).toBe('no newline');
  });

  test('a character split across chunks is decoded whole', async () => {
    const bytes = Buffer.from('pässwört\n');
    expect(await readSecretLine(pipeIo(bytes.subarray(0, 2), bytes.subarray(2)))).toBe('pässwört');
  });

  test.each([
    ['0xff bytes', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0a])],
    ['0xfe bytes', Buffer.from([0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0x0a])],
    ['Latin-1 é', Buffer.from('caf\xe9 au lait\n', 'latin1')],
    ['a truncated sequence at the end', Buffer.from([0x61, 0x62, 0xc3])],
    ['an overlong encoding of "/"', Buffer.from([0x61, 0xc0, 0xaf, 0x0a])],
    ['an encoded surrogate (CESU-8)', Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x0a])],
  ])('refuses %s as not UTF-8, without quoting the input', async (_, bytes) => {
    const err = await refusal(readPassword(pipeIo(bytes), { fromStdin: true, confirm: false }));
    expect(err.message).toBe('the password is not valid UTF-8; nothing was done');
    expect(err.message).not.toMatch(/[\ufffd\u00e9\u00ff]|caf/);
  });

  test('a U+FFFD that is really in the input (EF BF BD) is a character like any other', async () => {
    expect(await readSecretLine(pipeIo(Buffer.from('pass\ufffdword\n')))).toBe('pass\ufffdword');
  });

  test('a leading byte order mark is kept, as before', async () => {
    expect(await readSecretLine(pipeIo(Buffer.from('\ufeffpw\n')))).toBe('\ufeffpw');
  });

  test('names what it read in the error', async () => {
    expect((await refusal(readSecretLine(pipeIo(Buffer.from([0xff, 0x0a])), 'cookie'))).message).toBe(
      'the cookie is not valid UTF-8; nothing was done',
    );
  });
});
