import { ChangeDetectionStrategy, Component, input, model, output } from '@angular/core';
import { ClrModalModule } from '@clr/angular/modal';

import type { LifelineApiError } from '../api/lifeline-api-error';
import { DurationPipe } from '../i18n/duration-pipe';
import { MessagePipe } from '../i18n/message-pipe';
import type { MessageKey } from '../i18n/messages-en-us';
import { VsphereDatePipe } from '../i18n/vsphere-date-pipe';
import { ProblemAlert } from '../problem-alert/problem-alert';

/** What a DR action does, as its confirmation names it. */
export type DrAction = 'test' | 'disaster' | 'planned' | 'cleanup' | 'failback' | 'failbackVm' | 'delete';

const TITLE: Readonly<Record<DrAction, MessageKey>> = {
  test: 'dr.confirm.test.title',
  disaster: 'dr.confirm.disaster.title',
  planned: 'dr.confirm.planned.title',
  cleanup: 'dr.confirm.cleanup.title',
  failback: 'dr.confirm.failback.title',
  failbackVm: 'dr.confirm.failbackVm.title',
  delete: 'dr.confirm.delete.title',
};
const TEXT: Readonly<Record<DrAction, MessageKey>> = {
  test: 'dr.confirm.test.text',
  disaster: 'dr.confirm.disaster.text',
  planned: 'dr.confirm.planned.text',
  cleanup: 'dr.confirm.cleanup.text',
  failback: 'dr.confirm.failback.text',
  failbackVm: 'dr.confirm.failbackVm.text',
  delete: 'dr.confirm.delete.text',
};
const BUTTON: Readonly<Record<DrAction, MessageKey>> = {
  test: 'dr.confirm.test.button',
  disaster: 'dr.confirm.disaster.button',
  planned: 'dr.confirm.planned.button',
  cleanup: 'dr.confirm.cleanup.button',
  failback: 'dr.confirm.failback.button',
  failbackVm: 'dr.confirm.failbackVm.button',
  delete: 'dr.confirm.delete.button',
};

/**
 * The confirmation of a failover, drill, clean-up or failback: it names the mode and what it does
 * to what, and for a disaster failover the data-loss window (now − the replicated point's time)
 * before the user confirms; for a plan's failback the choice of the original VMs or new ones, with
 * what each does. The action runs only from its own button.
 */
@Component({
  selector: 'll-dr-confirm',
  imports: [ClrModalModule, DurationPipe, MessagePipe, ProblemAlert, VsphereDatePipe],
  template: `
    <clr-modal [clrModalOpen]="true" (clrModalOpenChange)="closed.emit()" clrModalSize="md">
      <h3 class="modal-title ll-confirm-title">{{ title[action()] | msg: { name: subject() } }}</h3>
      <div class="modal-body">
        <ll-problem-alert [error]="error()" [showFieldErrors]="true" />
        <p class="ll-confirm-text" [attr.data-mode]="action()">{{ text[action()] | msg: { name: subject(), site: site() } }}</p>
        @if (action() === 'failback') {
          <div class="clr-form-control ll-confirm-target">
            <div class="clr-radio-wrapper">
              <input type="radio" id="ll-failback-original" class="clr-radio ll-confirm-target-original" name="ll-failback-target" [checked]="failbackTarget() === 'original'" (change)="failbackTarget.set('original')" />
              <label for="ll-failback-original">{{ 'dr.confirm.failback.targetOriginal' | msg }}</label>
            </div>
            <div class="clr-radio-wrapper">
              <input type="radio" id="ll-failback-new" class="clr-radio ll-confirm-target-new" name="ll-failback-target" [checked]="failbackTarget() === 'new'" (change)="failbackTarget.set('new')" />
              <label for="ll-failback-new">{{ 'dr.confirm.failback.targetNew' | msg }}</label>
            </div>
          </div>
          <p class="ll-confirm-consequence" [attr.data-target]="failbackTarget()">{{ (failbackTarget() === 'new' ? 'dr.confirm.failback.new' : 'dr.confirm.failback.original') | msg: { site: site() } }}</p>
          <p class="ll-hint ll-confirm-refusal">{{ 'dr.confirm.failback.refusal' | msg: { site: site() } }}</p>
        }
        @if (action() === 'disaster') {
          @if (lossSeconds(); as seconds) {
            <div class="alert alert-danger ll-confirm-loss" role="alert">
              <div class="alert-items">
                <div class="alert-item static">
                  <span class="alert-text">
                    {{ 'dr.confirm.loss' | msg: { window: (seconds | duration), point: pointAt() ? (pointAt()! | date: 'medium') : '—' } }}
                  </span>
                </div>
              </div>
            </div>
          } @else {
            <p class="ll-confirm-loss">{{ 'dr.confirm.lossNone' | msg }}</p>
          }
        }
      </div>
      <div class="modal-footer">
        <button type="button" class="btn btn-outline ll-confirm-cancel" (click)="closed.emit()">{{ 'action.cancel' | msg }}</button>
        <button type="button" class="btn ll-confirm-ok" [class.btn-danger]="action() === 'disaster' || action() === 'planned' || action() === 'failback' || action() === 'failbackVm' || action() === 'delete'" [class.btn-primary]="action() === 'test' || action() === 'cleanup'" [disabled]="busy()" (click)="confirmed.emit()">
          {{ button[action()] | msg }}
        </button>
      </div>
    </clr-modal>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DrConfirm {
  readonly action = input.required<DrAction>();
  /** The VM or plan acted on. */
  readonly subject = input.required<string>();
  /** The production site's name. */
  readonly site = input('');
  /** Now − the point's time, in seconds: what a disaster failover loses (the largest of a plan's VMs). */
  readonly lossSeconds = input<number | null>(null);
  readonly pointAt = input<string | null>(null);
  readonly busy = input(false);
  /** A plan's failback: onto the original VMs (their disks replaced) or as new VMs. */
  readonly failbackTarget = model<'original' | 'new'>('original');
  readonly error = input<LifelineApiError | null>(null);
  readonly confirmed = output<void>();
  readonly closed = output<void>();

  protected readonly title = TITLE;
  protected readonly text = TEXT;
  protected readonly button = BUTTON;
}
