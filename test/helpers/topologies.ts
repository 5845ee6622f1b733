/**
 * Throwaway multi-server topologies for the integration tests, built from startRedis:
 * a three-master Redis Cluster, and a master + replica + one Sentinel. Every process runs
 * on a free port in a private temp directory, readiness is polled (no fixed sleeps), and
 * stop() ends everything that was started. Never touches the Redis on 6379.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, createCluster, RESP_TYPES, type RedisClientType, type RedisClusterType } from 'redis';
import { freePort, requireRedisServer, spawnServer, startRedis, waitForPing, type RedisServer } from './redis-server.js';
import { waitFor } from './wait.js';

/** Run one command on a short-lived connection to 127.0.0.1:port. */
export async function commandAt(port: number, args: string[]): Promise<unknown> {
  const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false, connectTimeout: 2000 } }) as RedisClientType;
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.sendCommand(args);
  } finally {
    if (client.isOpen) client.destroy();
  }
}

async function stopAll(servers: Array<{ stop(): Promise<void> } | undefined>): Promise<void> {
  await Promise.allSettled(servers.map((s) => s?.stop()));
}

// ---------------------------------------------------------------------------------------
// Cluster

export interface TestCluster {
  /** redis://127.0.0.1:<port> of one node (the first). */
  url: string;
  /** Every node's port; all are masters. */
  ports: number[];
  nodes: RedisServer[];
  stop(): Promise<void>;
}

function runRedisCli(args: string[], timeoutMs = 30000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d.toString()));
    child.stderr.on('data', (d) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`redis-cli ${args.join(' ')} exited ${code}:\n${out}`));
    });
  });
}

/** Three cluster-enabled masters, slots split by `redis-cli --cluster create`, state ok everywhere. */
export async function startCluster(count = 3): Promise<TestCluster> {
  requireRedisServer();
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      // startRedis gives each node its own --dir; nodes.conf is relative to it.
      nodes.push(
        await startRedis({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'] }),
      );
    }
    const ports = nodes.map((n) => n.port);
    await runRedisCli(['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) {
      await waitFor(
        `cluster_state:ok on 127.0.0.1:${port}`,
        async () => {
          const info = String(await commandAt(port, ['CLUSTER', 'INFO']));
          return /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${count}\\b`).test(info);
        },
        { timeoutMs: 20000, intervalMs: 50, retryErrors: true },
      );
    }
    // Every node must also agree on the full slot map before clients discover it.
    for (const port of ports) {
      await waitFor(
        `a complete slot map on 127.0.0.1:${port}`,
        async () => {
          const slots = (await commandAt(port, ['CLUSTER', 'SLOTS'])) as unknown[][];
          const covered = slots.reduce((n, s) => n + (Number(s[1]) - Number(s[0]) + 1), 0);
          return covered === 16384 && slots.every((s) => ports.includes(Number((s[2] as unknown[])[1])));
        },
        { timeoutMs: 20000, intervalMs: 50, retryErrors: true },
      );
    }
    return { url: nodes[0]!.url, ports, nodes, stop: () => stopAll(nodes) };
  } catch (err) {
    await stopAll(nodes);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------
// Sentinel

export const SENTINEL_MASTER = 'mymaster';

export interface TestSentinelSet {
  master: RedisServer;
  replica: RedisServer;
  masterPort: number;
  replicaPort: number;
  sentinelPort: number;
  stop(): Promise<void>;
}

/** Where the sentinel says the master is now ("host:port"), or undefined. */
export async function sentinelMasterAddr(sentinelPort: number, name = SENTINEL_MASTER): Promise<string | undefined> {
  const reply = (await commandAt(sentinelPort, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name])) as string[] | null;
  return reply && reply.length >= 2 ? `${reply[0]}:${reply[1]}` : undefined;
}

async function startSentinel(masterPort: number): Promise<{ port: number; stop(): Promise<void> }> {
  for (let attempt = 0; ; attempt += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'ra-sentinel-'));
    const port = await freePort();
    const conf = join(dir, 'sentinel.conf');
    // Sentinel rewrites its config file: it lives in the private directory.
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        'protected-mode no',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER} 5000`,
        '',
      ].join('\n'),
    );
    const { stop, log, exited } = spawnServer([conf, '--sentinel'], dir);
    try {
      await Promise.race([
        waitForPing(port),
        exited.then(() => {
          throw new Error(`sentinel exited at start:\n${log()}`);
        }),
      ]);
      return { port, stop };
    } catch (err) {
      await stop();
      if (attempt >= 3) throw err; // the "free" port may have been taken meanwhile
    }
  }
}

/** A SENTINEL REPLICAS entry as a record: node-redis gives a flat [k, v, ...] array or an object. */
function fieldsOf(entry: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(entry)) for (let i = 0; i + 1 < entry.length; i += 2) out[String(entry[i])] = String(entry[i + 1]);
  else if (entry !== null && typeof entry === 'object') for (const [k, v] of Object.entries(entry)) out[k] = String(v);
  return out;
}

/** A master, one replica of it (link up), and one Sentinel that knows the master. */
export async function startSentinelSet(): Promise<TestSentinelSet> {
  requireRedisServer();
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    const master = await startRedis();
    started.push(master);
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    started.push(replica);
    await waitFor(
      'the replica link to come up',
      async () => /master_link_status:up/.test(String(await commandAt(replica.port, ['INFO', 'replication']))),
      { timeoutMs: 20000, intervalMs: 50, retryErrors: true },
    );
    const sentinel = await startSentinel(master.port);
    started.push(sentinel);
    await waitFor('the sentinel to name the master', async () => (await sentinelMasterAddr(sentinel.port)) === `127.0.0.1:${master.port}`, {
      timeoutMs: 20000,
      intervalMs: 50,
      retryErrors: true,
    });
    // A failover needs the sentinel to know the replica (it learns it from the master's INFO).
    await waitFor(
      'the sentinel to discover the replica',
      async () => {
        const replicas = (await commandAt(sentinel.port, ['SENTINEL', 'REPLICAS', SENTINEL_MASTER])) as unknown[];
        return replicas
          .map(fieldsOf)
          .some((r) => r['port'] === String(replica.port) && !/s_down|o_down|disconnected/.test(r['flags'] ?? ''));
      },
      { timeoutMs: 20000, intervalMs: 50, retryErrors: true },
    );
    return {
      master,
      replica,
      masterPort: master.port,
      replicaPort: replica.port,
      sentinelPort: sentinel.port,
      // Sentinel first, so it does not start a failover while the servers go away.
      stop: async () => {
        await sentinel.stop();
        await stopAll([replica, master]);
      },
    };
  } catch (err) {
    await stopAll(started.reverse());
    throw err;
  }
}

