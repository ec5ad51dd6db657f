/**
 * bench/cli-startup: start-up time of the built `pgfleet --help` and
 * `pgfleet --version`, next to `patronictl --help` on the same machine
 * (target: pgfleet's median <= patronictl's). Each run is a new process, as
 * when an operator types the command; runs of the three alternate so that
 * machine noise hits them alike. Prints figures; asserts nothing.
 * Usage: node --import tsx bench/cli-startup.ts [runs]   (after scripts/setup.sh built dist/)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 15);
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write(`${cli} is missing: run bash scripts/setup.sh first\n`);
  process.exit(2);
}

interface Subject {
  label: string;
  command: string;
  args: string[];
  times: number[];
}

const subjects: Subject[] = [
  { label: 'node (no script, for reference)', command: process.execPath, args: ['-e', '0'], times: [] },
  { label: 'pgfleet --help', command: process.execPath, args: [cli, '--help'], times: [] },
  { label: 'pgfleet --version', command: process.execPath, args: [cli, '--version'], times: [] },
  { label: 'patronictl --help', command: 'patronictl', args: ['--help'], times: [] },
];

for (let run = 0; run < runs; run += 1) {
  for (const subject of subjects) {
    const started = performance.now();
    const result = spawnSync(subject.command, subject.args, {
      stdio: 'ignore',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const elapsed = performance.now() - started;
    if (result.error) {
      process.stderr.write(`${subject.label}: ${result.error.message}\n`);
      process.exit(2);
    }
    subject.times.push(elapsed);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const ms = (value: number) => `${value.toFixed(1).padStart(7)} ms`;

process.stdout.write(`cold start, ${runs} runs each (Node ${process.versions.node})\n`);
process.stdout.write(`${'command'.padEnd(34)}${'median'.padStart(10)}${'min'.padStart(10)}${'max'.padStart(10)}\n`);
for (const subject of subjects) {
  process.stdout.write(
    `${subject.label.padEnd(34)}${ms(median(subject.times))}${ms(Math.min(...subject.times))}${ms(Math.max(...subject.times))}\n`,
  );
}
const patronictl = median(subjects[3]!.times);
for (const subject of subjects.slice(1, 3)) {
  process.stdout.write(`${subject.label} / patronictl --help: ${(median(subject.times) / patronictl).toFixed(2)}\n`);
}
