import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAnotherHostsProcess, networkNamespaceOf } from '../../../src/adapters/process/process-network-namespace.js';

describe('which processes of /proc are this host’s', () => {
  it('a process in our own network namespace is ours', async () => {
    const own = await networkNamespaceOf('/proc', 'self');
    assert.match(own ?? '', /^net:\[\d+\]$/);
    assert.equal(isAnotherHostsProcess(own, await networkNamespaceOf('/proc', process.pid)), false);
  });

  it('a process in another network namespace is another host’s; an unreadable one counts as ours', () => {
    assert.equal(isAnotherHostsProcess('net:[1]', 'net:[2]'), true);
    assert.equal(isAnotherHostsProcess('net:[1]', undefined), false);
    assert.equal(isAnotherHostsProcess(undefined, 'net:[2]'), false);
  });
});
