/**
 * The fields pgfleet reads from /proc/PID/stat (proc(5)): parent, CPU time
 * in clock ticks (utime + stime), resident pages. The command name (field 2)
 * may hold spaces and parentheses: fields are counted after the last ')'.
 */
export interface ProcStat {
  ppid: number;
  cpuTicks: number;
  rssPages: number;
}

export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // rest[0] is field 3 (state): field N is rest[N - 3].
  const rest = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const rssPages = Number(rest[21]);
  if (![ppid, utime, stime, rssPages].every(Number.isFinite)) return undefined;
  return { ppid, cpuTicks: utime + stime, rssPages };
}
