/**
 * A Spring Session Data Redis "application" for tests: test/fixtures/spring/SpringSessionFixture.java,
 * compiled once with the JDK's javac and run as one `java` process per app, writes and reads sessions
 * with the Redis commands and JDK serialization bytes of Spring Session's two repositories (see
 * test/fixtures/spring/README.md). Each method is one thing the application does: log a user in,
 * serve a request, log out, look up a user's sessions, run the cleanup job.
 */
import { execFile, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ROOT } from './cli.js';
import { waitFor } from './wait.js';

/** `default`: RedisSessionRepository (Spring Boot's default); `indexed`: RedisIndexedSessionRepository. */
export type SpringRepo = 'default' | 'indexed';

/**
 * How values are stored: `jdk` (Spring's default, JdkSerializationRedisSerializer); `json`
 * (GenericJackson2JsonRedisSerializer over an ObjectMapper with Spring Security's Jackson modules, as in
 * Spring Session's JSON sample: plain numbers, "@class" objects); `json-typed` (the no-argument
 * GenericJackson2JsonRedisSerializer: Long as ["java.lang.Long", n]; no security context).
 */
export type SpringSerializer = 'jdk' | 'json' | 'json-typed';

/** A Redis command as the app sent it: printable arguments as text, others as `hex:<bytes>`. */
export type SpringCommand = string[];

export interface SpringScope {
  /** The key namespace, without the trailing colon (default `spring:session`). */
  namespace?: string;
  serializer?: SpringSerializer;
}

export interface CreateOptions extends SpringScope {
  repo: SpringRepo;
  /** Log this user in: a SecurityContextImpl with an authenticated UsernamePasswordAuthenticationToken (ROLE_USER). */
  principal?: string;
  /** `user` (default): the principal is a Spring Security User, as after a form login; `string`: the name itself. */
  principalForm?: 'string' | 'user';
  /** The repository's default maxInactiveInterval (default 1800). */
  maxInactiveSeconds?: number;
  /** Session attributes the application sets (Strings, or integers: JDK Integer/Long as JSON numbers give them). */
  attributes?: Record<string, string | number>;
}

export interface CreatedSession {
  id: string;
  /** The SESSION cookie's value: base64 of the id (DefaultCookieSerializer). */
  cookie: string;
  creationTime: number;
  lastAccessedTime: number;
  commands: SpringCommand[];
}

export interface SpringAttribute {
  /** The Java class of the value the app read back. */
  class: string;
  /** For String, Number and Boolean values. */
  value?: string | number | boolean;
}

export interface FoundSession {
  found: true;
  id: string;
  /** As PrincipalNameIndexResolver resolves it (the index attribute, else the security context's name). */
  principal: string | null;
  creationTime: number;
  lastAccessedTime: number;
  maxInactiveInterval: number;
  attributes: Record<string, SpringAttribute>;
  commands: SpringCommand[];
}

export interface MissingSession {
  found: false;
  commands: SpringCommand[];
}

export type SessionLookup = FoundSession | MissingSession;

/** What the indexed repository's listener did with one message (after `listen`). */
export interface SpringEvent {
  /** created / deleted / expired: the event Spring publishes; unpublished: the session was gone (a warning); error. */
  type: 'created' | 'deleted' | 'expired' | 'unpublished' | 'error';
  id?: string;
  principal?: string | null;
  error?: string;
  commands: SpringCommand[];
}

/** An exception the application threw (a ClassCastException on a value of the wrong type, say). */
export class SpringAppError extends Error {
  constructor(
    message: string,
    readonly javaClass: string,
    readonly commands: SpringCommand[],
  ) {
    super(message);
    this.name = 'SpringAppError';
  }
}

export interface SpringApp {
  /** A request that logs a user in (or just sets attributes): a new session, saved at the end of the request. */
  create(opts: CreateOptions): Promise<CreatedSession>;
  /** The repository's findById, nothing more: what the app would load for this cookie. */
  find(repo: SpringRepo, id: string, scope?: SpringScope): Promise<SessionLookup>;
  /** One request with this session's cookie: findById, then lastAccessedTime = now and save. */
  request(repo: SpringRepo, id: string, scope?: SpringScope): Promise<SessionLookup>;
  /** Logout: HttpSession.invalidate, which is the repository's deleteById. */
  logout(repo: SpringRepo, id: string, scope?: SpringScope): Promise<SpringCommand[]>;
  /** The indexed repository's findByPrincipalName: ids of the user's sessions that still load. */
  findByPrincipal(name: string, scope?: SpringScope): Promise<{ ids: string[]; commands: SpringCommand[] }>;
  /** One pass of the indexed repository's cleanup job, for the minute of `atMillis` (default now). */
  cleanup(opts?: SpringScope & { atMillis?: number }): Promise<{ touched: string[]; commands: SpringCommand[] }>;
  /** Start the indexed repository's listener (keyspace notifications and the event channels), as the app does at start. */
  listen(scope?: SpringScope): Promise<{ notifyKeyspaceEvents: string; commands: SpringCommand[] }>;
  /** Events handled since the last call. */
  events(): Promise<SpringEvent[]>;
  /** Wait until the listener has handled `count` more events, and return them. */
  waitForEvents(count: number): Promise<SpringEvent[]>;
  close(): Promise<void>;
}

const FIXTURE_DIR = join(ROOT, 'test', 'fixtures', 'spring');

