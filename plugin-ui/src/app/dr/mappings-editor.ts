import { ChangeDetectionStrategy, Component, DestroyRef, type OnInit, computed, inject, input, output, signal } from '@angular/core';
import { ClrAlertModule } from '@clr/angular/emphasis/alert';
import { ClrSpinnerModule } from '@clr/angular/progress/spinner';

import { LifelineApiError, reportApiError } from '../api/lifeline-api-error';
import { MessagePipe } from '../i18n/message-pipe';
import type { MessageKey } from '../i18n/messages-en-us';
import { ProblemAlert } from '../problem-alert/problem-alert';
import { DrApi } from './dr-api';
import type { MappingTargets, ReplicatedVm, ResourceMappings } from './dr-api.types';

export type MapKind = 'networks' | 'testNetworks' | 'datastores';

export interface MappingRow {
  readonly kind: MapKind;
  readonly source: string;
  readonly target: string;
}

const KINDS: readonly { kind: MapKind; title: MessageKey; missing: string }[] = [
  { kind: 'networks', title: 'dr.mappings.networks', missing: 'network' },
  { kind: 'testNetworks', title: 'dr.mappings.testNetworks', missing: 'test-network' },
  { kind: 'datastores', title: 'dr.mappings.datastores', missing: 'datastore' },
];

/** The source names a pairing's mappings should cover: those mapped already and those a replicated VM lacks. */
export function mappingRows(mappings: ResourceMappings, vms: readonly ReplicatedVm[]): MappingRow[] {
  const rows: MappingRow[] = [];
  for (const { kind, missing } of KINDS) {
    const sources = new Set(Object.keys(mappings[kind]));
    for (const vm of vms) {
      for (const m of [...vm.missing.failover, ...vm.missing.test]) {
        if (m.kind === missing) {
          sources.add(m.source);
        }
      }
    }
    for (const source of [...sources].sort((a, b) => a.localeCompare(b))) {
      rows.push({ kind, source, target: mappings[kind][source] ?? '' });
    }
  }
  return rows;
}

/**
 * A pairing's resource mappings, edited at the DR site: each of the production site's networks,
 * test networks and datastores (by its name there) to one of this site's, chosen from this site's
 * inventory, and the folder and resource pool recovered VMs go to. The server checks every target
 * and names the one it refuses; the editor shows each refusal beside its row, and after saving the
 * mapped names no replicated VM uses. Saving needs Lifeline Admin.
 */
