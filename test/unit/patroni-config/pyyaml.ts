import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * The Python that Patroni runs under (from /usr/bin/patroni's #! line) when
 * it has PyYAML, else python3: the reader the generated files must satisfy.
 */
export function patroniPython(): string {
  const patroni = '/usr/bin/patroni';
  if (existsSync(patroni)) {
    const interpreter = /^#!\s*(\S+)/.exec(readFileSync(patroni, 'utf8').split('\n', 1)[0] ?? '')?.[1];
    if (interpreter && existsSync(interpreter) && canImportYaml(interpreter)) return interpreter;
  }
  return 'python3';
}

function canImportYaml(python: string): boolean {
  try {
    execFileSync(python, ['-c', 'import yaml'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Reads a YAML file with PyYAML's safe_load, as Patroni does, and returns it as JSON. The file path is the only argument. */
export function loadWithPyYaml(python: string, file: string): unknown {
  const script =
    'import json, sys, yaml\nwith open(sys.argv[1], encoding="utf-8") as f:\n    data = yaml.safe_load(f)\nsys.stdout.write(json.dumps(data, ensure_ascii=True))\n';
  const stdout = execFileSync(python, ['-c', script, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(stdout);
}
