/**
 * Teardown that runs even when a test file is interrupted: every fixture
 * registers its stop function here; SIGINT/SIGTERM/SIGHUP and normal exit run
 * them. Proven by test/integration/lab-fixture-cleanup.test.ts.
 *
 * One run at a time, and a signal exits only once it is over: Ctrl-C reaches
 * both node's test runner and this file's process, and the runner then sends
 * this process SIGTERM as well; exiting on that second signal would cut the
 * first teardown short and leave the lab running.
 */
type Teardown = () => Promise<void>;

const pending = new Set<Teardown>();
let installed = false;
let running: Promise<void> | undefined;

export function registerTeardown(teardown: Teardown): () => void {
  install();
  pending.add(teardown);
  return () => pending.delete(teardown);
}

/** Runs every registered teardown; a call while a run is under way waits for that run. */
export function runAllTeardowns(): Promise<void> {
  running ??= drain().finally(() => {
    running = undefined;
  });
  return running;
}

async function drain(): Promise<void> {
  // Teardowns registered while others run are run too.
  while (pending.size > 0) {
    const all = [...pending];
    pending.clear();
    await Promise.allSettled(all.map((teardown) => teardown()));
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  let exiting = false;
  const onSignal = (): void => {
    if (exiting) return;
    exiting = true;
    void runAllTeardowns().finally(() => process.exit(130));
  };
  // `on`, not `once`: a later signal must find a handler, or its default action kills the process mid-teardown.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  process.once('beforeExit', () => {
    void runAllTeardowns();
  });
}
