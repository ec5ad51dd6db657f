import { confdConfigPath, confdTemplateDirectory, describeConfd } from './confd-client.js';
import type { EtcdClientProcess, EtcdClientProgram, ProcessFacts } from './etcd-client-process.js';
import { describeEtcdctl } from './etcdctl-client.js';
import { describePatroniClient, patroniConfigPath } from './patroni-client.js';
import { describeVipManager, vipManagerConfigPath } from './vip-manager-client.js';

/** The configuration file a client process reads, as its command line and environment say (relative to its working directory when not absolute). */
export function clientConfigPath(facts: Pick<ProcessFacts, 'program' | 'argv' | 'env'>): string | undefined {
  switch (facts.program) {
    case 'patroni':
    case 'patronictl':
      return patroniConfigPath(facts);
    case 'vip-manager':
      return vipManagerConfigPath(facts);
    case 'confd':
      return confdConfigPath(facts);
    case 'etcdctl':
      return undefined;
  }
}

/** A directory of further files to read for a program, with its configuration read (confd's templates). */
export function clientIncludedDirectory(
  program: EtcdClientProgram,
  argv: string[],
  configText: string | undefined,
): string | undefined {
  return program === 'confd' ? confdTemplateDirectory({ argv }, configText) : undefined;
}

/** Describes a known etcd client from what was read about its process. */
export function describeClientProcess(facts: ProcessFacts): EtcdClientProcess {
  switch (facts.program) {
    case 'patroni':
    case 'patronictl':
      return describePatroniClient(facts);
    case 'vip-manager':
      return describeVipManager(facts);
    case 'confd':
      return describeConfd(facts);
    case 'etcdctl':
      return describeEtcdctl(facts);
  }
}
