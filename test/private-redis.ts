/**
 * A redis-server a test starts for itself, on a free port in a temporary folder — never the
 * shared one on 6379, which other tests and checkouts use: a test may kill, freeze, restart or
 * reconfigure this one as it likes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { freePort } from './helpers';

/** Retries `check` every 100 ms until it holds; fails after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class PrivateRedis {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'af-redis-'));

  private constructor(
    readonly port: number,
    /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
    private readonly args: string[],
    /** A configuration file's text, written to its folder (a sentinel needs one: it rewrites it). */
    private readonly config?: string,
  ) {}

  /** Starts a non-persistent server (it writes a snapshot only on `shutdownSaving`) and waits for PING. */
  static async start(args: string[] = [], config?: string): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), args, config);
    await redis.start();
    return redis;
  }

  /** `host:port`, as REDIS_CLUSTER_NODES and REDIS_SENTINELS list it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Whether its process is running (not killed). */
  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the server on the same port and folder, with whatever data it saved there. */
  async start(): Promise<void> {
    const file = path.join(this.dir, 'redis.conf');
    if (this.config !== undefined) writeFileSync(file, this.config);
    const child = spawn('redis-server', [...(this.config !== undefined ? [file] : []), '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', ...this.args], { stdio: 'ignore' });
    this.child = child;
    const failed = new Promise<never>((_, reject) => child.once('error', reject));
    await Promise.race([failed, eventually(() => this.pings(), 5000)]);
  }

  /** Whether it answers PING now. */
  async pings(): Promise<boolean> {
    return (await this.client((c) => c.ping()).catch(() => '')) === 'PONG';
  }

  /** Stops the server after it wrote its data to disk (what a restart or failover brings back). */
  async shutdownSaving(): Promise<void> {
    const exited = new Promise((resolve) => this.child!.once('exit', resolve));
    await this.client((c) => c.call('SHUTDOWN', 'SAVE')).catch(() => {}); // the connection closes under it
    await exited;
  }

  /** Freezes (SIGSTOP: it accepts connections but answers nothing) or thaws it. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.child?.kill(signal);
  }

  /** Kills it (thawed first, so a frozen one dies too) and waits for the exit. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  /** Kills it and removes its folder. */
  async remove(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs `use` on a fresh connection to it, closed afterwards. */
  async client<T>(use: (c: Redis) => Promise<T>): Promise<T> {
    const c = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on('error', () => {});
    try {
      await c.connect();
      return await use(c);
    } finally {
      c.disconnect();
    }
  }
}

/** `INFO <section>` of `node` as a map (`role` → `master`, …). */
export async function info(node: PrivateRedis, section: string): Promise<Record<string, string>> {
  const text = await node.client((c) => c.info(section));
  return Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
}

/**
 * A Redis Cluster of private servers: `masters` masters with one replica each, nodes timing out
 * after 1 s so a killed master's replica takes over within a few seconds.
 */
export class PrivateRedisCluster {
  private constructor(readonly nodes: PrivateRedis[]) {}

  static async start(masters = 3): Promise<PrivateRedisCluster> {
    const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000'];
    const nodes = await Promise.all(Array.from({ length: masters * 2 }, () => PrivateRedis.start(args)));
    const cluster = new PrivateRedisCluster(nodes);
    try {
      await new Promise<void>((resolve, reject) =>
        execFile('redis-cli', ['--cluster', 'create', ...nodes.map((n) => n.address), '--cluster-replicas', '1', '--cluster-yes'], (err, _out, stderr) =>
          err ? reject(new Error(`redis-cli --cluster create failed: ${stderr || err.message}`)) : resolve(),
        ),
      );
      await cluster.settled();
    } catch (err) {
      await cluster.remove();
      throw err;
    }
    return cluster;
  }

  /** REDIS_CLUSTER_NODES for it (every node: a client finds the cluster through any one that answers). */
  get nodeList(): string {
    return this.nodes.map((n) => n.address).join(',');
  }

