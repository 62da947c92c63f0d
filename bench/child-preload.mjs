/**
 * Preloaded (`--import`) into every benchmark child (plain JavaScript, so a child running compiled
 * JavaScript needs no TypeScript loader), talking to the harness over the IPC channel:
 * - Orphan guard: when the harness goes away without stopping the child (killed, crashed), the
 *   channel disconnects and the child stops itself (SIGTERM, so servers drain), so no orphan
 *   keeps a bench port.
 * - Profiler: `{ bench: 'profile-start' }` starts V8's CPU profiler (what `node --cpu-prof` uses)
 *   and `{ bench: 'profile-stop', file }` writes the `.cpuprofile`, so a profile covers exactly
 *   the measured load, not start-up and module loading.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

if (process.send && process.channel) {
  /** @type {import('node:inspector').Session | undefined} */
  let session;
  const reply = (message) => process.send({ ...message });
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));

  process.on('message', (message) => {
    if (message?.bench === 'profile-start') {
      if (!session) {
        session = new Session();
        session.connect();
      }
      post('Profiler.enable')
        .then(() => post('Profiler.start'))
        .then(() => reply({ bench: 'profile-started' }))
        .catch((err) => reply({ bench: 'profile-started', error: String(err) }));
    } else if (message?.bench === 'profile-stop' && session) {
      post('Profiler.stop')
        .then(({ profile }) => {
          writeFileSync(message.file, JSON.stringify(profile));
          return post('Profiler.disable');
        })
        .then(() => reply({ bench: 'profile-stopped', file: message.file }))
        .catch((err) => reply({ bench: 'profile-stopped', error: String(err) }));
    }
  });
  // Listening for messages refs the channel; the child's own servers decide when it may exit.
  process.channel.unref();
  process.once('disconnect', () => {
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(1), 10_000).unref();
  });
}