let jdkChecked = false;
/** Throws a readable error when javac or java is missing (the tests then say what to install). */
export function requireJdk(): void {
  if (jdkChecked) return;
  for (const tool of ['javac', 'java']) {
    const r = spawnSync(tool, ['-version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new Error(
        `${tool} is not on PATH: the Spring Session tests compile and run a Java fixture. Install a JDK 17 (Debian: apt-get install openjdk-17-jdk-headless).`,
      );
    }
  }
  jdkChecked = true;
}

function javaSources(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...javaSources(path));
    else if (name.endsWith('.java')) files.push(path);
  }
  return files.sort();
}

let compiled: Promise<string> | undefined;

/**
 * The fixture's classes, compiled once per source version: a directory under the system temp
 * directory named by a hash of the sources, reused by later runs and by parallel test workers.
 */
export function compileFixture(): Promise<string> {
  compiled ??= (async () => {
    requireJdk();
    const sources = javaSources(FIXTURE_DIR);
    const hash = createHash('sha256');
    for (const file of sources) hash.update(relative(FIXTURE_DIR, file)).update('\0').update(readFileSync(file)).update('\0');
    const target = join(tmpdir(), `ra-spring-fixture-${hash.digest('hex').slice(0, 16)}`);
    if (existsSync(join(target, 'SpringSessionFixture.class'))) return target;
    // Compiled beside the target, then renamed: a worker never sees half a directory.
    const scratch = mkdtempSync(`${target}.tmp-`);
    try {
      await promisify(execFile)('javac', ['-nowarn', '-encoding', 'UTF-8', '--release', '17', '-d', scratch, ...sources]);
      renameSync(scratch, target);
    } catch (err) {
      rmSync(scratch, { recursive: true, force: true });
      // Another worker may have won the rename; its classes are as good.
      if (!existsSync(join(target, 'SpringSessionFixture.class'))) throw err;
    }
    return target;
  })();
  return compiled;
}

/** Fixture processes still running: they must not outlive the test process. */
const running = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

type Answer = Record<string, unknown> & { commands: SpringCommand[]; error?: string; javaClass?: string };

/** Start the application against the Redis on 127.0.0.1:`port` (database `db`). */
export async function startSpringApp(port: number, opts: { db?: number } = {}): Promise<SpringApp> {
  const classes = await compileFixture();
  const child = spawn('java', ['-cp', classes, 'SpringSessionFixture', String(port), String(opts.db ?? 0)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdin.on('error', () => undefined); // a fixture that died is reported by the pending calls
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => {
    const done = () => {
      running.delete(child);
      resolve();
    };
    child.once('exit', done);
    // A java that cannot be started emits 'error' and no 'exit'.
    child.once('error', (err) => ((stderr += err.message), done()));
  });
  const pending: Array<{ resolve: (a: Answer) => void; reject: (e: Error) => void }> = [];
  let ready: (() => void) | undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (ready !== undefined) {
      ready();
      ready = undefined;
      return;
    }
    pending.shift()?.resolve(JSON.parse(line) as Answer);
  });
  void exited.then(() => {
    for (const p of pending.splice(0)) p.reject(new Error(`the Spring fixture exited:\n${stderr}`));
  });
  await Promise.race([
    isReady,
    exited.then(() => {
      throw new Error(`the Spring fixture exited at start:\n${stderr}`);
    }),
  ]);

  function call(command: Record<string, unknown>): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new Error(`the Spring fixture has exited:\n${stderr}`));
        return;
      }
      pending.push({
        resolve: (a) =>
          a.error === undefined ? resolve(a) : reject(new SpringAppError(a.error, a.javaClass ?? 'java.lang.Throwable', a.commands)),
        reject,
      });
      child.stdin.write(`${JSON.stringify(command)}\n`);
    });
  }

  const app: SpringApp = {
    async create(o) {
      return (await call({ cmd: 'create', ...o })) as unknown as CreatedSession;
    },
    async find(repo, id, scope = {}) {
      return (await call({ cmd: 'find', repo, id, ...scope })) as unknown as SessionLookup;
    },
    async request(repo, id, scope = {}) {
      return (await call({ cmd: 'request', repo, id, ...scope })) as unknown as SessionLookup;
    },
    async logout(repo, id, scope = {}) {
      return (await call({ cmd: 'delete', repo, id, ...scope })).commands;
    },
    async findByPrincipal(name, scope = {}) {
      return (await call({ cmd: 'findByPrincipal', name, ...scope })) as unknown as { ids: string[]; commands: SpringCommand[] };
    },
    async cleanup(o = {}) {
      return (await call({ cmd: 'cleanup', ...o })) as unknown as { touched: string[]; commands: SpringCommand[] };
    },
    async listen(scope = {}) {
      return (await call({ cmd: 'listen', ...scope })) as unknown as { notifyKeyspaceEvents: string; commands: SpringCommand[] };
    },
    async events() {
      return (await call({ cmd: 'events' }))['events'] as SpringEvent[];
    },
    async waitForEvents(count) {
      const seen: SpringEvent[] = [];
      await waitFor(`${count} Spring Session event(s)`, async () => (seen.push(...(await app.events())), seen.length >= count), {
        timeoutMs: 5000,
        state: () => JSON.stringify(seen),
      });
      return seen;
    },
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
  return app;
}
