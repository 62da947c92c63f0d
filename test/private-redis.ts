/**
 * A redis-server a test starts for itself, on a free port in a temporary folder — never the
 * shared one on 6379, which other tests and checkouts use: a test may kill, freeze, restart or
 * reconfigure this one as it likes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
  ) {}

  /** Starts a non-persistent server (it writes a snapshot only on `shutdownSaving`) and waits for PING. */
  static async start(args: string[] = []): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), args);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the server on the same port and folder, with whatever data it saved there. */
  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', ...this.args], { stdio: 'ignore' });
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
