import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Every module `pgfleet --help` loads: the static imports reachable from the
 * entry point. `import type` is erased; any other import loads its module
 * (with verbatimModuleSyntax, even `import { type X }` stays as `import {}`).
 * `await import(...)` inside actions is what keeps heavy modules out.
 */
function staticGraph(entry: string): { modules: Set<string>; packages: Map<string, string> } {
  const modules = new Set<string>();
  const packages = new Map<string, string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (modules.has(file)) continue;
    modules.add(file);
    const source = readFileSync(file, 'utf8');
    // `import x from 'm'`, `import { a, type b } from 'm'`, `export * from 'm'`, `import 'm'`: the clause holds only names, braces and commas.
    const statements = source.matchAll(
      /^[ \t]*(?:import|export)\s+(type\s+)?(?:[\w\s{},*$]*?\s*from\s*)?['"]([^'"]+)['"]/gm,
    );
    for (const [, typeOnly, specifier] of statements) {
      if (typeOnly) continue;
      if (specifier!.startsWith('.')) {
        const target = resolve(dirname(file), specifier!.replace(/\.js$/, '.ts'));
        if (existsSync(target)) pending.push(target);
      } else if (!specifier!.startsWith('node:')) {
        const name = specifier!.startsWith('@')
          ? specifier!.split('/').slice(0, 2).join('/')
          : specifier!.split('/')[0]!;
        if (!packages.has(name)) packages.set(name, relative(ROOT, file));
      }
    }
  }
  return { modules, packages };
}

describe('pgfleet start-up', () => {
  const { modules, packages } = staticGraph(join(ROOT, 'src/cli/main.ts'));
  // main.ts loads program.ts with a dynamic import (after enabling the compile cache): start there too.
  const fromProgram = staticGraph(join(ROOT, 'src/cli/program.ts'));
  for (const module of fromProgram.modules) modules.add(module);
  for (const [name, file] of fromProgram.packages) if (!packages.has(name)) packages.set(name, file);

  it('loads no package but commander (and picocolors) before a command runs', () => {
    const heavy = [...packages]
      .filter(([name]) => !['commander', '@commander-js/extra-typings', 'picocolors'].includes(name))
      .map(([name, file]) => `${name} (imported by ${file})`);
    assert.deepEqual(heavy, [], 'import it inside the action with await import(...)');
  });

  it('loads no adapter, lab, migration, instance, tenancy or doctor module before a command runs', () => {
    const io = [...modules]
      .map((file) => relative(ROOT, file))
      .filter((file) => /^src\/(adapters|lab|migration|instance|tenancy|doctor|audit|restapi)\//.test(file));
    assert.deepEqual(io, [], 'import it inside the action with await import(...)');
  });

  it('sees the command modules (the graph walk follows the registrations)', () => {
    assert.ok([...modules].some((file) => file.endsWith(join('src', 'cli', 'commands', 'lab.ts'))));
  });
});
