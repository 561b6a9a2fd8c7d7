import { ChangeDetectionStrategy, Component, DestroyRef, type OnInit, computed, inject, input, output, signal, viewChild } from '@angular/core';
import { ClrModalModule } from '@clr/angular/modal';

import { LifelineApiError } from '../api/lifeline-api-error';
import { MessagePipe } from '../i18n/message-pipe';
import { ProblemAlert } from '../problem-alert/problem-alert';
import { applyServerSettingsErrors, createReplicationSettingsForm, ownSettingsPart, replicationSettingsPartOf } from './replication-settings-form';
import { ReplicationSettingsFields } from './replication-settings-fields';
import { SitesApi } from './sites-api';
import type { Peer } from './sites-api.types';

/**
 * Sites > Edit settings: a pairing's replication settings, in a Clarity modal. Each side changes
 * only the part it acts on — the source how it sends, the DR site how it keeps replicas — and
 * sends only that part; the other side's part is shown read-only, saying where it is changed.
 */
@Component({
  selector: 'll-edit-settings',
  imports: [ClrModalModule, MessagePipe, ProblemAlert, ReplicationSettingsFields],
  template: `
    <clr-modal [clrModalOpen]="true" (clrModalOpenChange)="closed.emit()" clrModalSize="lg" [clrModalStaticBackdrop]="true">
      <h3 class="modal-title">{{ 'sites.edit.title' | msg: { name: peer().name } }}</h3>
      <div class="modal-body">
        <ll-problem-alert class="ll-edit-error" [error]="error()" [showFieldErrors]="unshownFieldErrors()" />
        <ll-replication-settings-fields [form]="form" formId="ll-edit-settings" [part]="part()" [peerName]="peer().name" />
      </div>
      <div class="modal-footer">
        <button type="button" class="btn btn-outline ll-edit-cancel" (click)="closed.emit()">{{ 'action.cancel' | msg }}</button>
        <button type="button" class="btn btn-primary ll-edit-save" [disabled]="saving()" (click)="save()">{{ 'action.save' | msg }}</button>
      </div>
    </clr-modal>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class EditSettings implements OnInit {
  private readonly sites = inject(SitesApi);
  private readonly aborter = new AbortController();
  private readonly fields = viewChild(ReplicationSettingsFields);
  readonly peer = input.required<Peer>();
  readonly saved = output<Peer>();
  readonly closed = output();

  protected form = createReplicationSettingsForm();
  protected readonly part = computed(() => ownSettingsPart(this.peer()));
  protected readonly saving = signal(false);
  protected readonly error = signal<LifelineApiError | null>(null);
  /** Server field errors no field shows, listed in the alert instead. */
  protected readonly unshownFieldErrors = signal(false);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
  }

  // Inputs arrive after the constructor, so the form of the pairing is built here.
  ngOnInit(): void {
    this.form = createReplicationSettingsForm(this.peer().settings, this.part());
  }

  protected async save(): Promise<void> {
    if (this.form.invalid) {
      this.fields()?.showErrors();
      return;
    }
    this.saving.set(true);
    this.error.set(null);
    try {
      this.saved.emit(await this.sites.updateSettings(this.peer().id, replicationSettingsPartOf(this.form, this.part()), this.aborter.signal));
    } catch (error: unknown) {
      if (this.aborter.signal.aborted) {
        return;
      }
      if (!(error instanceof LifelineApiError)) {
        throw error;
      }
      this.unshownFieldErrors.set(applyServerSettingsErrors(this.form, error.errors).length > 0);
      this.error.set(error);
    } finally {
      this.saving.set(false);
    }
  }
}
