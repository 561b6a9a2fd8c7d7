import { isNumber, isRecord, isString, isStringOrNull } from './json-reader';
import type { components } from './lifeline-api.generated';

/** The API's bodies as its OpenAPI document describes them (lifeline-api.generated.ts). */
type Schemas = components['schemas'];

export type AttachmentState = Schemas['Attachment']['state'];
export const ATTACHMENT_STATES = ['uploading', 'attaching', 'attached', 'detaching'] as const satisfies readonly AttachmentState[];

/**
 * A disk of a restore point, cloned and attached to a VM as an extra disk; `file` is the clone's
 * file on the datastore, e.g. `[datastore1] lifeline-attach/…/disk0.vmdk`.
 */
export type AttachedDisk = Pick<Schemas['AttachedDisk'], 'pointDisk' | 'file' | 'capacity'> & {
  /** Read even when null (the document says it never is): the view then names the disk by its number. */
  readonly label: Schemas['AttachedDisk']['label'] | null;
};

/** `GET /api/v1/vms/{id}/attachments`: a point's disks cloned and attached to the VM for item-level recovery. */
export type Attachment = Pick<Schemas['Attachment'], 'id' | 'pointId' | 'state' | 'jobId' | 'createdAt'> & { readonly disks: readonly AttachedDisk[] };

function readAttachedDisk(value: unknown): AttachedDisk | null {
  if (!isRecord(value)) {
    return null;
  }
  const { pointDisk, label, file, capacity } = value;
  return isNumber(pointDisk) && isStringOrNull(label) && isString(file) && isNumber(capacity) ? { pointDisk, label, file, capacity } : null;
}

export function readAttachment(body: unknown): Attachment | null {
  if (!isRecord(body) || !Array.isArray(body['disks'])) {
    return null;
  }
  const { id, pointId, state, jobId, createdAt } = body;
  const disks = (body['disks'] as unknown[]).map(readAttachedDisk);
  if (
    !isString(id) ||
    !isString(pointId) ||
    !(ATTACHMENT_STATES as readonly unknown[]).includes(state) ||
    !isString(jobId) ||
    !isString(createdAt) ||
    !disks.every((d): d is AttachedDisk => d !== null)
  ) {
    return null;
  }
  return { id, pointId, state: state as AttachmentState, jobId, disks, createdAt };
}

/** The list answer: `{ items, total }`, all of a VM's attachments at once. */
export function readAttachments(body: unknown): readonly Attachment[] | null {
  if (!isRecord(body) || !Array.isArray(body['items'])) {
    return null;
  }
  const items = (body['items'] as unknown[]).map(readAttachment);
  return items.every((a): a is Attachment => a !== null) ? items : null;
}
