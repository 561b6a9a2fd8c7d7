import { Pipe, type PipeTransform, inject } from '@angular/core';

import type { Job } from '../api/job';
import { contextObjectId } from '../sdk/context-object-id';
import { Messages } from '../i18n/messages';
import type { MessageKey } from '../i18n/messages-en-us';

/** Kinds this UI has words for; a newer server's other kinds show as the server names them. */
const KIND_LABELS: Readonly<Record<string, MessageKey>> = {
  backup: 'job.kind.backup',
  restore: 'job.kind.restore',
  maintenance: 'job.kind.maintenance',
  retention: 'job.kind.retention',
  replication: 'job.kind.replication',
  'instant-revert': 'job.kind.instantRevert',
  'recovery-plan-failback': 'job.kind.planFailback',
};

/** `{{ job.kind | jobKind }}` → "Backup". */
@Pipe({ name: 'jobKind' })
export class JobKindPipe implements PipeTransform {
  private readonly messages = inject(Messages);

  transform(kind: string): string {
    const key = KIND_LABELS[kind];
    return key === undefined ? kind : this.messages.text(key);
  }
}

/** `{{ job | jobTarget }}` → "VM vm-58": what a job works on, as an administrator names it. */
@Pipe({ name: 'jobTarget' })
export class JobTargetPipe implements PipeTransform {
  private readonly messages = inject(Messages);

  transform(job: Pick<Job, 'target'>): string {
    const { type, id } = job.target;
    if (type === 'VirtualMachine') return this.messages.text('job.target.vm', { moref: id });
    return type === 'repository' ? this.messages.text('job.target.repository') : `${type} ${id}`;
  }
}

/** The API's id of the VM a job works on, to look its name up; null for other targets. */
export function jobVmId(job: Pick<Job, 'target'>): string | null {
  const { type, id, vcenterGuid } = job.target;
  return type === 'VirtualMachine' && vcenterGuid !== null ? contextObjectId({ type, moref: id, vcGuid: vcenterGuid }) : null;
}
