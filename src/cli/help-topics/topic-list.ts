/**
 * The workflows `pgfleet help TOPIC` explains. Texts load only when shown,
 * so the list costs nothing at start-up.
 */
export interface HelpTopic {
  name: string;
  summary: string;
  load(): Promise<string>;
}

export const HELP_TOPICS: readonly HelpTopic[] = [
  {
    name: 'secure-existing-fleet',
    summary: 'switch a live fleet from open etcd to authenticated etcd: prepare -> apply -> enforce',
    load: async () => (await import('./secure-existing-fleet.js')).text,
  },
  {
    name: 'create-secured-cluster',
    summary: 'a new cluster with its etcd tenant, TLS and REST API protection from the first start',
    load: async () => (await import('./create-secured-cluster.js')).text,
  },
  {
    name: 'protect-rest-api',
    summary:
      'TLS, client certificates and basic auth on the Patroni REST API of a live fleet, in an order that breaks nothing',
    load: async () => (await import('./protect-rest-api.js')).text,
  },
  {
    name: 'rotate-tenant-password',
    summary: "a new etcd password for one cluster's tenant, without a demotion",
    load: async () => (await import('./rotate-tenant-password.js')).text,
  },
  {
    name: 'etcd-tenants',
    summary: 'one etcd user and role per cluster on its prefix only: the tenants file, passwords, the isolation proof',
    load: async () => (await import('./etcd-tenants.js')).text,
  },
  {
    name: 'exit-codes',
    summary: 'what each exit code means to a script',
    load: async () => (await import('./exit-codes.js')).exitCodesText(),
  },
];

export function findHelpTopic(name: string): HelpTopic | undefined {
  return HELP_TOPICS.find((topic) => topic.name === name);
}