  /** The running node serving `key`'s slot as master. */
  async masterOf(key: string): Promise<PrivateRedis> {
    const live = this.nodes.filter((n) => n.running);
    const slot = await live[0].client((c) => c.call('CLUSTER', 'KEYSLOT', key)) as number;
    for (const node of live) {
      const nodes = (await node.client((c) => c.call('CLUSTER', 'NODES'))) as string;
      const me = nodes.split('\n').find((l) => l.includes('myself'))!.split(' ');
      if (me[2].includes('master') && me.slice(8).some((range) => covers(range, slot))) return node;
    }
    throw new Error(`no running master serves slot ${slot}`);
  }

  /** `CLUSTER NODES` as each running node sees it (for a failure's message). */
  async views(): Promise<string> {
    const running = this.nodes.filter((n) => n.running);
    const views = await Promise.all(running.map(async (n) => `:${n.port}\n${await n.client((c) => c.call('CLUSTER', 'NODES')).catch((err: Error) => err.message)}`));
    return views.join('\n');
  }

  /** Waits until every running node reports the cluster ok and every slot served by a running master. */
  async settled(timeoutMs = 20000): Promise<void> {
    await eventually(async () => {
      for (const node of this.nodes.filter((n) => n.running)) {
        const text = (await node.client((c) => c.call('CLUSTER', 'INFO')).catch(() => '')) as string;
        if (!/cluster_state:ok/.test(text) || !/cluster_slots_ok:16384/.test(text)) return false;
      }
      return true;
    }, timeoutMs);
  }

  async remove(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.remove()));
  }
}

/** Whether a CLUSTER NODES slot field (`0-5460`, `5461`) covers `slot`. */
function covers(range: string, slot: number): boolean {
  const m = /^(\d+)(?:-(\d+))?$/.exec(range.trim());
  return !!m && slot >= Number(m[1]) && slot <= Number(m[2] ?? m[1]);
}

/**
 * Redis Sentinel over private servers: a master, one replica and three sentinels (quorum 2) that
 * call a master down after 1 s of silence.
 */
export class PrivateSentinels {
  static readonly NAME = 'archive';

  private constructor(
    readonly master: PrivateRedis,
    readonly replica: PrivateRedis,
    readonly sentinels: PrivateRedis[],
  ) {}

  static async start(): Promise<PrivateSentinels> {
    const master = await PrivateRedis.start();
    const replica = await PrivateRedis.start(['--replicaof', '127.0.0.1', String(master.port)]);
    const conf = [
      `sentinel monitor ${PrivateSentinels.NAME} 127.0.0.1 ${master.port} 2`,
      `sentinel down-after-milliseconds ${PrivateSentinels.NAME} 1000`,
      `sentinel failover-timeout ${PrivateSentinels.NAME} 5000`,
      '',
    ].join('\n');
    const sentinels = await Promise.all([0, 1, 2].map(() => PrivateRedis.start(['--sentinel'], conf)));
    const setup = new PrivateSentinels(master, replica, sentinels);
    try {
      // The replica in sync, and every sentinel knowing the replica and the two other sentinels.
      await eventually(async () => (await info(replica, 'replication')).master_link_status === 'up');
      await eventually(async () => {
        for (const s of sentinels) {
          const fields = (await s.client((c) => c.call('SENTINEL', 'MASTER', PrivateSentinels.NAME))) as string[];
          const at = (name: string) => fields[fields.indexOf(name) + 1];
          if (at('num-other-sentinels') !== '2' || at('num-slaves') !== '1') return false;
        }
        return true;
      }, 20000);
    } catch (err) {
      await setup.remove();
      throw err;
    }
    return setup;
  }

  /** REDIS_SENTINELS for it. */
  get sentinelList(): string {
    return this.sentinels.map((n) => n.address).join(',');
  }

  /** The master's port as the first sentinel reports it now. */
  async masterPort(): Promise<number> {
    const [, port] = (await this.sentinels[0].client((c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', PrivateSentinels.NAME))) as [string, string];
    return Number(port);
  }

  async remove(): Promise<void> {
    await Promise.all([this.master, this.replica, ...this.sentinels].map((n) => n.remove()));
  }
}
