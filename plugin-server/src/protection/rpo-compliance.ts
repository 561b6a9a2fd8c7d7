/**
 * RPO compliance of one VM: how old its newest good restore point is against its policy's RPO.
 *
 * - violated: the point is older than the RPO (more data than promised would be lost now), or the
 *   VM has had no good point for longer than one RPO since it was protected;
 * - at-risk: still within the RPO, but a new point cannot be expected in time: no backup is
 *   running and one would take longer than the time left (judged by the VM's recent backup
 *   durations), or the running one's ETA ends past the RPO; also a newly protected VM that has
 *   no point yet;
 * - compliant: otherwise.
 *
 * The age is of the restore point's own time (its snapshot), not of when the backup finished,
 * because that is the data a recovery would go back to.
 */

export type RpoStatus = 'compliant' | 'at-risk' | 'violated';

export interface RpoInput {
  rpoSeconds: number;
  /** Time (ms) of the newest good restore point, or null when there is none. */
  lastGoodPointAt: number | null;
  /** When the VM was given its policy (ms); the first RPO counts from there. */
  assignedAt: number;
  /** How long a backup of this VM usually takes, or null when unknown. */
  expectedDurationSeconds: number | null;
  /** The running backup, if any, with its ETA when known. */
  running: { etaSeconds: number | null } | null;
}

export interface RpoAssessment {
  status: RpoStatus;
  /** Age of the newest good point in seconds, or null when there is none. */
  ageSeconds: number | null;
  rpoSeconds: number;
  /** How far past the RPO the VM is (0 when within it). */
  exceededBySeconds: number;
}

export function assessRpo(now: number, input: RpoInput): RpoAssessment {
  const { rpoSeconds } = input;
  const since = input.lastGoodPointAt ?? input.assignedAt;
  const age = Math.max(0, (now - since) / 1000);
  const ageSeconds = input.lastGoodPointAt === null ? null : Math.round(age);
  const exceededBySeconds = Math.max(0, Math.round(age - rpoSeconds));
  if (age > rpoSeconds) return { status: 'violated', ageSeconds, rpoSeconds, exceededBySeconds };
  if (input.lastGoodPointAt === null) return { status: 'at-risk', ageSeconds, rpoSeconds, exceededBySeconds };
  const needed = input.running ? (input.running.etaSeconds ?? 0) : (input.expectedDurationSeconds ?? 0);
  const status = age + needed > rpoSeconds ? 'at-risk' : 'compliant';
  return { status, ageSeconds, rpoSeconds, exceededBySeconds };
}
