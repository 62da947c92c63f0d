/**
 * `npm run bench -- [options]`: the command line, parsed once into typed options with defaults.
 */
import { parseArgs } from 'node:util';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios';
import { TARGET_IDS, type TargetId } from './targets';

export interface BenchOptions {
  /** Persons seeded into the bench databases (reseeded when they hold another number). @default 100000 */
  persons: number;
  /** Seconds of measured load per (round, scenario, target). @default 10 (quick: 3) */
  duration: number;
  /** Seconds of unmeasured load before each measured run. @default 2 (quick: 1) */
  warmup: number;
  /** Concurrent connections autocannon keeps open. @default 16 */
  connections: number;
  /** Rounds; each runs every scenario on every target, targets rotated (ABAB…). @default 3 (quick: 1) */
  rounds: number;
  scenarios: ScenarioName[];
  targets: TargetId[];
  /** Seconds each process (subgraphs, targets) may take to answer after it starts; longer on a machine shared with other work. @default 90 */
  startTimeout: number;
  /** Start the Node targets with `--cpu-prof` and print their top self-time functions. */
  profile: boolean;
  quick: boolean;
  /** Where results go. @default bench/results */
  outDir: string;
}

const HELP = `npm run bench -- [options]
  --persons N        persons in the bench databases (default 100000; seeds when they hold another number)
  --duration S       measured seconds per run (default 10; --quick 3)
  --warmup S         warm-up seconds before each run (default 2; --quick 1)
  --connections N    concurrent connections (default 16)
  --rounds N         rounds, targets alternating within each (default 3; --quick 1)
  --scenarios a,b    of ${SCENARIO_NAMES.join(', ')} (default all; --quick dossier,hot)
  --targets a,b      of ${TARGET_IDS.join(', ')} (default all)
  --start-timeout S  seconds a process may take to start answering (default 90)
  --profile          run the Node targets under --cpu-prof and report their top self-time functions
  --quick            a short development run (under two minutes)
  --out DIR          results folder (default bench/results)`;

function list<T extends string>(value: string | undefined, allowed: readonly T[], fallback: readonly T[], what: string): T[] {
  if (!value) return [...fallback];
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`Unknown ${what} "${item}"; one of: ${allowed.join(', ')}`);
  }
  return items as T[];
}

function positive(value: string | undefined, fallback: number, what: string, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new Error(`--${what} must be a ${integer ? 'whole ' : ''}number >= 0, not "${value}"`);
  return n;
}

/** Parses `argv` (without node and script); prints help and exits on `--help`. */
export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      persons: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      rounds: { type: 'string' },
      scenarios: { type: 'string' },
      targets: { type: 'string' },
      'start-timeout': { type: 'string' },
      profile: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench/results' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const quick = values.quick!;
  const options: BenchOptions = {
    persons: positive(values.persons, 100_000, 'persons'),
    duration: positive(values.duration, quick ? 3 : 10, 'duration', false),
    warmup: positive(values.warmup, quick ? 1 : 2, 'warmup', false),
    connections: positive(values.connections, 16, 'connections'),
    rounds: positive(values.rounds, quick ? 1 : 3, 'rounds'),
    scenarios: list(values.scenarios, SCENARIO_NAMES, quick ? ['dossier', 'hot'] : SCENARIO_NAMES, 'scenario'),
    targets: list(values.targets, TARGET_IDS, TARGET_IDS, 'target'),
    startTimeout: positive(values['start-timeout'], 90, 'start-timeout', false),
    profile: values.profile!,
    quick,
    outDir: values.out!,
  };
  if (options.persons < 200) throw new Error('--persons must be at least 200 (list50 draws 50 distinct persons per request)');
  if (options.duration <= 0 || options.rounds < 1 || options.connections < 1) throw new Error('--duration, --rounds and --connections must be positive');
  return options;
}
