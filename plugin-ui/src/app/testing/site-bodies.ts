/**
 * Bodies of the sites API as its routes answer them, with every field they write, for the specs
 * of the Sites view, the pairing wizard and the replication state. They follow the sites API's
 * wording until the server's OpenAPI document describes those routes; then they belong in
 * server-bodies.ts, where every body is checked against its schema.
 */

type Body = Record<string, unknown>;

export const SELF_THUMBPRINT = '3F:A0:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:01';
export const PEER_THUMBPRINT = 'B7:2C:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:02';
export const PEER_ID = '7d1e4c2a-0b3f-4e61-9c0a-2f4d6b8e1a37';
export const PAIRING_CODE = 'k4F9-Qx2m-Z8pR-w7Ty-3nVb-H6sL';

export function replicationSettingsBody(overrides: Body = {}): Body {
  return {
    bandwidthMBps: 50,
    window: { from: '08:00', to: '18:00', bandwidthMBps: 20 },
    retention: { keepLast: 3, daily: 7, weekly: 4, monthly: 6 },
    immutableDays: 14,
    maxConcurrentVms: 2,
    ...overrides,
  };
}

export function linkBody(overrides: Body = {}): Body {
  return {
    state: 'replicating',
    lastContactAt: '2026-11-23T10:00:00.000Z',
    lastError: null,
    bytesSent: 3 * 2 ** 30,
    throughputBps: 20 * 2 ** 20,
    backlogPoints: 2,
    ...overrides,
  };
}

export function peerBody(overrides: Body = {}): Body {
  return {
    id: PEER_ID,
    name: 'dr-frankfurt',
    thumbprint: PEER_THUMBPRINT,
    url: 'https://dr.example.com:8543',
    role: 'target',
    pairedAt: '2026-11-20T08:00:00.000Z',
    settings: replicationSettingsBody(),
    unpairedByPeerAt: null,
    link: linkBody(),
    ...overrides,
  };
}

/** `GET /api/v1/sites` of a production site paired with one DR site. */
export function sitesBody(peers: readonly unknown[] = [peerBody()], self: Body = {}): Body {
  return { self: { name: 'prod-berlin', siteUrl: 'https://lifeline.example.com:8543', thumbprint: SELF_THUMBPRINT, ...self }, peers };
}

export function pairingCodeBody(overrides: Body = {}): Body {
  return { code: PAIRING_CODE, expiresAt: '2026-11-23T10:15:00.000Z', thumbprint: SELF_THUMBPRINT, siteUrl: 'https://lifeline.example.com:8543', ...overrides };
}

export function probeBody(overrides: Body = {}): Body {
  return { name: 'dr-frankfurt', thumbprint: PEER_THUMBPRINT, url: 'https://dr.example.com:8543', ...overrides };
}

/** `GET /api/v1/vms/{vm}/replication` of a VM replicated within its RPO. */
export function vmReplicationBody(overrides: Body = {}): Body {
  return {
    site: { id: PEER_ID, name: 'dr-frankfurt' },
    state: 'ok',
    lastReplicatedPointId: '20261123-100000-1a2b3c4d',
    lastReplicatedAt: '2026-11-23T10:03:00.000Z',
    lagSeconds: 180,
    rpoSeconds: 900,
    rpoMet: true,
    lastError: null,
    backlogPoints: 0,
    ...overrides,
  };
}

/** The result a finished `replication` job of vm-58 carries. */
export function replicationResultBody(overrides: Body = {}): Body {
  return { site: PEER_ID, pointId: '20261123-100000-1a2b3c4d', chunks: 1200, chunksSent: 37, bytesSent: 96 * 2 ** 20, present: false, ...overrides };
}
