import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import { checkPhc, costsOf, formatPhc, parsePhc, PhcFormatError, type PhcHash } from '../../src/core/users/phc.js';

/** 16 bytes "0123456789abcdef" and 32 bytes of 0x07, as unpadded base64. */
const SALT = Buffer.from('0123456789abcdef');
const HASH = Buffer.alloc(32, 7);
const SALT_B64 = 'MDEyMzQ1Njc4OWFiY2RlZg';
const HASH_B64 = 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc';
const CANONICAL = `$argon2id$v=19$m=19456,t=2,p=1$${SALT_B64}$${HASH_B64}`;

function phcWith(params: string, opts: { variant?: string; version?: string | null; salt?: string; hash?: string } = {}): string {
  const variant = opts.variant ?? 'argon2id';
  const version = opts.version === null ? '' : `$${opts.version ?? 'v=19'}`;
  return `$${variant}${version}$${params}$${opts.salt ?? SALT_B64}$${opts.hash ?? HASH_B64}`;
}

function expectRejected(encoded: string): void {
  expect(() => parsePhc(encoded)).toThrow(PhcFormatError);
}

describe('parsePhc: accepted strings', () => {
  test('parses a canonical argon2id string into its parts', () => {
    const h = parsePhc(CANONICAL);
    expect(h.variant).toBe('argon2id');
    expect(h.version).toBe(19);
    expect(h.memoryCost).toBe(19456);
    expect(h.timeCost).toBe(2);
    expect(h.parallelism).toBe(1);
    expect(h.salt.equals(SALT)).toBe(true);
    expect(h.hash.equals(HASH)).toBe(true);
  });

  test('parses parameters in node-argon2 order m,p,t', () => {
    const h = parsePhc(phcWith('m=65536,p=4,t=3'));
    expect([h.memoryCost, h.timeCost, h.parallelism]).toEqual([65536, 3, 4]);
  });

  test.each(['m=4096,t=3,p=2', 'm=4096,p=2,t=3', 't=3,m=4096,p=2', 't=3,p=2,m=4096', 'p=2,m=4096,t=3', 'p=2,t=3,m=4096'])(
    'parses parameters in any order: %s',
    (params) => {
      const h = parsePhc(phcWith(params));
      expect({ m: h.memoryCost, t: h.timeCost, p: h.parallelism }).toEqual({ m: 4096, t: 3, p: 2 });
    },
  );

  test('parses the real output of node argon2 (m,p,t order, v=19)', () => {
    const h = parsePhc('$argon2id$v=19$m=4096,p=2,t=2$THVp7IwiiaPZnh1mzXE7/w$oHXsxXbRupfF5tS5a0joxnrSjavVDY6D1QhXSKAfsbs');
    expect([h.memoryCost, h.timeCost, h.parallelism]).toEqual([4096, 2, 2]);
    expect(h.salt).toHaveLength(16);
    expect(h.hash).toHaveLength(32);
  });

  test.each(['argon2i', 'argon2d'] as const)('parses the %s variant', (variant) => {
    expect(parsePhc(phcWith('m=4096,t=3,p=1', { variant })).variant).toBe(variant);
  });

  test('a legacy string without v= is version 16', () => {
    const h = parsePhc(phcWith('m=4096,t=3,p=1', { version: null }));
    expect(h.version).toBe(16);
    expect(h.memoryCost).toBe(4096);
  });

  test('an explicit v=16 is version 16', () => {
    expect(parsePhc(phcWith('m=4096,t=3,p=1', { version: 'v=16' })).version).toBe(16);
  });

  test('base64 with + and / is decoded as standard base64', () => {
    const salt = Buffer.from([0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf]);
    const h = parsePhc(phcWith('m=4096,t=3,p=1', { salt: salt.toString('base64') }));
    expect(salt.toString('base64')).toMatch(/[+/]/);
    expect(h.salt.equals(salt)).toBe(true);
  });

  test('accepts the minimum salt of 8 bytes and hash of 16 bytes', () => {
    const h = parsePhc(phcWith('m=4096,t=3,p=1', { salt: 'AQEBAQEBAQE', hash: 'AQEBAQEBAQEBAQEBAQEBAQ' }));
    expect(h.salt).toHaveLength(8);
    expect(h.hash).toHaveLength(16);
  });

  test('accepts a 1024-character string but not 1025', () => {
    const pad = (n: number) => 'A'.repeat(n);
    const base = phcWith('m=4096,t=3,p=1', { hash: '' });
    // hash made of 'A's: choose a length with length % 4 !== 1.
    const exact = base + pad(1024 - base.length);
    expect(exact).toHaveLength(1024);
    expect((1024 - base.length) % 4).not.toBe(1);
    expect(() => parsePhc(exact)).not.toThrow();
    expectRejected(exact + 'AAAA');
  });
});

