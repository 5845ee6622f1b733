/**
 * What a command is connected to: one server, a Redis Cluster, or the master a Sentinel
 * names. Commands route single-key work through `keyed` and walk `masters()` for SCAN, so
 * the same code serves all three.
 */
import { ConnectionError, TopologyChangedError, UsageError } from '../errors.js';
import {
  atAddress,
  boundCommands,
  databaseOf,
  describeTarget,
  disconnect,
  nodeSettings,
  NO_WRITE_TIMER,
  openClient,
  withinDeadline,
  type ConnectionOptions,
  type NodeSettings,
  type Keyed,
  type Redis,
} from './connection.js';
import { toAppError } from './redis-errors.js';
import { keySlot } from './slot.js';

/** A master to SCAN: its client, and on a cluster which keys it owns now. */
export interface MasterNode {
  client: Redis;
  label: string;
  /** How to open another connection to this node (a SCAN runs on its own connection). */
  settings: NodeSettings;
  owns?: (key: Buffer) => boolean;
}

export interface Topology {
  readonly kind: 'single' | 'cluster' | 'sentinel';
  /** Major version of the server (of the oldest master on a cluster). */
  readonly majorVersion: number;
  /** Routes each single-key command (and EVAL by its first key) to the node that owns it. */
  readonly keyed: Keyed;
  /** Every master: SCAN and per-node batches run on these. */
  masters(): Promise<MasterNode[]>;
  /**
   * Throws when the topology changed since it was opened (a failover, a resharding), so a
   * scan that may have missed keys is reported instead of passing as a short result.
   */
  assertUnchanged(): Promise<void>;
  close(): Promise<void>;
}

export async function openTopology(opts: ConnectionOptions, onWarning: (line: string) => void): Promise<Topology> {
  const settings = await nodeSettings(opts, onWarning);
  if (opts.sentinels !== undefined && opts.sentinels.length > 0) return openSentinel(settings, opts.sentinels, opts.sentinelMaster);
  if (opts.cluster === true) assertDatabaseZero(settings);
  let client: Redis;
  try {
    client = await openClient(settings);
  } catch (err) {
    // A cluster node refuses SELECT of any other database: that is the URL's fault, not the server's.
    if (databaseOf(settings.url) !== 0 && /SELECT is not allowed in cluster mode/.test(err instanceof Error ? err.message : ''))
      assertDatabaseZero(settings);
    throw err;
  }
  if (opts.cluster === true || (await clusterEnabled(client))) {
    await disconnect(client);
    return openCluster(settings);
  }
  return single('single', client, settings, async () => undefined);
}

/** A Redis Cluster has database 0 only. */
function assertDatabaseZero(settings: NodeSettings): void {
  const db = databaseOf(settings.url);
  if (db !== 0) {
    throw new UsageError(`the URL selects database ${db}, but a Redis Cluster has only database 0`, {
      hint: `drop "/${db}" from --url or REDIS_URL`,
    });
  }
}

async function single(
  kind: 'single' | 'sentinel',
  client: Redis,
  settings: NodeSettings,
  assertUnchanged: () => Promise<void>,
): Promise<Topology> {
  const node = { client, label: describeTarget(settings.url), settings };
  const majorVersion = await serverMajorVersion(client);
  return { kind, majorVersion, keyed: client, masters: async () => [node], assertUnchanged, close: () => disconnect(client) };
}

async function clusterEnabled(client: Redis): Promise<boolean> {
  try {
    return /cluster_enabled:1/.test(await client.info('cluster'));
  } catch {
    // An ACL user without INFO: assume a single server (--cluster forces cluster mode).
    return false;
  }
}

async function serverMajorVersion(client: Redis): Promise<number> {
  try {
    return Number(/redis_version:(\d+)/.exec(await client.info('server'))?.[1] ?? 0);
  } catch {
    return 0; // INFO denied by ACL: assume an old server, use the plain scripts
  }
}

async function serverRunId(client: Redis): Promise<string> {
  return /run_id:([0-9a-f]+)/.exec(await client.info('server'))?.[1] ?? '';
}

async function role(client: Redis): Promise<string> {
  const reply = (await client.sendCommand(['ROLE'])) as unknown[];
  return String(reply[0]);
}

