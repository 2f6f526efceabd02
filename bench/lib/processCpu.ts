/**
 * CPU time of process groups on Linux, read from /proc: what a load benchmark spent where (the
 * service instances, the balancer, PostgreSQL, the simulated clients). A group is its root
 * processes, all their descendants alive when sampled, and the children its roots have reaped (a
 * PostgreSQL backend that ended counts with the postmaster).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  /** User plus system time, in seconds. */
  cpu: number;
  /** User plus system time of the children it has reaped, in seconds. */
  reaped: number;
}

function readStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: fields follow the last ')'.
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
        reaped: (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND,
      });
    } catch {
      // Gone while listing.
    }
  }
  return stats;
}

/** Seconds of CPU per group: each group is the processes it names, their descendants and what they reaped. */
export function cpuSeconds(groups: Record<string, readonly number[]>): Record<string, number> {
  const stats = readStats();
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const total = (pid: number): number =>
    (byPid.get(pid)?.cpu ?? 0) + (byPid.get(pid)?.reaped ?? 0) + (children.get(pid) ?? []).reduce((sum, child) => sum + total(child.pid), 0);
  return Object.fromEntries(Object.entries(groups).map(([name, roots]) => [name, roots.reduce((sum, pid) => sum + total(pid), 0)]));
}

/** The difference of two samples, rounded to 0.1 s. */
export function cpuSpent(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((name) => [name, Math.round(((after[name] ?? 0) - (before[name] ?? 0)) * 10) / 10]));
}

/** Seconds of CPU of the children `pid` has reaped (from its own /proc entry). */
export function reapedSeconds(pid: number): number {
  return readStats().find((s) => s.pid === pid)?.reaped ?? 0;
}
