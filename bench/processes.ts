/**
 * Child processes of the benchmark: each runs Node directly (`node --import tsx <script>`, no npm
 * or tsx wrapper in between) so its pid is the server's and /proc shows its own CPU and memory.
 * Every child is killed when the harness exits, fails or gets Ctrl-C; a child whose harness dies
 * without a word exits by itself (child-preload.mjs), so no port stays taken.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const PRELOAD = path.join(__dirname, 'child-preload.mjs');

export interface Child {
  name: string;
  pid: number;
  log: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  readonly running: boolean;
  /** Sends `message` to the child's preload and resolves with its reply of type `replyType`. */
  ask(message: Record<string, unknown>, replyType: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const children = new Set<Child>();

export interface SpawnOptions {
  /** Environment added to the harness's own. */
  env?: Record<string, string | undefined>;
  args?: string[];
  /** Node flags (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** File that receives the child's stdout and stderr. */
  log: string;
}

/** Starts `script` (a .ts file, relative to the repository root) in its own Node process. */
export function spawnNode(name: string, script: string, options: SpawnOptions): Child {
  const fd = openSync(options.log, 'a');
  // TypeScript through tsx; compiled JavaScript (the gateway as the image runs it) as it is.
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const proc: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, '--import', PRELOAD, script, ...(options.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  closeSync(fd);
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      running = false;
      children.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  // The IPC channel (orphan guard, profiler control) must not keep the harness alive.
  proc.channel?.unref();
  const child: Child = {
    name,
    pid: proc.pid!,
    log: options.log,
    exited,
    get running() {
      return running;
    },
    ask(message, replyType, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          proc.off('message', onMessage);
          reject(new Error(`${name} did not answer ${String(message.bench)} in ${timeoutMs / 1000} s`));
        }, timeoutMs);
        const onMessage = (reply: any) => {
          if (reply?.bench !== replyType) return;
          clearTimeout(timer);
          proc.off('message', onMessage);
          proc.channel?.unref();
          if (reply.error) reject(new Error(`${name}: ${reply.error}`));
          else resolve(reply);
        };
        proc.on('message', onMessage);
        proc.send(message);
      });
    },
    async stop() {
      if (!running) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  children.add(child);
  return child;
}

/** Runs a script to completion with the terminal attached (seeding shows its progress bars). */
export async function runNode(name: string, script: string, options: Omit<SpawnOptions, 'log'>): Promise<void> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...(options.args ?? [])], { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: 'inherit' });
  const child: Child = {
    name,
    pid: proc.pid!,
    log: '-',
    exited: new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))),
    running: true,
    ask: () => Promise.reject(new Error(`${name} takes no messages`)),
    async stop() {
      proc.kill('SIGTERM');
      await child.exited;
    },
  };
  children.add(child);
  const code = await child.exited;
  children.delete(child);
  if (code !== 0) throw new Error(`${name} failed (exit ${code})`);
}

/** Stops every child still running (SIGTERM, then SIGKILL after 15 s). */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()));
}

let installed = false;
/** Kills the children on Ctrl-C, SIGTERM, an uncaught error, or any other exit of the harness. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping ${children.size} child process(es)…`);
    stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  // Last resort (process.exit, a crash): no time to wait, so SIGKILL.
  process.on('exit', () => {
    for (const c of children) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** Fails when any of `ports` is taken (an earlier run's orphan, or someone else's server). */
export async function assertPortsFree(ports: number[], host = '127.0.0.1'): Promise<void> {
  const taken: number[] = [];
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    if (!free) taken.push(port);
  }
  if (taken.length) throw new Error(`Port(s) ${taken.join(', ')} on ${host} are taken; the benchmark needs them (see \`ss -ltnp\` for who holds them).`);
}

/** Waits until `probe` resolves true, failing early when the child exits, or after `timeoutMs`. */
export async function waitUntil(child: Child, probe: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running) throw new Error(`${child.name} exited before it was ready; see ${child.log}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${child.name} was not ready after ${timeoutMs / 1000} s; see ${child.log}`);
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds the process (all its threads) has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15 (1-based, man 5 proc).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Resident set size in MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

export interface Usage {
  /** CPU used over the window, in % of one core (200 = both cores of this machine). */
  cpuPercent: number;
  /** Highest RSS seen while sampling, MiB. */
  peakRssMiB: number;
}

/** Samples a process's CPU time and RSS over a window (RSS every 100 ms). */
export function sampleUsage(pid: number): { stop(): Usage } {
  const started = process.hrtime.bigint();
  const cpu0 = cpuSeconds(pid);
  let peak = rssMiB(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {
      // the process ended; stop() reports what was seen
    }
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      let cpu = cpu0;
      try {
        cpu = cpuSeconds(pid);
        peak = Math.max(peak, rssMiB(pid));
      } catch {
        // ended
      }
      return { cpuPercent: (100 * (cpu - cpu0)) / seconds, peakRssMiB: peak };
    },
  };
}
