import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { ClrAlertModule } from '@clr/angular/emphasis/alert';
import { ClrDatagridModule } from '@clr/angular/data/datagrid';
import { ClrModalModule } from '@clr/angular/modal';
import { ClrSpinnerModule } from '@clr/angular/progress/spinner';

import { LifelineApiError, reportApiError } from '../api/lifeline-api-error';
import { GlobalView } from '../global/global-view';
import { ByteSizePipe } from '../i18n/byte-size-pipe';
import { MessagePipe } from '../i18n/message-pipe';
import { Messages } from '../i18n/messages';
import { VsphereDatePipe } from '../i18n/vsphere-date-pipe';
import { DrApi } from '../dr/dr-api';
import type { RootCapabilities } from '../dr/dr-api.types';
import { DrSite } from '../dr/dr-site';
import { ProblemAlert } from '../problem-alert/problem-alert';
import { AllowPairing } from './allow-pairing';
import { CLOCK } from './clock';
import { CopyButton } from './copy-button';
import { EditSettings } from './edit-settings';
import { LinkStateLabel } from './link-state-label';
import { PairWizard } from './pair-wizard';
import { SitesApi } from './sites-api';
import type { Peer, Sites as SitesBody } from './sites-api.types';

/** Seconds between reads of the links' figures while the view is open. */
export const LINK_REFRESH_SECONDS = 10;

/**
 * Global > Sites: this site's name, address and certificate thumbprint, the sites it is paired
 * with and how the link to each stands (state, throughput, bytes sent, restore points waiting),
 * and the pairing actions, which need Lifeline's Admin privilege: Allow pairing (on the DR site),
 * Pair a site (on the production site), Edit settings and Unpair. The links' figures are read
 * again every few seconds while the view is open. Below, for each pairing this site is the DR site
 * of, that site's replicated VMs (Fail over…, Test…) and the pairing's resource mappings.
 */
@Component({
  selector: 'll-sites',
  imports: [
    AllowPairing,
    ByteSizePipe,
    ClrAlertModule,
    ClrDatagridModule,
    ClrModalModule,
    ClrSpinnerModule,
    CopyButton,
    DrSite,
    EditSettings,
    GlobalView,
    LinkStateLabel,
    MessagePipe,
    PairWizard,
    ProblemAlert,
    VsphereDatePipe,
  ],
  templateUrl: './sites.html',
  styleUrls: ['./sites.css', './sites-identity.css'],
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Sites {
  private readonly api = inject(SitesApi);
  protected readonly messages = inject(Messages);
  private readonly aborter = new AbortController();

  private readonly body = signal<SitesBody | null>(null);
  protected readonly self = computed(() => this.body()?.self ?? null);
  protected readonly peers = computed(() => [...(this.body()?.peers ?? [])]);
  /** The pairings this site is the DR site of: each gets its replicated VMs and mappings. */
  protected readonly sources = computed(() => this.peers().filter((p) => p.role === 'source'));
  /** The caller's Lifeline privileges at the inventory root; unknown allows nothing. */
  protected readonly caps = signal<RootCapabilities | null>(null);
  /** Until the first answer; later reads keep showing what is there. */
  protected readonly loading = signal(true);
  private reading = false;
  protected readonly loadError = signal<LifelineApiError | null>(null);

  protected readonly allowing = signal(false);
  protected readonly pairing = signal(false);
  protected readonly editing = signal<Peer | null>(null);
  /** What the last action did, said in a success alert. */
  protected readonly done = signal<string | null>(null);

  protected readonly unpairing = signal<Peer | null>(null);
  protected readonly unpairBusy = signal(false);
  protected readonly unpairError = signal<LifelineApiError | null>(null);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
    void this.load();
    inject(DrApi)
      .capabilities(this.aborter.signal)
      .then(
        (caps) => this.caps.set(caps),
        () => undefined,
      );
    let seconds = 0;
    const stop = inject(CLOCK).everySecond(() => {
      seconds += 1;
      // A read still under way is not doubled; the next tick tries again.
      if (seconds >= LINK_REFRESH_SECONDS && !this.reading) {
        seconds = 0;
        void this.load();
      }
    });
    inject(DestroyRef).onDestroy(stop);
  }

  protected paired(peer: Peer): void {
    this.pairing.set(false);
    this.done.set(this.messages.text('sites.paired', { name: peer.name }));
    void this.load();
  }

  protected saved(peer: Peer): void {
    this.editing.set(null);
    this.done.set(this.messages.text('sites.saved', { name: peer.name }));
    void this.load();
  }

  protected askUnpair(peer: Peer): void {
    this.unpairError.set(null);
    this.unpairing.set(peer);
  }

  protected async confirmUnpair(): Promise<void> {
    const peer = this.unpairing();
    if (peer === null) {
      return;
    }
    this.unpairBusy.set(true);
    this.unpairError.set(null);
    try {
      await this.api.unpair(peer.id, this.aborter.signal);
      this.unpairing.set(null);
      this.done.set(this.messages.text('sites.unpaired', { name: peer.name }));
      await this.load();
    } catch (error: unknown) {
      // The dialog stays open with the reason; it names the peer it is about.
      reportApiError(error, this.aborter.signal, (e) => this.unpairError.set(e));
    } finally {
      this.unpairBusy.set(false);
    }
  }

  private async load(): Promise<void> {
    this.reading = true;
    try {
      this.body.set(await this.api.sites(this.aborter.signal));
      this.loadError.set(null);
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.loadError.set(e));
    } finally {
      this.reading = false;
      this.loading.set(false);
    }
  }
}
