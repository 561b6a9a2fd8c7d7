/**
 * The point hook: a script from the server's configuration (`pointHook` in lifeline.json, a
 * command as in a hook set) run on the Lifeline server after each restore point is committed, for
 * a backup product that prefers a script to a webhook. It gets, besides PATH, only these
 * variables: LIFELINE_EVENT (point.created), LIFELINE_EVENT_ID, LIFELINE_POINT_ID,
 * LIFELINE_JOB_ID, LIFELINE_VCENTER, LIFELINE_VM, LIFELINE_VM_NAME and LIFELINE_EXPORT_LINKS: a
 * JSON list with, per disk, its raw and VMDK download URLs (fresh tickets, as a webhook's
 * export links; to be first used within a minute). It runs once per point, after the event is
 * recorded, one script at a time; a failure is logged and not retried.
 */
import { describeError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { LifelineEvent } from './event.js';
import { exportLinksOf, type ExportLinkSources } from './export-links.js';

export type PointHookRunner = (env: Record<string, string>, signal: AbortSignal) => Promise<{ ok: boolean; message: string }>;

export function pointHookEnv(event: LifelineEvent, links: ExportLinkSources | null): Record<string, string> {
  const exportLinks = links ? (exportLinksOf(event, 'point hook', links)['exportLinks'] ?? []) : [];
  return {
    LIFELINE_EVENT: event.type,
    LIFELINE_EVENT_ID: event.id,
    LIFELINE_POINT_ID: event.pointId ?? '',
    LIFELINE_JOB_ID: event.jobId ?? '',
    LIFELINE_VCENTER: event.vm?.vcenterGuid ?? '',
    LIFELINE_VM: event.vm?.moref ?? '',
    LIFELINE_VM_NAME: event.vm?.name ?? '',
    LIFELINE_EXPORT_LINKS: JSON.stringify(exportLinks),
  };
}

/** Runs the hook for each new point, one at a time; returns a function that takes the recorded events. */
export function pointHookQueue(run: PointHookRunner, links: ExportLinkSources | null, log: Logger, signal: AbortSignal): (events: readonly LifelineEvent[]) => void {
  let chain = Promise.resolve();
  return (events) => {
    for (const event of events) {
      if (event.type !== 'point.created' || event.pointId === null) continue;
      chain = chain.then(async () => {
        if (signal.aborted) return;
        try {
          // Tickets are made when the script starts, so that its minute is the script's own.
          const r = await run(pointHookEnv(event, links), signal);
          if (r.ok) log.info('point hook ran', { pointId: event.pointId, message: r.message });
          else log.warn('point hook failed', { pointId: event.pointId, message: r.message });
        } catch (err) {
          log.warn('point hook failed', { pointId: event.pointId, error: describeError(err) });
        }
      });
    }
  };
}
