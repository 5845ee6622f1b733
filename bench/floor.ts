/**
 * The read floor of a listing: what the server does for `session list` with no client work
 * beyond sending the keys back. SCAN COUNT 1000 MATCH (as the tool scans), then each 256 keys'
 * values and PTTLs in one script (as the tool's read script: GET for a string, HGETALL for a
 * hash; no PTTL for a layout whose listing reads none), four scripts in flight, every reply
 * dropped. Run as its own process by bench.ts, under
 * the same wrapper as the tool and the baseline: a listing cannot take less than this on the
 * machine, whatever the client does with the values, and the notes put it beside the scan.
 *
 * Usage: node .bench-dist/bench/floor.js <port> <pattern> [string|hash] [ttl|nottl]
 */
import { createClient, RESP_TYPES } from 'redis';

// The layout's kind of value decides the read, as in the tool's script (no TYPE per key).
const READ = `local read, ttls = ARGV[1] == 'hash' and 'HGETALL' or 'GET', ARGV[2] == 'ttl'
local o = {}
for i, k in ipairs(KEYS) do
  o[2 * i - 1] = ttls and redis.call('PTTL', k) or 0
  o[2 * i] = redis.pcall(read, k)
end
return o`;
const KEYS_PER_READ = 256;
const IN_FLIGHT = 4;

async function main(): Promise<void> {
  const [port, pattern, kind = 'string', ttls = 'ttl'] = process.argv.slice(2);
  if (port === undefined || pattern === undefined) throw new Error('usage: floor.js <port> <pattern> [string|hash]');
  const client = createClient({ url: `redis://127.0.0.1:${port}` });
  await client.connect();
  const bytes = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const sha = await client.scriptLoad(READ);
  const pending: Array<Promise<unknown>> = [];
  let cursor = '0';
  let keys = 0;
  do {
    const reply = await client.scan(cursor, { MATCH: pattern, COUNT: 1000 });
    cursor = String(reply.cursor);
    keys += reply.keys.length;
    for (let i = 0; i < reply.keys.length; i += KEYS_PER_READ) {
      pending.push(bytes.evalSha(sha, { keys: reply.keys.slice(i, i + KEYS_PER_READ), arguments: [kind, ttls] }));
      while (pending.length > IN_FLIGHT) await pending.shift();
    }
  } while (cursor !== '0');
  await Promise.all(pending);
  await client.quit();
  process.stderr.write(`${keys} keys read\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
