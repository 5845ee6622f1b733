/**
 * Redis Cluster hash slots as the cluster specification defines them: CRC16 (XMODEM) of the
 * key, or of its hash tag (the bytes between the first `{` and the first `}` after it, when
 * that is not empty), modulo 16384. The integration test compares against CLUSTER KEYSLOT.
 */
import { describe, expect, test } from '@jest/globals';
import { crc16, hashTag, keySlot } from '../../src/core/redis/slot.js';

describe('crc16', () => {
  test('the CRC16/XMODEM check value from the cluster spec', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
  });
  test('empty input', () => {
    expect(crc16(Buffer.alloc(0))).toBe(0);
  });
});

describe('keySlot', () => {
  test.each([
    ['123456789', 12739],
    ['foo', 12182],
    ['bar', 5061],
    ['', 0],
  ])('%j -> %d', (key, slot) => {
    expect(keySlot(key)).toBe(slot);
  });

  test('a hash tag: only the part inside {} counts', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('{user1000}.followers')).toBe(keySlot('user1000'));
    expect(keySlot('user:{alice}')).toBe(keySlot('alice'));
    expect(keySlot('user:{alice}')).toBe(keySlot('sess:{alice}:x'));
  });

  test('an empty tag {} does not count: the whole key is hashed', () => {
    expect(hashTag(Buffer.from('foo{}{bar}')).toString()).toBe('foo{}{bar}');
    expect(keySlot('foo{}{bar}')).toBe(crc16(Buffer.from('foo{}{bar}')) % 16384);
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('{}')).toBe(crc16(Buffer.from('{}')) % 16384);
  });

  test('the tag runs from the first { to the first } after it', () => {
    // Spec examples: foo{{bar}}zap hashes "{bar"; foo{bar}{zap} hashes "bar".
    expect(hashTag(Buffer.from('foo{{bar}}zap')).toString()).toBe('{bar');
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(hashTag(Buffer.from('foo{bar}{zap}')).toString()).toBe('bar');
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'));
  });

  test('an unclosed { is part of the key', () => {
    expect(hashTag(Buffer.from('foo{bar')).toString()).toBe('foo{bar');
    expect(keySlot('foo{bar')).toBe(crc16(Buffer.from('foo{bar')) % 16384);
    expect(hashTag(Buffer.from('foo}bar{')).toString()).toBe('foo}bar{');
  });

  test('multi-byte keys hash their UTF-8 bytes; strings and Buffers agree', () => {
    const key = 'user:{zoë}';
    expect(keySlot(key)).toBe(keySlot(Buffer.from(key, 'utf8')));
    expect(keySlot(key)).toBe(crc16(Buffer.from('zoë', 'utf8')) % 16384);
  });

  test('always within 0..16383', () => {
    for (let i = 0; i < 2000; i += 1) {
      const s = keySlot(`k${i}`);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(16384);
    }
  });
});
