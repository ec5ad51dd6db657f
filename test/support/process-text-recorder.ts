import { readdirSync, readFileSync } from 'node:fs';

/**
 * Records, until stopped, every distinct command line and environment of the
 * processes on the host (what `ps` and /proc show), with the program's name.
 * For runs whose secrets are generated while they run (tenant passwords):
 * the texts are searched once the secrets are known, with secretsInTexts.
 */
export function startProcessTextRecorder(options: { intervalMs?: number } = {}): {
  stop(): { samples: number; texts: string[] };
} {
  const seen = new Set<string>();
  let samples = 0;
  const sample = (): void => {
    samples += 1;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      for (const file of ['cmdline', 'environ']) {
        try {
          seen.add(readFileSync(`/proc/${entry}/${file}`, 'utf8'));
        } catch {
          // The process is gone, or its environment is not ours to read.
        }
      }
    }
  };
  const timer = setInterval(sample, options.intervalMs ?? 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { samples, texts: [...seen] };
    },
  };
}
