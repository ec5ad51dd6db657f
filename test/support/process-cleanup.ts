/**
 * Teardown that runs even when a test file is interrupted: every fixture
 * registers its stop function here; SIGINT/SIGTERM and normal exit run them.
 */
type Teardown = () => Promise<void>;

const pending = new Set<Teardown>();
let installed = false;

export function registerTeardown(teardown: Teardown): () => void {
  install();
  pending.add(teardown);
  return () => pending.delete(teardown);
}

export async function runAllTeardowns(): Promise<void> {
  const all = [...pending];
  pending.clear();
  await Promise.allSettled(all.map((teardown) => teardown()));
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      void runAllTeardowns().finally(() => process.exit(130));
    });
  }
  process.once('beforeExit', () => {
    void runAllTeardowns();
  });
}
