import { readFileSync } from 'node:fs';

/** Debian's template, installed by the patroni package, rendered by its pg_createconfig_patroni. */
export const DEBIAN_TEMPLATE = '/etc/patroni/config.yml.in';

export interface DebianMemberTokens {
  version: string;
  cluster: string;
  /** @HOSTNAME@: the member name (Debian uses the host name). */
  hostname: string;
  hostip: string;
  network: string;
  port: number;
  /** @API_PORT@: Debian uses port + 2576. */
  apiPort: number;
  /** @DATADIR_BASE@: data_dir is <base>/<version>/<cluster>. */
  datadirBase: string;
  /** @DCS_CONFIG@: dcs.yml's active lines. */
  dcsConfig: string;
}

/** The template with its tokens replaced, exactly as pg_createconfig_patroni's sed does (no VIP: @LISTEN_VIP@ empty). */
export function renderDebianTemplate(template: string, tokens: DebianMemberTokens): string {
  return template
    .replaceAll('@VERSION@', tokens.version)
    .replaceAll('@CLUSTER@', tokens.cluster)
    .replaceAll('@HOSTNAME@', tokens.hostname)
    .replaceAll('@HOSTIP@', tokens.hostip)
    .replaceAll('@LISTEN_VIP@', '')
    .replaceAll('@DATADIR_BASE@', tokens.datadirBase)
    .replaceAll('@NETWORK@', tokens.network)
    .replaceAll('@API_PORT@', String(tokens.apiPort))
    .replaceAll('@PORT@', String(tokens.port))
    .replaceAll('@DCS_CONFIG@', tokens.dcsConfig);
}

export interface LabAdjustments {
  /** Directory for postgresql.conf: the data directory with an initdb bootstrap (Debian's /etc/postgresql/<version>/<cluster> is filled by pg_createcluster). */
  configDir: string;
  pgpass: string;
  socketDir: string;
  logDir: string;
  superuserPassword: string;
}

/**
 * What an administrator changes, line by line, to run the rendered file
 * without Debian's cluster tooling, on loopback, in a temporary directory:
 * bootstrap by initdb (the pg_createcluster section stays, unused) with
 * config_dir = the data directory (Patroni renames postgresql.conf there,
 * which only pg_createcluster would have put in /etc/postgresql), replicas by
 * pg_basebackup, PostgreSQL on 127.0.0.1, paths moved, and a superuser
 * password (an empty one crashes Patroni 3.0.2 at initdb). Every comment stays.
 */
export function adjustForLab(rendered: string, adjust: LabAdjustments): string {
  const replacements: Array<[RegExp, string]> = [
    [/^(  method:) pg_createcluster$/m, '$1 initdb'],
    [/^(    -) pg_clonecluster$/m, '$1 basebackup'],
    [/^(  listen:) "\*:(\d+)"$/m, '$1 "127.0.0.1:$2"'],
    [/^(  config_dir:) .*$/m, `$1 ${adjust.configDir}`],
    [/^(  pgpass:) .*$/m, `$1 ${adjust.pgpass}`],
    [/^(    unix_socket_directories:) .*$/m, `$1 '${adjust.socketDir}'`],
    [/^(    log_directory:) .*$/m, `$1 '${adjust.logDir}'`],
    [/^(    superuser:\n      username: "postgres"\n      password:)$/m, `$1 "${adjust.superuserPassword}"`],
  ];
  let text = rendered;
  for (const [pattern, replacement] of replacements) {
    if (!pattern.test(text)) throw new Error(`Debian's template changed: ${pattern} not found`);
    text = text.replace(pattern, replacement);
  }
  return text;
}

export function readDebianTemplate(): string {
  return readFileSync(DEBIAN_TEMPLATE, 'utf8');
}
