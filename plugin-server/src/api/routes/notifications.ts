/**
 * Notification channels (events out), Lifeline Admin only on the inventory root of every vCenter
 * this server serves, since a channel receives every VM's events: list, create, replace and
 * remove channels, send one a test event and read the delivery log. Changes are audited, secrets
 * are taken in and never answered, and a bad configuration is refused with the field named.
 */
import { Router, type Request } from 'express';
import { LifelineError, ValidationError } from '../../errors/index.js';
import { validateChannelInput, type Channel, type EventsService } from '../../events/index.js';
import { audited, noteAudit } from '../audit/audited.js';
import { type Authorizer } from '../auth/authorize.js';
import type { UserSession } from '../auth/ports.js';
import { PRIVILEGES } from '../privileges.js';
import type { ApiServices } from './api-services.js';

const TEST_TIMEOUT_MS = 30_000;

export function notificationRoutes<S extends UserSession>(auth: Authorizer<S>, svc: ApiServices): Router {
  const router = Router();
  const admin = auth.require({ privileges: [PRIVILEGES.admin] });
  const adminEverywhere = async (req: Request): Promise<EventsService> => {
    await auth.requireOnVcenters(req, auth.vcenterGuids, [PRIVILEGES.admin]);
    if (!svc.notifications) throw new LifelineError('shutting-down', 'Events are not available on this server now.');
    return svc.notifications;
  };
  const audit = (action: string) => audited(svc.audit, svc.log, action, (params) => (params['id'] ? `channel:${params['id']}` : null));
  const view = (events: EventsService, c: Channel) => ({ ...c, deliveries: events.store.counts(c.id) });
  const idOf = (req: Request): string => String(req.params['id']);

  router.get('/notifications/channels', admin, async (req, res) => {
    const events = await adminEverywhere(req);
    res.json({ items: events.store.listChannels().map((c) => view(events, c)) });
  });

  router.post('/notifications/channels', audit('channel.create'), admin, async (req, res) => {
    const events = await adminEverywhere(req);
    const input = validateChannelInput(req.body);
    noteAudit(req, { details: { name: input.name, kind: input.kind } });
    const created = events.store.createChannel(input);
    noteAudit(req, { object: `channel:${created.id}` });
    res.status(201).location(`${req.baseUrl}/notifications/channels/${created.id}`).json(view(events, created));
  });

  router.get('/notifications/channels/:id', admin, async (req, res) => {
    const events = await adminEverywhere(req);
    res.json(view(events, events.store.getChannel(idOf(req))));
  });

  router.put('/notifications/channels/:id', audit('channel.update'), admin, async (req, res) => {
    const events = await adminEverywhere(req);
    const existing = events.store.getChannel(idOf(req));
    const input = validateChannelInput(req.body, existing.secretSet && (req.body as { kind?: unknown } | null)?.kind === existing.kind);
    noteAudit(req, { details: { name: input.name, kind: input.kind, secretChanged: input.secret !== undefined } });
    res.json(view(events, events.store.replaceChannel(existing.id, input)));
  });

  router.delete('/notifications/channels/:id', audit('channel.delete'), admin, async (req, res) => {
    const events = await adminEverywhere(req);
    events.store.deleteChannel(idOf(req));
    res.status(204).end();
  });

  router.post('/notifications/channels/:id/test', audit('channel.test'), admin, async (req, res) => {
    const events = await adminEverywhere(req);
    const signal = AbortSignal.any([svc.shutdown, AbortSignal.timeout(TEST_TIMEOUT_MS)]);
    const result = await events.sendTest(idOf(req), signal);
    noteAudit(req, { details: { delivered: result.delivered } });
    res.json(result);
  });

  router.get('/notifications/deliveries', admin, async (req, res) => {
    const events = await adminEverywhere(req);
    const q = req.query;
    const limit = q['limit'] === undefined ? 100 : Number(q['limit']);
    const before = q['before'] === undefined ? undefined : Number(q['before']);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError('limit must be an integer from 1 to 1000', { field: 'limit' });
    if (before !== undefined && (!Number.isInteger(before) || before < 1)) throw new ValidationError('before must be a positive integer', { field: 'before' });
    const channelId = typeof q['channelId'] === 'string' ? q['channelId'] : undefined;
    if (channelId !== undefined) events.store.getChannel(channelId);
    res.json({ items: events.store.deliveryLog({ limit, ...(channelId === undefined ? {} : { channelId }), ...(before === undefined ? {} : { before }) }) });
  });

  return router;
}