/** Ask the sentinels, in order, where the master is; connect to it and check it is one. */
async function openSentinel(
  settings: NodeSettings,
  sentinels: Array<{ host: string; port: number }>,
  name: string | undefined,
): Promise<Topology> {
  if (name === undefined || name === '') throw new UsageError('--sentinel needs --sentinel-master <name>');
  const failures: string[] = [];
  const locate = async (): Promise<{ host: string; port: number }> => {
    for (const s of sentinels) {
      // Sentinels usually run without the data ACL user: connect without credentials or TLS files' client cert.
      const at = { ...atAddress(settings, s.host, s.port), username: undefined, password: undefined };
      // A Sentinel has no databases (no SELECT): the URL's database is for the master.
      at.url.pathname = '';
      let sentinel: Redis | undefined;
      try {
        sentinel = await openClient(at);
        const reply = (await sentinel.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name])) as string[] | null;
        if (reply === null || reply.length < 2) throw new UsageError(`sentinel ${s.host}:${s.port} knows no master named "${name}"`);
        return { host: String(reply[0]), port: Number(reply[1]) };
      } catch (err) {
        if (err instanceof UsageError) throw err;
        failures.push(`${s.host}:${s.port}: ${(toAppError(err)?.message ?? String(err)).slice(0, 120)}`);
      } finally {
        if (sentinel) await disconnect(sentinel);
      }
    }
    throw new ConnectionError(`no sentinel answered (${failures.join('; ')})`);
  };
  const address = await locate();
  const masterSettings = atAddress(settings, address.host, address.port);
  const client = await openClient(masterSettings);
  if ((await role(client)) !== 'master') {
    await disconnect(client);
    throw new ConnectionError(`${address.host}:${address.port} is not a master (a failover is in progress?)`, {
      hint: 'retry in a few seconds',
    });
  }
  const runId = await serverRunId(client);
  return single('sentinel', client, masterSettings, async () => {
    const now = await locate();
    const same =
      now.host === address.host && now.port === address.port && (await role(client)) === 'master' && (await serverRunId(client)) === runId;
    if (!same)
      throw new TopologyChangedError(`the master changed (failover) while the command ran; results may be incomplete`, {
        hint: 'run the command again',
      });
  });
}

/**
 * Each master's own account of the slots it serves (CLUSTER NODES, the `myself` line), and
 * whether any of them is migrating or importing a slot. Compared before and after a walk, it
 * sees a failover, a slot moved between the same masters, and a resharding under way.
 */
async function clusterLayout(masters: Redis[]): Promise<{ layout: string; migrating: boolean }> {
  const views = await Promise.all(masters.map(async (m) => String(await m.sendCommand(['CLUSTER', 'NODES']))));
  let migrating = false;
  const layout = views
    .map((view) => {
      const fields = (view.split('\n').find((line) => / myself[,\s]/.test(line)) ?? '').trim().split(' ');
      const slots = fields.slice(8);
      if (slots.some((s) => s.startsWith('['))) migrating = true;
      return `${fields[0] ?? '?'} ${slots.filter((s) => !s.startsWith('[')).join(' ')}`;
    })
    .sort()
    .join('\n');
  return { layout, migrating };
}

async function openCluster(settings: NodeSettings): Promise<Topology> {
  const { createCluster } = await import('./redis-lib.js');
  const label = describeTarget(settings.url);
  const defaults = {
    username: settings.username,
    password: settings.password,
    socket: settings.socket,
    disableOfflineQueue: true,
    commandOptions: NO_WRITE_TIMER,
  };
  const cluster = createCluster({
    rootNodes: [{ url: settings.url.toString() }],
    defaults,
    useReplicas: false,
    commandOptions: NO_WRITE_TIMER,
  });
  cluster.on('error', () => undefined);
  try {
    await withinDeadline(cluster.connect(), settings.timeoutMs, `connecting to cluster at ${label}`);
  } catch (err) {
    cluster.destroy();
    throw toAppError(err, `cannot connect to cluster at ${label}`) ?? err;
  }
  type Master = (typeof cluster.masters)[number];
  /** A master's own connection, each call bounded by the timeout like every other. */
  const clientOf = async (m: Master) => boundCommands<Redis>(await cluster.nodeClient(m), settings.timeoutMs, `${m.host}:${m.port}`);
  const nodeClients = () => Promise.all(cluster.masters.map(clientOf));
  // Script flags (allow-cross-slot-keys) need Redis 7 on every master: the oldest decides.
  const versions = await Promise.all((await nodeClients()).map(serverMajorVersion));
  const majorVersion = versions.length === 0 ? 0 : Math.min(...versions);
  // Taken when a walk first asks for the masters: commands on single keys never need it.
  let before: Promise<{ layout: string; migrating: boolean }> | undefined;
  return {
    kind: 'cluster',
    majorVersion,
    keyed: boundCommands<Keyed>(cluster, settings.timeoutMs, label),
    masters: async () => {
      before ??= nodeClients().then(clusterLayout);
      await before;
      return Promise.all(
        cluster.masters.map(async (m) => {
          const client = await clientOf(m);
          const owns = (key: Buffer) => {
            const owner = cluster.getSlotMaster(keySlot(key));
            return owner.host === m.host && owner.port === m.port;
          };
          return { client, label: `${m.host}:${m.port}`, owns, settings: atAddress(settings, m.host, m.port) };
        }),
      );
    },
    assertUnchanged: async () => {
      if (before === undefined) return;
      const [start, after] = [await before, await clusterLayout(await nodeClients())];
      if (after.layout !== start.layout)
        throw new TopologyChangedError("the cluster's masters or slots changed while the command ran; results may be incomplete", {
          hint: 'run the command again',
        });
      // Keys of a slot being migrated move between two masters, one by one: a walk can miss those.
      if (start.migrating || after.migrating) {
        throw new TopologyChangedError('a slot migration was in progress while the command ran; results may be incomplete', {
          hint: 'run the command again once the resharding has finished',
        });
      }
    },
    close: async () => {
      try {
        await cluster.close();
      } catch {
        cluster.destroy();
      }
    },
  };
}
