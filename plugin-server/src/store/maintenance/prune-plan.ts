/**
 * Prune planning: a pure function from restore points and keep rules to a mark per point, so the
 * plan can be unit-tested without I/O and printed as a dry run before anything is deleted.
 *
 * The rules are restic's `forget --keep-*`: within each VM, points are taken newest first; keep-last
 * keeps the N newest; keep-hourly/daily/weekly/monthly/yearly each keep the newest point of each of
 * the N most recent periods that have a point. Every rule counts on its own, so one point may
 * satisfy several (Proxmox Backup Server differs here: a period already covered by a point kept by
 * an earlier rule does not use up a later rule's count). Periods are UTC; weeks are ISO weeks.
 *
 * Whatever the rules say, a point whose retain-until has not passed, or that a backup in flight
 * uses as its base, is never removed: it is marked protected.
 */
import { ValidationError } from '../../errors/index.js';

export interface KeepRules {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
}

export interface PrunePoint {
  id: string;
  vmId: string;
  createdAt: number;
  retainUntil: number;
  /** A backup in progress builds on it. */
  inUse?: boolean;
}

export type PruneMark = 'keep' | 'remove' | 'protected';

export interface PruneDecision {
  id: string;
  vmId: string;
  createdAt: number;
  mark: PruneMark;
  /** Why it is kept or protected ("daily 2", "retained until …"); empty for removals. */
  reasons: string[];
}

type Rule = Exclude<keyof KeepRules, 'last'> | 'last';
const RULES: readonly Rule[] = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'];

function isoWeek(d: Date): string {
  // ISO 8601: the week with the year's first Thursday is week 1; weeks start on Monday.
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function periodOf(rule: Exclude<Rule, 'last'>, at: number): string {
  const iso = new Date(at).toISOString();
  switch (rule) {
    case 'hourly':
      return iso.slice(0, 13);
    case 'daily':
      return iso.slice(0, 10);
    case 'weekly':
      return isoWeek(new Date(at));
    case 'monthly':
      return iso.slice(0, 7);
    case 'yearly':
      return iso.slice(0, 4);
  }
}

export function checkRules(rules: KeepRules): void {
  let any = false;
  for (const r of RULES) {
    const n = rules[r];
    if (n === undefined) continue;
    if (!Number.isInteger(n) || n < 0) throw new ValidationError(`keep-${r} must be a whole number, not ${String(n)}`);
    if (n > 0) any = true;
  }
  if (!any) throw new ValidationError('give at least one keep rule (--keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly); without one every point would go');
}

export function planPrune(points: readonly PrunePoint[], rules: KeepRules, now: number): PruneDecision[] {
  checkRules(rules);
  const byVm = new Map<string, PrunePoint[]>();
  for (const p of points) {
    const list = byVm.get(p.vmId) ?? [];
    list.push(p);
    byVm.set(p.vmId, list);
  }
  const out: PruneDecision[] = [];
  for (const list of byVm.values()) {
    list.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const left = new Map<Rule, number>(RULES.map((r) => [r, rules[r] ?? 0]));
    const lastPeriod = new Map<Rule, string>();
    for (const p of list) {
      const reasons: string[] = [];
      for (const r of RULES) {
        const n = left.get(r) ?? 0;
        if (n <= 0) continue;
        const period = r === 'last' ? p.id : periodOf(r, p.createdAt);
        if (period === lastPeriod.get(r)) continue;
        lastPeriod.set(r, period);
        left.set(r, n - 1);
        reasons.push(`${r} ${(rules[r] ?? 0) - n + 1}`);
      }
      let mark: PruneMark = reasons.length > 0 ? 'keep' : 'remove';
      if (mark === 'remove') {
        if (p.retainUntil > now) {
          mark = 'protected';
          reasons.push(`retained until ${new Date(p.retainUntil).toISOString()}`);
        } else if (p.inUse) {
          mark = 'protected';
          reasons.push('base of a backup in progress');
        }
      }
      out.push({ id: p.id, vmId: p.vmId, createdAt: p.createdAt, mark, reasons });
    }
  }
  return out;
}