/**
 * Every key of a single server (but the audit trail) copied into a Cluster byte for byte, TTL kept
 * (DUMP/RESTORE): data a real application wrote on one server, spread over the Cluster's slots.
 */
export async function copyToCluster(from: RedisClientType, to: RedisClusterType, skip: string[] = []): Promise<string[]> {
  const bytes = from.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const keys = (await from.keys('*')).filter((k) => !skip.includes(k));
  for (const key of keys) {
    const dump = (await bytes.dump(key)) as unknown as Buffer;
    const pttl = Number(await from.pTTL(key));
    await to.restore(key, pttl > 0 ? pttl : 0, dump, { REPLACE: true });
  }
  return keys;
}

/** Every key of a Cluster matching `match`, from all its masters, sorted. */
export async function clusterKeys(cluster: RedisClusterType, match = '*'): Promise<string[]> {
  const all: string[] = [];
  for (const master of cluster.masters) {
    const client = await cluster.nodeClient(master);
    for await (const batch of client.scanIterator({ MATCH: match })) all.push(...batch);
  }
  return all.sort();
}

/** A node-redis Cluster client of `cluster`, connected; it does not reconnect, and its errors surface in the commands. */
export async function connectCluster(cluster: TestCluster): Promise<RedisClusterType> {
  const client = createCluster({
    rootNodes: [{ url: cluster.url }],
    defaults: { socket: { reconnectStrategy: false } },
  }) as unknown as RedisClusterType;
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export interface ClusterFixture {
  cluster: TestCluster;
  client: RedisClusterType;
}

/** A 3-master Cluster and a client of it for a test file: started before its tests, stopped after them. */
export function useCluster(): ClusterFixture {
  const fixture = {} as ClusterFixture;
  beforeAll(async () => {
    fixture.cluster = await startCluster();
    fixture.client = await connectCluster(fixture.cluster);
  }, 60000);
  afterAll(async () => {
    await fixture.client?.close().catch(() => fixture.client.destroy());
    await fixture.cluster?.stop();
  });
  return fixture;
}
