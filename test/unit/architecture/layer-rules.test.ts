import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const root = resolve(import.meta.dirname, '../../..');
const rules = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as {
  forbidden: unknown[];
  options: Record<string, unknown>;
};

/** Cruises `paths` under `cwd` with pgfleet's rules; returns every violation, one line each. */
async function violationsIn(cwd: string, paths: string[]): Promise<string[]> {
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const tsConfig = extractTSConfig(join(root, 'tsconfig.json'));
    const options = {
      ...rules.options,
      tsConfig: { fileName: join(root, 'tsconfig.json') },
      validate: true,
      ruleSet: { forbidden: rules.forbidden },
    };
    const result = await cruise(paths, options as never, {}, { tsConfig });
    const output = result.output as ICruiseResult;
    return output.summary.violations.map(
      (violation: IViolation) =>
        `${violation.rule.name}: ${[violation.from, ...(violation.cycle?.map((step) => step.name) ?? [violation.to])].join(' → ')}`,
    );
  } finally {
    process.chdir(previous);
  }
}

/** A throw-away tree under src/, to show that each rule bites. */
async function withTree(files: Record<string, string>, check: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pgfleet-layers-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    await check(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('the layers of pgfleet', () => {
  it('src/ has zero import cycles and every import points down the layers (cli → features → fleet/node → adapters → core)', async () => {
    assert.deepEqual(await violationsIn(root, ['src']), []);
  });

  it('a cycle made only of dynamic import() is caught', async () => {
    await withTree(
      {
        'src/lab/a.ts': "export async function a() { return (await import('./b.js')).b; }\n",
        'src/lab/b.ts': "export async function b() { return (await import('./a.js')).a; }\n",
      },
      async (dir) =>
        assert.ok(
          (await violationsIn(dir, ['src'])).some((line) => line.startsWith('no-circular')),
          'the dynamic cycle is reported',
        ),
    );
  });

  it("a feature importing another feature's internals is caught, its index.ts is allowed", async () => {
    await withTree(
      {
        'src/tenancy/index.ts': "export { apply } from './tenancy-apply.js';\n",
        'src/tenancy/tenancy-apply.ts': 'export const apply = 1;\n',
        'src/lab/through-index.ts': "import { apply } from '../tenancy/index.js';\nexport const x = apply;\n",
        'src/lab/into-internals.ts': "import { apply } from '../tenancy/tenancy-apply.js';\nexport const y = apply;\n",
      },
      async (dir) => {
        const found = await violationsIn(dir, ['src']);
        assert.deepEqual(found, [
          'features-only-through-index: src/lab/into-internals.ts → src/tenancy/tenancy-apply.ts',
        ]);
      },
    );
  });

  it('core importing an I/O module or an adapter, and the two migrations importing each other, are caught', async () => {
    await withTree(
      {
        'src/core/rule.ts':
          "import { readFileSync } from 'node:fs';\nimport { client } from '../adapters/etcd.js';\nexport const r = [readFileSync, client];\n",
        'src/adapters/etcd.ts': 'export const client = 1;\n',
        'src/migration/etcd-auth/run.ts': "import { tls } from '../etcd-tls/index.js';\nexport const run = tls;\n",
        'src/migration/etcd-tls/index.ts': 'export const tls = 1;\n',
      },
      async (dir) => {
        const found = await violationsIn(dir, ['src']);
        assert.ok(found.includes('core-is-pure: src/core/rule.ts → fs'), found.join('\n'));
        assert.ok(found.includes('core-is-pure: src/core/rule.ts → src/adapters/etcd.ts'), found.join('\n'));
        assert.ok(
          found.includes('migrations-do-not-meet: src/migration/etcd-auth/run.ts → src/migration/etcd-tls/index.ts'),
          found.join('\n'),
        );
      },
    );
  });
});
