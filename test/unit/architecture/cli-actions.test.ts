import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const commandsDir = resolve(import.meta.dirname, '../../../src/cli/commands');

const isDynamicImport = (node: ts.Node): node is ts.CallExpression =>
  ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword;

/** A module loader such as `const operations = () => import('../../x/x-operations.js')`: the import is its whole body. */
const isLoader = (node: ts.CallExpression): boolean => ts.isArrowFunction(node.parent) && node.parent.body === node;

function descendants(node: ts.Node): ts.Node[] {
  const found: ts.Node[] = [];
  const visit = (child: ts.Node): void => {
    found.push(child);
    ts.forEachChild(child, visit);
  };
  ts.forEachChild(node, visit);
  return found;
}

/**
 * What keeps a command file from being a thin shell over the library, one
 * line each: an `.action(` callback with more than one dynamic `import(`; a
 * dynamic import outside an action that is not a plain module loader (a
 * helper doing the library's work); an etcd client built or site settings
 * loaded in the file (the library does both).
 */
function thinActionProblems(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const nodes = descendants(source);
  const lineOf = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const actions = nodes.filter(
    (node): node is ts.CallExpression =>
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'action' &&
      node.arguments.length > 0,
  );
  const inActions = new Set<ts.Node>();
  const problems: string[] = [];
  for (const action of actions) {
    const inside = descendants(action.arguments[0]!);
    for (const node of inside) inActions.add(node);
    const imports = inside.filter(isDynamicImport).length;
    if (imports > 1)
      problems.push(`${fileName}:${lineOf(action)}: an .action( callback with ${imports} dynamic import() calls`);
  }
  for (const node of nodes) {
    if (isDynamicImport(node) && !inActions.has(node) && !isLoader(node))
      problems.push(`${fileName}:${lineOf(node)}: a dynamic import() in a helper outside the actions`);
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'EtcdClient')
      problems.push(`${fileName}:${lineOf(node)}: new EtcdClient in a command file`);
    if (ts.isIdentifier(node) && node.text === 'loadSiteSettings')
      problems.push(`${fileName}:${lineOf(node)}: loadSiteSettings in a command file`);
  }
  return problems;
}

const commandFiles = readdirSync(commandsDir).filter((name) => name.endsWith('.ts'));
const problemsOf = (name: string): string[] => thinActionProblems(name, readFileSync(join(commandsDir, name), 'utf8'));

describe('the CLI is a thin shell over the library', () => {
  it('each action of src/cli/commands is one dynamic import and one call into the library', () => {
    assert.deepEqual(commandFiles.flatMap(problemsOf), []);
  });

  it("the model shape passes: a module loader, and each action one runOperation over the library's call", () => {
    const text = `
      const operations = () => import('../../tenancy/tenancy-operations.js');
      tenants.command('plan').action(async (options, command) =>
        runOperation(command, async () => (await operations()).planEtcdTenants(await siteSettingsOf(command), options)),
      );
      doctor.action(async (_options, command) =>
        runOperation(command, async () => (await import('../../doctor/doctor-operations.js')).showDoctorReport({})),
      );`;
    assert.deepEqual(thinActionProblems('model.ts', text), []);
  });

  it('an action with two imports, a helper with its own import, an etcd client or settings loaded in the file are each caught', () => {
    const text = `
      cmd.action(async () => {
        const { a } = await import('./a.js');
        const { b } = await import('./b.js');
      });
      const withTarget = async () => {
        const { loadSiteSettings } = await import('../../adapters/settings/site-settings-file.js');
        return new EtcdClient({ endpoints: [] });
      };`;
    assert.deepEqual(thinActionProblems('fat.ts', text), [
      'fat.ts:2: an .action( callback with 2 dynamic import() calls',
      'fat.ts:7: loadSiteSettings in a command file',
      'fat.ts:7: a dynamic import() in a helper outside the actions',
      'fat.ts:8: new EtcdClient in a command file',
    ]);
  });
});