describe('parsePhc: rejected strings', () => {
  test('empty string', () => expectRejected(''));

  test.each([
    ['no hash field', `$argon2id$v=19$m=19456,t=2,p=1$${SALT_B64}`],
    ['empty hash field', `$argon2id$v=19$m=19456,t=2,p=1$${SALT_B64}$`],
    ['no salt or hash', '$argon2id$v=19$m=19456,t=2,p=1'],
    ['only variant', '$argon2id'],
    ['only a dollar', '$'],
    ['no leading dollar', CANONICAL.slice(1)],
    ['extra trailing field', `${CANONICAL}$AAAA`],
    ['trailing dollar', `${CANONICAL}$`],
    ['cut in the middle of the hash', CANONICAL.slice(0, CANONICAL.length - 42)],
  ])('truncated or malformed: %s', (_, encoded) => expectRejected(encoded));

  test('scrypt', () => expectRejected(`$scrypt$ln=16,r=8,p=1$${SALT_B64}$${HASH_B64}`));
  test('bcrypt', () => expectRejected('$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'));
  test('argon2 with a differently-cased variant', () => expectRejected(phcWith('m=4096,t=3,p=1', { variant: 'Argon2id' })));
  test('pbkdf2', () => expectRejected(`$pbkdf2-sha256$29000$${SALT_B64}$${HASH_B64}`));

  test.each(['v=18', 'v=20', 'v=0x13', 'v=', 'v=019', 'version=19'])('unsupported version field %s', (version) => {
    expectRejected(phcWith('m=4096,t=3,p=1', { version }));
  });

  test.each([
    ['unknown parameter', 'm=4096,t=3,p=1,x=1'],
    ['keyid parameter', 'm=4096,t=3,p=1,keyid=AAAA'],
    ['data parameter (associated data)', 'm=4096,t=3,p=1,data=AAAA'],
    ['upper-case name', 'M=4096,t=3,p=1'],
    ['duplicate m', 'm=4096,t=3,p=1,m=8192'],
    ['duplicate t', 'm=4096,t=3,t=3,p=1'],
    ['missing m', 't=3,p=1'],
    ['missing t', 'm=4096,p=1'],
    ['missing p', 'm=4096,t=3'],
    ['no parameters', ''],
    ['trailing comma', 'm=4096,t=3,p=1,'],
    ['leading comma', ',m=4096,t=3,p=1'],
    ['space after comma', 'm=4096, t=3,p=1'],
    ['semicolons', 'm=4096;t=3;p=1'],
    ['name without value', 'm,t=3,p=1'],
    ['value without name', '=4096,t=3,p=1'],
  ])('parameters: %s', (_, params) => expectRejected(phcWith(params)));

  test.each([
    ['hex', 'm=0x1000,t=3,p=1'],
    ['negative', 'm=4096,t=-3,p=1'],
    ['plus sign', 'm=+4096,t=3,p=1'],
    ['decimal point', 'm=4096,t=3.0,p=1'],
    ['exponent', 'm=4e3,t=3,p=1'],
    ['leading zero', 'm=04096,t=3,p=1'],
    ['empty value', 'm=,t=3,p=1'],
    ['space in value', 'm=4096 ,t=3,p=1'],
    ['non-ASCII digits', 'm=４０９６,t=3,p=1'],
  ])('non-decimal numbers: %s', (_, params) => expectRejected(phcWith(params)));

  test.each([
    ['m of 14 digits', 'm=99999999999999,t=3,p=1'],
    ['m of 11 digits', 'm=12345678901,t=3,p=1'],
    ['m of 2^32 (does not fit argon2 uint32)', 'm=4294967296,t=3,p=1'],
    ['m of 9999999999', 'm=9999999999,t=3,p=1'],
    ['t of 2^32', 'm=4096,t=4294967296,p=1'],
    ['p of 2^24 (argon2 lane limit)', 'm=4294967295,t=3,p=16777216'],
  ])('huge numbers: %s', (_, params) => expectRejected(phcWith(params)));

  test('accepts the largest argon2 values m=2^32-1, t=2^32-1', () => {
    const h = parsePhc(phcWith('m=4294967295,t=4294967295,p=1'));
    expect(h.memoryCost).toBe(4294967295);
    expect(h.timeCost).toBe(4294967295);
  });

  test.each([
    ['t=0', 'm=4096,t=0,p=1'],
    ['p=0', 'm=4096,t=3,p=0'],
    ['m below 8*p', 'm=31,t=3,p=4'],
    ['m=0', 'm=0,t=3,p=1'],
  ])('out-of-range parameters: %s', (_, params) => expectRejected(phcWith(params)));

  test.each([
    ['padded salt', { salt: 'MDEyMzQ1Njc4OWFiY2RlZg==' }],
    ['padded hash', { hash: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=' }],
    ['url-safe alphabet in salt', { salt: 'MDEyMzQ1Njc4OWFiY2Rl-_' }],
    ['space in salt', { salt: 'MDEyMzQ1 Njc4OWFiY2RlZg' }],
    ['dot in hash', { hash: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw.' }],
    ['length 1 mod 4 in salt', { salt: 'MDEyMzQ1Njc4OWFiY2RlZ' }],
    ['length 1 mod 4 in hash', { hash: 'AAAAA' }],
    ['empty salt', { salt: '' }],
    ['non-ASCII in hash', { hash: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwé' }],
  ])('invalid base64: %s', (_, fields) => expectRejected(phcWith('m=4096,t=3,p=1', fields)));

  test('salt shorter than 8 bytes', () => {
    expectRejected(phcWith('m=4096,t=3,p=1', { salt: 'AQEBAQEBAQ' })); // 7 bytes
  });

  test('hash shorter than 16 bytes: argon2 allows 4, but a short digest is a cut one', () => {
    expectRejected(phcWith('m=4096,t=3,p=1', { hash: 'AQEBAQEBAQEBAQEBAQEB' })); // 15 bytes
  });

  // The last character of unpadded base64 carries 2 or 4 unused bits; encoders write them as
  // zero, so anything else was cut or edited (and would otherwise verify as a wrong password).
  test.each([
    ['hash, 2 unused bits set', { hash: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwd' }],
    ['hash, 4 unused bits set', { hash: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBx' }],
    ['salt, 4 unused bits set', { salt: 'MDEyMzQ1Njc4OWFiY2RlZh' }],
  ])('non-canonical base64: %s', (_, fields) => {
    expect(() => parsePhc(phcWith('m=4096,t=3,p=1', fields))).toThrow('not canonical base64');
  });

  test('longer than 1024 characters, refused before any other work', () => {
    expectRejected(CANONICAL + 'A'.repeat(1024));
    expect(() => parsePhc('$'.repeat(5_000_000))).toThrow('too long');
  });

  test('error messages are short and do not echo a long input', () => {
    const junk = `$${'x'.repeat(500)}$v=19$m=1,t=1,p=1$${SALT_B64}$${HASH_B64}`;
    try {
      parsePhc(junk);
      throw new Error('expected a PhcFormatError');
    } catch (err) {
      expect(err).toBeInstanceOf(PhcFormatError);
      expect((err as Error).message.length).toBeLessThan(100);
    }
  });
});

describe('formatPhc', () => {
  const base: PhcHash = { variant: 'argon2id', version: 19, memoryCost: 65536, timeCost: 3, parallelism: 4, salt: SALT, hash: HASH };

  test('writes the canonical m,t,p order', () => {
    expect(formatPhc(base)).toBe(`$argon2id$v=19$m=65536,t=3,p=4$${SALT_B64}$${HASH_B64}`);
  });

  test('rewrites node-argon2 order m,p,t into canonical order', () => {
    const nodeOrder = '$argon2id$v=19$m=4096,p=2,t=2$THVp7IwiiaPZnh1mzXE7/w$oHXsxXbRupfF5tS5a0joxnrSjavVDY6D1QhXSKAfsbs';
    expect(formatPhc(parsePhc(nodeOrder))).toBe(
      '$argon2id$v=19$m=4096,t=2,p=2$THVp7IwiiaPZnh1mzXE7/w$oHXsxXbRupfF5tS5a0joxnrSjavVDY6D1QhXSKAfsbs',
    );
  });

  test.each([1, 2, 3, 8, 9, 15, 16, 17, 31, 32, 33, 64])('never writes base64 padding (%i-byte salt and hash)', (n) => {
    const out = formatPhc({ ...base, salt: Buffer.alloc(n, 0xab), hash: Buffer.alloc(n, 0xcd) });
    expect(out).not.toContain('=' + '$');
    expect(out.endsWith('=')).toBe(false);
    const [, , , , salt, hash] = out.split('$');
    expect(salt).toMatch(/^[A-Za-z0-9+/]+$/);
    expect(hash).toMatch(/^[A-Za-z0-9+/]+$/);
  });

  test('writes a 16-byte salt as 22 characters and a 32-byte hash as 43', () => {
    const [, , , , salt, hash] = formatPhc(base).split('$');
    expect(salt).toHaveLength(22);
    expect(hash).toHaveLength(43);
  });

  test('writes the variant', () => {
    expect(formatPhc({ ...base, variant: 'argon2i' }).startsWith('$argon2i$v=19$')).toBe(true);
    expect(formatPhc({ ...base, variant: 'argon2d' }).startsWith('$argon2d$v=19$')).toBe(true);
  });

  test('version 16 round-trips to version 16', () => {
    const h = { ...base, version: 16 };
    expect(parsePhc(formatPhc(h)).version).toBe(16);
  });
});

describe('round trip', () => {
  test('parse(format(h)) gives back h', () => {
    const h: PhcHash = { variant: 'argon2id', version: 19, memoryCost: 19456, timeCost: 2, parallelism: 1, salt: SALT, hash: HASH };
    const back = parsePhc(formatPhc(h));
    expect(back).toEqual(h);
  });

  test('format(parse(s)) gives back a canonical s unchanged', () => {
    expect(formatPhc(parsePhc(CANONICAL))).toBe(CANONICAL);
  });

  test.each([1, 7, 8, 9, 10, 11, 16, 33, 64])('round-trips random %i-byte salts and hashes', (n) => {
    for (let i = 0; i < 20; i += 1) {
      const salt = Buffer.from(Array.from({ length: Math.max(n, 8) }, () => Math.floor(Math.random() * 256)));
      const hash = Buffer.from(Array.from({ length: Math.max(n, 16) }, () => Math.floor(Math.random() * 256)));
      const h: PhcHash = { variant: 'argon2i', version: 19, memoryCost: 8 * 3, timeCost: 1, parallelism: 3, salt, hash };
      const back = parsePhc(formatPhc(h));
      expect(back.salt.equals(salt)).toBe(true);
      expect(back.hash.equals(hash)).toBe(true);
    }
  });
});

/**
 * parsePhc as it was before checkPhc (commit 40e3a9f), which decoded the salt and digest with
 * Buffer and re-encoded them to refuse a last character with unused bits set: the oracle that
 * checkPhc, which checks the same without decoding, is held to.
 */
function formerParsePhc(encoded: string): PhcHash {
  const decode = (field: string, what: string): Buffer => {
    if (!/^[A-Za-z0-9+/]+$/.test(field) || field.length % 4 === 1) throw new PhcFormatError(`${what} is not unpadded base64`);
    const bytes = Buffer.from(field, 'base64');
    if (bytes.toString('base64').replace(/=+$/, '') !== field)
      throw new PhcFormatError(`${what} is not canonical base64 (cut short or altered?)`);
    return bytes;
  };
  const params = (field: string) => {
    const seen = new Map<string, number>();
    for (const pair of field.split(',')) {
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (eq < 1 || !['m', 't', 'p'].includes(name)) throw new PhcFormatError(`unknown parameter "${pair.slice(0, 20)}"`);
      if (seen.has(name)) throw new PhcFormatError(`parameter ${name} given twice`);
      if (!/^(0|[1-9][0-9]{0,9})$/.test(value)) throw new PhcFormatError(`parameter ${name} is not a decimal number`);
      seen.set(name, Number(value));
    }
    const [m, t, p] = [seen.get('m'), seen.get('t'), seen.get('p')];
    if (m === undefined || t === undefined || p === undefined) throw new PhcFormatError('parameters m, t and p are required');
    return { m, t, p };
  };
  if (encoded.length > 1024) throw new PhcFormatError('too long to be a PHC string');
  const parts = encoded.split('$');
  if (parts[0] !== '' || parts.length < 5 || parts.length > 6) throw new PhcFormatError('not a PHC string');
  const variant = parts[1] as PhcHash['variant'];
  if (!['argon2d', 'argon2i', 'argon2id'].includes(variant))
    throw new PhcFormatError(`algorithm "${String(parts[1]).slice(0, 20)}" is not argon2`);
  let version = 16;
  let rest = parts.slice(2);
  if (parts.length === 6) {
    const v = /^v=(16|19)$/.exec(parts[2] ?? '');
    if (!v) throw new PhcFormatError('unsupported version field');
    version = Number(v[1]);
    rest = parts.slice(3);
  }
  const [fields, salt, hash] = rest as [string, string, string];
  const { m, t, p } = params(fields);
  const saltBytes = decode(salt, 'salt');
  const hashBytes = decode(hash, 'hash');
  if (saltBytes.length < 8) throw new PhcFormatError('salt is shorter than 8 bytes');
  if (hashBytes.length < 16) throw new PhcFormatError(`hash is shorter than 16 bytes (cut short?)`);
  if (t < 1 || t > 0xffffffff || m > 0xffffffff || p < 1 || p > 0xffffff || m < 8 * p) throw new PhcFormatError('parameters out of range');
  return { variant, version, memoryCost: m, timeCost: t, parallelism: p, salt: saltBytes, hash: hashBytes };
}

/** What a parser answers, as a value to compare: its result, or its error's class and message. */
function outcome<T>(parse: () => T): { ok: T } | { error: string; message: string } {
  try {
    return { ok: parse() };
  } catch (err) {
    return { error: (err as Error).constructor.name, message: (err as Error).message };
  }
}

describe('checkPhc: parsePhc without decoding', () => {
  test('gives the fields, the base64 as written and the sizes in bytes', () => {
    expect(checkPhc(phcWith('m=65536,p=4,t=3'))).toEqual({
      variant: 'argon2id',
      version: 19,
      memoryCost: 65536,
      timeCost: 3,
      parallelism: 4,
      salt64: SALT_B64,
      hash64: HASH_B64,
      saltBytes: 16,
      hashBytes: 32,
    });
  });

  test('costsOf a decoded hash gives the sizes checkPhc gives', () => {
    const { salt64, hash64, ...costs } = checkPhc(CANONICAL);
    expect([salt64, hash64]).toEqual([SALT_B64, HASH_B64]);
    expect(costsOf(parsePhc(CANONICAL))).toEqual(costs);
  });

  /** Characters PHC strings are made of, and a few they may not hold. */
  const phcChar = fc.constantFrom(...'$=,mtpv0123456789AQgwBbcdZz+/-_. é\u0000'.split(''));
  /** Parameters in any order, or drawn at and around their bounds, some given twice or left out. */
  const params = fc.oneof(
    fc.shuffledSubarray(['m=4096', 't=3', 'p=1'], { minLength: 3, maxLength: 3 }).map((ps) => ps.join(',')),
    fc
      .array(
        fc.tuple(
          fc.constantFrom('m', 't', 'p'),
          fc.constantFrom('0', '1', '2', '7', '8', '31', '32', '4096', '01', '', '4294967295', '4294967296', '16777215', '16777216'),
        ),
        { minLength: 2, maxLength: 4 },
      )
      .map((ps) => ps.map(([name, value]) => `${name}=${value}`).join(',')),
  );
  /** A string of the PHC shape: any variant and version, salt and digest of any size near the bounds. */
  const phcShaped = fc
    .record({
      variant: fc.constantFrom('argon2id', 'argon2i', 'argon2d'),
      version: fc.constantFrom<string | null>('v=19', 'v=16', null),
      params,
      salt: fc.uint8Array({ minLength: 6, maxLength: 40 }),
      hash: fc.uint8Array({ minLength: 12, maxLength: 70 }),
    })
    .map(({ variant, version, params, salt, hash }) =>
      phcWith(params, {
        variant,
        version,
        salt: Buffer.from(salt).toString('base64').replace(/=+$/, ''),
        hash: Buffer.from(hash).toString('base64').replace(/=+$/, ''),
      }),
    );
  /** Such a string with characters replaced, inserted or cut: most are refused, each for some reason. */
  const mutated = fc
    .tuple(phcShaped, fc.array(fc.tuple(fc.nat(), phcChar, fc.constantFrom('replace', 'insert', 'cut')), { minLength: 1, maxLength: 4 }))
    .map(([s, edits]) =>
      edits.reduce((acc, [at, c, how]) => {
        const i = at % (acc.length + 1);
        return how === 'insert' ? acc.slice(0, i) + c + acc.slice(i) : acc.slice(0, i) + (how === 'replace' ? c : '') + acc.slice(i + 1);
      }, s),
    );
  /** The last character of the salt or the digest replaced by any base64 character: canonical or not. */
  const lastChanged = fc
    .tuple(phcShaped, fc.boolean(), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('')))
    .map(([s, salt, c]) => {
      const parts = s.split('$');
      const i = parts.length - (salt ? 2 : 1);
      parts[i] = `${(parts[i] as string).slice(0, -1)}${c}`;
      return parts.join('$');
    });
  const random = fc.array(phcChar, { maxLength: 80 }).map((cs) => `$argon2id$${cs.join('')}`);

  test('property: accepts and refuses exactly what the former parsePhc did, with the same message', () => {
    fc.assert(
      fc.property(fc.oneof(phcShaped, mutated, lastChanged, random), (s) => {
        const former = outcome(() => formerParsePhc(s));
        const parsed = outcome(() => parsePhc(s));
        const checked = outcome(() => checkPhc(s));
        expect(parsed).toEqual(former);
        if ('ok' in former) expect(checked).toEqual({ ok: expect.objectContaining(costsOf(former.ok)) });
        else expect(checked).toEqual(former);
      }),
      { numRuns: 20000 },
    );
  });
});
