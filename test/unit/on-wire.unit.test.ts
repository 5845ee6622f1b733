import { describe, expect, test } from '@jest/globals';
import { onWire } from '../../src/core/redis/scripts.js';

describe('onWire: Buffers of valid UTF-8 go out as strings of the same bytes', () => {
  test('UTF-8 keys become strings whose UTF-8 is the original bytes; others stay Buffers', () => {
    const keys = [
      Buffer.from('sess:abc'),
      Buffer.from('sess:é€😀'),
      Buffer.from([0x73, 0xff, 0xfe]), // not UTF-8
      Buffer.from([0xed, 0xa0, 0x80]), // a lone surrogate in CESU form: not UTF-8
      'already a string',
    ];
    const sent = onWire(keys);
    expect(sent.map((a) => typeof a)).toEqual(['string', 'string', 'object', 'object', 'string']);
    sent.forEach((a, i) => expect(Buffer.from(a as string)).toEqual(Buffer.from(keys[i] as string)));
    expect(sent[2]).toBe(keys[2]);
  });
});
