/**
 * `npm run operations -- <command>`: the trusted operations of client systems, in the store of
 * OPERATIONS_DB_URL (default AUDIT_DB_URL; the embedded one under DATA_DIR when both are unset):
 *
 *   publish --client NAME manifest.json [--approve]   add a manifest's operations (pending unless --approve)
 *   list [--client NAME]                              id, status, client, name of each operation
 *   approve --client NAME (ID... | --all)             trust them (--all: every pending one)
 *   retire --client NAME ID...                        stop trusting them
 *
 * Gateways see a change within TRUSTED_OPERATIONS_CACHE_SECONDS. Exit 0 = done, 2 = usage or store error.
 * With the embedded store, stop the gateway first: PGlite serves one process at a time.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { dbTimeouts, loadConfig } from '../lib/config';
import { listOperations, openOperationsStore, parseManifest, publishOperations, setOperationStatus } from '../gateway/src/operations';

const USAGE = `Usage: npm run operations -- publish --client NAME manifest.json [--approve]
       npm run operations -- list [--client NAME]
       npm run operations -- approve --client NAME (ID... | --all)
       npm run operations -- retire --client NAME ID...`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { client: { type: 'string' }, approve: { type: 'boolean' }, all: { type: 'boolean' } },
  });
  const [command, ...rest] = positionals;
  if (!['publish', 'list', 'approve', 'retire'].includes(command ?? '')) throw new UsageError(command ? `Unknown command "${command}"` : 'Which command?');
  const client = values.client;
  if (command !== 'list' && !client) throw new UsageError(`${command} needs --client NAME`);
  let operations;
  if (command === 'publish') {
    if (rest.length !== 1) throw new UsageError('publish takes one manifest file');
    operations = parseManifest(JSON.parse(readFileSync(rest[0], 'utf8')));
  }
  if (command === 'approve' && !values.all && rest.length === 0) throw new UsageError('approve needs operation ids or --all');
  if (command === 'retire' && rest.length === 0) throw new UsageError('retire needs operation ids');

  const config = loadConfig();
  const store = await openOperationsStore(config.OPERATIONS_DB_URL ?? config.AUDIT_DB_URL, config.DATA_DIR, { timeouts: dbTimeouts(config) });
  try {
    if (command === 'publish') {
      const added = await publishOperations(store, client!, operations!, values.approve);
      console.log(`${client}: ${added.length} new operation(s) ${values.approve ? 'approved' : 'pending approval'}, ${operations!.length - added.length} already published`);
    } else if (command === 'list') {
      for (const op of await listOperations(store, client)) console.log([op.client, op.id, op.status, op.type, op.name ?? '(anonymous)'].join('\t'));
    } else {
      const status = command === 'approve' ? 'approved' : 'retired';
      const changed = await setOperationStatus(store, client!, status, values.all ? undefined : rest);
      console.log(`${client}: ${changed} operation(s) ${status}`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof UsageError ? `${err.message}\n${USAGE}` : `operations: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