@Component({
  selector: 'll-mappings-editor',
  imports: [ClrAlertModule, ClrSpinnerModule, MessagePipe, ProblemAlert],
  template: `
    <section class="ll-mappings" [attr.data-site-id]="siteId()">
      <h4>{{ 'dr.mappings.title' | msg: { site: siteName() } }}</h4>
      <ll-problem-alert [error]="loadError()" />
      <ll-problem-alert class="ll-mappings-error" [error]="saveError()" />
      @if (unused().length > 0) {
        <clr-alert class="ll-mappings-unused" clrAlertType="warning" [clrAlertClosable]="false">
          <clr-alert-item><span class="alert-text">{{ 'dr.mappings.unused' | msg: { names: unused().join(', ') } }}</span></clr-alert-item>
        </clr-alert>
      }
      @if (savedAt() !== null) {
        <p class="ll-hint ll-mappings-saved">{{ 'dr.mappings.saved' | msg }}</p>
      }
      @if (loading()) {
        <p><clr-spinner clrInline clrSmall /> {{ 'dr.loading' | msg }}</p>
      } @else {
        @for (group of kinds; track group.kind) {
          <table class="table table-compact ll-mapping-table" [attr.data-kind]="group.kind">
            <thead>
              <tr>
                <th class="left">{{ group.title | msg }}</th>
                <th class="left">{{ 'dr.mappings.target' | msg }}</th>
              </tr>
            </thead>
            <tbody>
              @for (row of rowsOf(group.kind); track row.source) {
                <tr class="ll-mapping-row" [attr.data-source]="row.source">
                  <td class="left ll-mapping-source">{{ row.source }}</td>
                  <td class="left">
                    <div class="clr-select-wrapper">
                      <select class="clr-select ll-mapping-target" [attr.aria-label]="row.source" [value]="row.target" (change)="setTarget(row, $any($event.target).value)">
                        <option value="" [selected]="row.target === ''">{{ 'dr.mappings.unmapped' | msg }}</option>
                        @for (name of choices(group.kind, row.target); track name) {
                          <option [value]="name" [selected]="name === row.target">{{ name }}</option>
                        }
                      </select>
                    </div>
                    @if (rowError(row); as message) {
                      <div class="clr-subtext ll-error ll-mapping-row-error">{{ message }}</div>
                    } @else if (row.target === '') {
                      <div class="clr-subtext ll-hint ll-mapping-missing">{{ 'dr.mappings.missingHint' | msg }}</div>
                    }
                  </td>
                </tr>
              } @empty {
                <tr>
                  <td colspan="2" class="left ll-hint">{{ 'dr.mappings.noSources' | msg }}</td>
                </tr>
              }
            </tbody>
          </table>
          <div class="ll-mapping-add">
            <input type="text" class="clr-input ll-mapping-add-name" [attr.data-kind]="group.kind" [placeholder]="'dr.mappings.addPlaceholder' | msg" #added />
            <button type="button" class="btn btn-link btn-sm ll-mapping-add-button" (click)="addSource(group.kind, added.value); added.value = ''">{{ 'dr.mappings.add' | msg }}</button>
          </div>
        }
        <div class="clr-form-control">
          <label class="clr-control-label" [attr.for]="'ll-folder-' + siteId()">{{ 'dr.mappings.folder' | msg }}</label>
          <div class="clr-select-wrapper">
            <select class="clr-select ll-mapping-folder" [id]="'ll-folder-' + siteId()" [value]="folder()" (change)="folder.set($any($event.target).value)">
              <option value="" [selected]="folder() === ''">{{ 'dr.mappings.folderDefault' | msg }}</option>
              @for (f of folderChoices(); track f.moref) {
                <option [value]="f.moref" [selected]="f.moref === folder()">{{ f.name }}</option>
              }
            </select>
          </div>
          @if (fieldError('folder'); as message) {
            <div class="clr-subtext ll-error ll-folder-error">{{ message }}</div>
          }
        </div>
        <div class="clr-form-control">
          <label class="clr-control-label" [attr.for]="'ll-pool-' + siteId()">{{ 'dr.mappings.pool' | msg }}</label>
          <input type="text" class="clr-input ll-mapping-pool" [id]="'ll-pool-' + siteId()" [value]="pool()" (input)="pool.set($any($event.target).value)" [placeholder]="'dr.mappings.poolDefault' | msg" />
          @if (fieldError('resourcePool'); as message) {
            <div class="clr-subtext ll-error ll-pool-error">{{ message }}</div>
          } @else {
            <div class="clr-subtext ll-hint">{{ 'dr.mappings.poolHint' | msg }}</div>
          }
        </div>
        <div class="ll-toolbar">
          <button type="button" class="btn btn-primary btn-sm ll-mappings-save" [disabled]="!canAdmin() || saving()" (click)="save()">{{ 'dr.mappings.save' | msg }}</button>
          @if (!canAdmin()) {
            <span class="ll-hint ll-mappings-needs-admin">{{ 'dr.needsAdmin' | msg }}</span>
          }
        </div>
      }
    </section>
  `,
  styles: `
    .ll-mapping-table {
      max-width: 48rem;
    }
    .ll-error {
      color: var(--cds-alias-status-danger, #c21d00);
    }
    .ll-mapping-add {
      display: flex;
      gap: 0.4rem;
      align-items: center;
      margin: 0.3rem 0 0.6rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class MappingsEditor implements OnInit {
  private readonly api = inject(DrApi);
  private readonly aborter = new AbortController();

  readonly siteId = input.required<string>();
  readonly siteName = input.required<string>();
  readonly canAdmin = input(false);
  /** The replicated VMs the list beside shows: their missing mappings are rows here. */
  readonly vms = input<readonly ReplicatedVm[]>([]);
  /** After a save, so the replicated VMs' mapping status is read again. */
  readonly saved = output<void>();

  protected readonly kinds = KINDS;
  protected readonly loading = signal(true);
  protected readonly loadError = signal<LifelineApiError | null>(null);
  protected readonly saveError = signal<LifelineApiError | null>(null);
  protected readonly saving = signal(false);
  protected readonly savedAt = signal<string | null>(null);
  protected readonly unused = signal<readonly string[]>([]);
  private readonly stored = signal<ResourceMappings | null>(null);
  private readonly targets = signal<MappingTargets | null>(null);
  /** Rows the user changed or added, by kind and source. */
  private readonly edits = signal<Readonly<Record<string, string>>>({});
  protected readonly folder = signal('');
  protected readonly pool = signal('');

  protected readonly rows = computed(() => {
    const stored = this.stored();
    if (stored === null) {
      return [];
    }
    const edits = this.edits();
    const base = mappingRows(stored, this.vms());
    const known = new Set(base.map((r) => `${r.kind}\u0000${r.source}`));
    const added = Object.keys(edits)
      .filter((k) => !known.has(k))
      .map((k) => {
        const [kind, source] = k.split('\u0000') as [MapKind, string];
        return { kind, source, target: '' };
      });
    return [...base, ...added].map((r) => ({ ...r, target: edits[`${r.kind}\u0000${r.source}`] ?? r.target }));
  });

  protected readonly folderChoices = computed(() => {
    const folders = [...(this.targets()?.folders ?? [])];
    const current = this.folder();
    if (current !== '' && !folders.some((f) => f.moref === current)) {
      folders.push({ moref: current, name: current });
    }
    return folders;
  });

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
  }

  ngOnInit(): void {
    void this.load();
  }

  protected rowsOf(kind: MapKind): MappingRow[] {
    return this.rows().filter((r) => r.kind === kind);
  }

  /** This site's names of the kind, and the current target even when the inventory lacks it. */
  protected choices(kind: MapKind, current: string): string[] {
    const t = this.targets();
    const names = kind === 'datastores' ? (t?.datastores ?? []) : (t?.networks ?? []);
    return current !== '' && !names.includes(current) ? [...names, current] : [...names];
  }

  protected setTarget(row: MappingRow, target: string): void {
    this.edits.update((e) => ({ ...e, [`${row.kind}\u0000${row.source}`]: target }));
  }

  protected addSource(kind: MapKind, name: string): void {
    const source = name.trim();
    if (source !== '' && !this.rowsOf(kind).some((r) => r.source === source)) {
      this.edits.update((e) => ({ ...e, [`${kind}\u0000${source}`]: '' }));
    }
  }

  /** The server names a refused entry as `<kind>.<source>: …` with the field `<kind>`. */
  protected rowError(row: MappingRow): string | null {
    const fault = this.saveError()?.errors.find((e) => e.field === row.kind && e.message.startsWith(`${row.kind}.${row.source}:`));
    return fault?.message ?? null;
  }

  protected fieldError(field: string): string | null {
    return this.saveError()?.errors.find((e) => e.field === field)?.message ?? null;
  }

  protected async save(): Promise<void> {
    const stored = this.stored();
    if (stored === null) {
      return;
    }
    const mappings: ResourceMappings = {
      vcenterGuid: stored.vcenterGuid,
      networks: {},
      testNetworks: {},
      datastores: {},
      folder: this.folder() === '' ? null : this.folder(),
      resourcePool: this.pool().trim() === '' ? null : this.pool().trim(),
    };
    for (const row of this.rows()) {
      if (row.target !== '') {
        (mappings[row.kind] as Record<string, string>)[row.source] = row.target;
      }
    }
    this.saving.set(true);
    this.saveError.set(null);
    this.savedAt.set(null);
    try {
      const answer = await this.api.saveMappings(this.siteId(), mappings, this.aborter.signal);
      this.stored.set(answer.mappings);
      this.edits.set({});
      this.unused.set(answer.unused);
      this.savedAt.set(answer.updatedAt);
      this.saved.emit();
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.saveError.set(e));
    } finally {
      this.saving.set(false);
    }
  }

  private async load(): Promise<void> {
    try {
      const [mappings, targets] = await Promise.all([this.api.mappings(this.siteId(), this.aborter.signal), this.api.mappingTargets(this.siteId(), this.aborter.signal)]);
      this.stored.set(mappings.mappings);
      this.targets.set(targets);
      this.folder.set(mappings.mappings.folder ?? '');
      this.pool.set(mappings.mappings.resourcePool ?? '');
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.loadError.set(e));
    } finally {
      this.loading.set(false);
    }
  }
}
