import { ChangeDetectionStrategy, Component, DestroyRef, type OnInit, computed, inject, input, output, signal } from '@angular/core';
import { ClrModalModule } from '@clr/angular/modal';

import { LifelineApiError, reportApiError } from '../api/lifeline-api-error';
import { MessagePipe } from '../i18n/message-pipe';
import { Messages } from '../i18n/messages';
import { VsphereDatePipe } from '../i18n/vsphere-date-pipe';
import { ProblemAlert } from '../problem-alert/problem-alert';
import { DrApi } from './dr-api';
import type { MappingTargets, PlanVmOptions, RecoveryPlan, RecoveryPlanInput, ReplicatedPoint, ReplicatedVm } from './dr-api.types';

/** A VM's place in the form: its group (0: not in the plan) and its options. */
interface VmEntry {
  readonly group: number;
  readonly options: PlanVmOptions;
}

/**
 * The plan as the form holds it → the plan's body: groups in order of their numbers (gaps closed),
 * the VMs of a group in the list's order, and only the per-VM options that differ from the
 * defaults (none: no `vmOptions` at all).
 */
export function planInput(
  name: string,
  siteId: string,
  vms: readonly { id: string; entry: VmEntry }[],
  maxParallel: number,
  toolsTimeoutSeconds: number,
): RecoveryPlanInput {
  const numbers = [...new Set(vms.filter((v) => v.entry.group > 0).map((v) => v.entry.group))].sort((a, b) => a - b);
  const groups = numbers.map((n) => ({ vms: vms.filter((v) => v.entry.group === n).map((v) => v.id) }));
  const vmOptions: Record<string, PlanVmOptions> = {};
  for (const v of vms) {
    if (v.entry.group > 0 && Object.keys(v.entry.options).length > 0) {
      vmOptions[v.id] = v.entry.options;
    }
  }
  return { name, siteId, groups, maxParallel, toolsTimeoutSeconds, ...(Object.keys(vmOptions).length > 0 ? { vmOptions } : {}) };
}

/**
 * Create or edit a recovery plan: its name, the production site, the ordered groups of replicated
 * VMs (each VM is given a group number), how many VMs of a group start at once, the VMware Tools
 * wait, and per VM whether it is powered on, whether Lifeline waits for its Tools heartbeat and
 * how long, a hook set, and under *Point and mappings…* the point (the latest when the plan runs,
 * or one of the VM's replicated points, listed by the server) and overrides of the pairing's
 * mappings: networks, datastore, folder (chosen from this site's vCenter) and resource pool. The
 * server checks it all and names the field it refuses; each refusal is shown beside its VM.
 */
@Component({
  selector: 'll-plan-form',
  imports: [ClrModalModule, MessagePipe, ProblemAlert, VsphereDatePipe],
  template: `
    <clr-modal [clrModalOpen]="true" (clrModalOpenChange)="closed.emit()" clrModalSize="lg">
      <h3 class="modal-title">{{ (plan() ? 'dr.plans.edit.title' : 'dr.plans.create.title') | msg: { name: plan()?.name ?? '' } }}</h3>
      <div class="modal-body ll-plan-form">
        <ll-problem-alert class="ll-plan-form-error" [error]="error()" [showFieldErrors]="true" />
        <form class="clr-form clr-form-horizontal" (submit)="$event.preventDefault(); save()">
          <div class="clr-form-control">
            <label class="clr-control-label" for="ll-plan-name">{{ 'dr.plans.name' | msg }}</label>
            <input id="ll-plan-name" class="clr-input ll-plan-name-input" type="text" [value]="name()" (input)="name.set($any($event.target).value)" />
          </div>
          <div class="clr-form-control">
            <label class="clr-control-label" for="ll-plan-site">{{ 'dr.plans.site' | msg }}</label>
            <div class="clr-select-wrapper">
              <select id="ll-plan-site" class="clr-select ll-plan-site" [value]="siteId()" [disabled]="plan() !== null" (change)="chooseSite($any($event.target).value)">
                @for (s of sites(); track s.id) {
                  <option [value]="s.id" [selected]="s.id === siteId()">{{ s.name }}</option>
                }
              </select>
            </div>
          </div>
          <div class="clr-form-control">
            <label class="clr-control-label" for="ll-plan-parallel">{{ 'dr.plans.maxParallel' | msg }}</label>
            <input id="ll-plan-parallel" class="clr-input ll-plan-parallel" type="number" min="1" max="16" [value]="maxParallel()" (input)="maxParallel.set(+$any($event.target).value)" />
          </div>
          <div class="clr-form-control">
            <label class="clr-control-label" for="ll-plan-tools">{{ 'dr.plans.toolsTimeout' | msg }}</label>
            <input id="ll-plan-tools" class="clr-input ll-plan-tools" type="number" min="0" max="3600" [value]="toolsTimeout()" (input)="toolsTimeout.set(+$any($event.target).value)" />
          </div>
        </form>
        <h5>{{ 'dr.plans.vms' | msg }}</h5>
        <p class="ll-hint">{{ 'dr.plans.groupsHint' | msg }}</p>
        <table class="table table-compact ll-plan-vms">
          <thead>
            <tr>
              <th class="left">{{ 'dr.replicated.vm' | msg }}</th>
              <th class="left">{{ 'dr.plans.group' | msg }}</th>
              <th class="left">{{ 'dr.plans.powerOn' | msg }}</th>
              <th class="left">{{ 'dr.plans.waitForTools' | msg }}</th>
              <th class="left">{{ 'dr.plans.vmToolsTimeout' | msg }}</th>
              <th class="left">{{ 'dr.plans.hookSet' | msg }}</th>
              <th class="left">{{ 'dr.plans.pointAndMappings' | msg }}</th>
            </tr>
          </thead>
          <tbody>
            @for (vm of vms(); track vm.vm.id) {
              <tr class="ll-plan-vm" [attr.data-vm-id]="vm.vm.id">
                <td class="left ll-plan-vm-name">{{ vm.vm.name }}</td>
                <td class="left">
                  <input class="clr-input ll-plan-vm-group" type="number" min="0" max="50" [attr.aria-label]="vm.vm.name" [value]="entry(vm.vm.id).group" (input)="setGroup(vm.vm.id, +$any($event.target).value)" />
                </td>
                <td class="left">
                  <input type="checkbox" class="ll-plan-vm-power" [checked]="entry(vm.vm.id).options.powerOn !== false" (change)="setOption(vm.vm.id, 'powerOn', $any($event.target).checked ? undefined : false)" />
                </td>
                <td class="left">
                  <input type="checkbox" class="ll-plan-vm-tools" [checked]="entry(vm.vm.id).options.waitForTools !== false" (change)="setOption(vm.vm.id, 'waitForTools', $any($event.target).checked ? undefined : false)" />
                </td>
                <td class="left">
                  <input class="clr-input ll-plan-vm-timeout" type="number" min="0" max="3600" [placeholder]="'dr.plans.planDefault' | msg" [value]="entry(vm.vm.id).options.toolsTimeoutSeconds ?? ''" (input)="setOption(vm.vm.id, 'toolsTimeoutSeconds', $any($event.target).value === '' ? undefined : +$any($event.target).value)" />
                </td>
                <td class="left">
                  <input class="clr-input ll-plan-vm-hooks" type="text" [placeholder]="'dr.plans.noHookSet' | msg" [value]="entry(vm.vm.id).options.hookSet ?? ''" (input)="setOption(vm.vm.id, 'hookSet', $any($event.target).value.trim() === '' ? undefined : $any($event.target).value.trim())" />
                </td>
                <td class="left">
                  <button type="button" class="btn btn-link btn-sm ll-plan-vm-more" [attr.aria-expanded]="open() === vm.vm.id" (click)="toggle(vm.vm.id)">{{ summary(vm.vm.id) }}</button>
                </td>
              </tr>
              @for (e of vmErrors(vm.vm.id); track $index) {
                <tr class="ll-plan-vm-error-row">
                  <td colspan="7" class="left"><span class="ll-plan-vm-error">{{ e }}</span></td>
                </tr>
              }
              @if (open() === vm.vm.id) {
                <tr class="ll-plan-vm-details" [attr.data-vm-id]="vm.vm.id">
                  <td colspan="7" class="left">
                    <div class="ll-plan-vm-detail">
                      <label>{{ 'dr.plans.point' | msg }}
                        <select class="clr-select ll-plan-vm-point" (change)="setOption(vm.vm.id, 'point', $any($event.target).value === '' ? undefined : $any($event.target).value)">
                          <option value="" [selected]="!entry(vm.vm.id).options.point || entry(vm.vm.id).options.point === 'latest'">{{ 'dr.plans.pointLatest' | msg }}</option>
                          @for (p of points()[vm.vm.id] ?? []; track p.id) {
                            <option [value]="p.id" [selected]="entry(vm.vm.id).options.point === p.id">{{ p.createdAt | date: 'medium' }}</option>
                          }
                          @if (unlistedPoint(vm.vm.id); as id) {
                            <option [value]="id" selected>{{ id }}</option>
                          }
                        </select>
                      </label>
                      <label>{{ 'dr.plans.datastore' | msg }}
                        <select class="clr-select ll-plan-vm-datastore" (change)="setOption(vm.vm.id, 'datastore', $any($event.target).value === '' ? undefined : $any($event.target).value)">
                          <option value="" [selected]="entry(vm.vm.id).options.datastore === undefined">{{ 'dr.plans.pairingMapping' | msg }}</option>
                          @for (d of withCurrent(targets()?.datastores ?? [], entry(vm.vm.id).options.datastore); track d) {
                            <option [value]="d" [selected]="entry(vm.vm.id).options.datastore === d">{{ d }}</option>
                          }
                        </select>
                      </label>
                      <label>{{ 'dr.plans.folder' | msg }}
                        <select class="clr-select ll-plan-vm-folder" (change)="setOption(vm.vm.id, 'folder', $any($event.target).value === '' ? undefined : $any($event.target).value)">
                          <option value="" [selected]="entry(vm.vm.id).options.folder === undefined">{{ 'dr.plans.pairingMapping' | msg }}</option>
                          @for (f of folders(entry(vm.vm.id).options.folder); track f.moref) {
                            <option [value]="f.moref" [selected]="entry(vm.vm.id).options.folder === f.moref">{{ f.name }}</option>
                          }
                        </select>
                      </label>
                      <label>{{ 'dr.plans.pool' | msg }}
                        <input class="clr-input ll-plan-vm-pool" type="text" [placeholder]="'dr.plans.pairingMapping' | msg" [value]="entry(vm.vm.id).options.pool ?? ''" (input)="setOption(vm.vm.id, 'pool', $any($event.target).value.trim() === '' ? undefined : $any($event.target).value.trim())" />
                      </label>
                    </div>
                    <div class="ll-plan-vm-networks">
                      <span>{{ 'dr.plans.networks' | msg }}</span>
                      @for (n of networkOverrides(vm.vm.id); track n[0]) {
                        <div class="ll-plan-vm-net">
                          <span class="ll-plan-vm-net-text">{{ n[0] }} → {{ n[1] }}</span>
                          <button type="button" class="btn btn-link btn-sm ll-plan-vm-net-remove" (click)="removeNetwork(vm.vm.id, n[0])">{{ 'dr.plans.removeOverride' | msg }}</button>
                        </div>
                      }
                      <div class="ll-plan-vm-net-new">
                        <input class="clr-input ll-plan-vm-net-source" type="text" [placeholder]="'dr.plans.sourceNetwork' | msg" [value]="newSource()" (input)="newSource.set($any($event.target).value)" />
                        <select class="clr-select ll-plan-vm-net-target" (change)="newTarget.set($any($event.target).value)">
                          <option value="" [selected]="newTarget() === ''">{{ 'dr.plans.chooseNetwork' | msg }}</option>
                          @for (t of targets()?.networks ?? []; track t) {
                            <option [value]="t" [selected]="newTarget() === t">{{ t }}</option>
                          }
                        </select>
                        <button type="button" class="btn btn-outline btn-sm ll-plan-vm-net-add" (click)="addNetwork(vm.vm.id)">{{ 'dr.plans.addOverride' | msg }}</button>
                      </div>
                      @if (networkProblem(); as problem) {
                        <div class="ll-plan-vm-net-invalid">{{ problem | msg }}</div>
                      }
                      <p class="ll-hint">{{ 'dr.plans.networksHint' | msg }}</p>
                    </div>
                  </td>
                </tr>
              }
            } @empty {
              <tr>
                <td colspan="7" class="left ll-hint">{{ 'dr.replicated.none' | msg }}</td>
              </tr>
            }
          </tbody>
        </table>
        <p class="ll-hint ll-plan-summary">{{ 'dr.plans.summary' | msg: { groups: groupCount(), vms: vmCount() } }}</p>
      </div>
      <div class="modal-footer">
        <button type="button" class="btn btn-outline ll-plan-cancel" (click)="closed.emit()">{{ 'action.cancel' | msg }}</button>
        <button type="button" class="btn btn-primary ll-plan-save" [disabled]="busy() || siteId() === ''" (click)="save()">{{ 'dr.plans.save' | msg }}</button>
      </div>
    </clr-modal>
  `,
  styles: `
    .ll-plan-vms input[type='number'] {
      width: 5rem;
    }
    .ll-plan-vm-detail label {
      margin-right: 1rem;
    }
    .ll-plan-vm-error,
    .ll-plan-vm-net-invalid {
      color: var(--clr-color-danger-700, #c21d00);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PlanForm implements OnInit {
  private readonly api = inject(DrApi);
  private readonly text = inject(Messages);
  private readonly aborter = new AbortController();

  /** The plan edited; null: a new one. */
  readonly plan = input<RecoveryPlan | null>(null);
  /** The production sites that replicate here. */
  readonly sites = input.required<readonly { id: string; name: string }[]>();
  readonly saved = output<RecoveryPlan>();
  readonly closed = output<void>();

  protected readonly name = signal('');
  protected readonly siteId = signal('');
  protected readonly maxParallel = signal(4);
  protected readonly toolsTimeout = signal(300);
  protected readonly vms = signal<readonly ReplicatedVm[]>([]);
  private readonly entries = signal<Readonly<Record<string, VmEntry>>>({});
  protected readonly busy = signal(false);
  protected readonly error = signal<LifelineApiError | null>(null);

  /** The VM whose point and mappings are shown, and what they are chosen from. */
  protected readonly open = signal<string | null>(null);
  protected readonly points = signal<Readonly<Record<string, readonly ReplicatedPoint[]>>>({});
  protected readonly targets = signal<MappingTargets | null>(null);
  protected readonly newSource = signal('');
  protected readonly newTarget = signal('');
  protected readonly networkProblem = signal<'dr.plans.overrideIncomplete' | null>(null);

  protected readonly groupCount = computed(() => new Set(Object.values(this.entries()).filter((e) => e.group > 0).map((e) => e.group)).size);
  protected readonly vmCount = computed(() => Object.values(this.entries()).filter((e) => e.group > 0).length);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.aborter.abort());
  }

  ngOnInit(): void {
    const plan = this.plan();
    if (plan !== null) {
      this.name.set(plan.name);
      this.maxParallel.set(plan.maxParallel);
      this.toolsTimeout.set(plan.toolsTimeoutSeconds);
      const entries: Record<string, VmEntry> = {};
      plan.groups.forEach((g, i) => g.vms.forEach((id) => (entries[id] = { group: i + 1, options: { ...(plan.vmOptions?.[id] ?? {}) } })));
      this.entries.set(entries);
    }
    void this.chooseSite(plan?.peerId ?? this.sites()[0]?.id ?? '', plan !== null);
  }

  protected entry(vmId: string): VmEntry {
    return this.entries()[vmId] ?? { group: 0, options: {} };
  }

  /** Each refusal of the server that names this VM's options (`vmOptions.<vmId>…`). */
  protected vmErrors(vmId: string): string[] {
    const prefix = `vmOptions.${vmId}`;
    return (this.error()?.errors ?? []).filter((e) => e.field === prefix || e.field.startsWith(`${prefix}.`)).map((e) => e.message);
  }

  /** The VM's point and how many mappings it overrides, as its button says it. */
  protected summary(vmId: string): string {
    const o = this.entry(vmId).options;
    const point = this.text.text(o.point === undefined || o.point === 'latest' ? 'dr.plans.summaryLatest' : 'dr.plans.summaryPoint');
    const overrides = Object.keys(o.networks ?? {}).length + (o.datastore !== undefined ? 1 : 0) + (o.folder !== undefined ? 1 : 0) + (o.pool !== undefined ? 1 : 0);
    return overrides > 0 ? this.text.text('dr.plans.summaryOverrides', { point, n: overrides }) : point;
  }

  /** Shows (or hides) a VM's point and mappings; its points and this site's targets are read the first time. */
  protected async toggle(vmId: string): Promise<void> {
    this.open.set(this.open() === vmId ? null : vmId);
    this.newSource.set('');
    this.newTarget.set('');
    this.networkProblem.set(null);
    if (this.open() !== vmId) {
      return;
    }
    try {
      if (this.targets() === null) {
        this.targets.set(await this.api.mappingTargets(this.siteId(), this.aborter.signal));
      }
      if (this.points()[vmId] === undefined) {
        const list = await this.api.replicatedPoints(this.siteId(), vmId, this.aborter.signal);
        this.points.update((p) => ({ ...p, [vmId]: list }));
      }
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.error.set(e));
    }
  }

  /** A point the plan names that the server no longer lists (pruned): kept shown, so the refusal is understood. */
  protected unlistedPoint(vmId: string): string | null {
    const point = this.entry(vmId).options.point;
    const listed = this.points()[vmId];
    return point !== undefined && point !== 'latest' && listed !== undefined && !listed.some((p) => p.id === point) ? point : null;
  }

  protected withCurrent(names: readonly string[], current: string | undefined): string[] {
    return current === undefined || names.includes(current) ? [...names] : [...names, current];
  }

  protected folders(current: string | undefined): { moref: string; name: string }[] {
    const listed = this.targets()?.folders ?? [];
    return current === undefined || listed.some((f) => f.moref === current) ? [...listed] : [...listed, { moref: current, name: current }];
  }

  protected networkOverrides(vmId: string): [string, string][] {
    return Object.entries(this.entry(vmId).options.networks ?? {});
  }

  protected addNetwork(vmId: string): void {
    const source = this.newSource().trim();
    const target = this.newTarget();
    if (source === '' || target === '') {
      this.networkProblem.set('dr.plans.overrideIncomplete');
      return;
    }
    this.networkProblem.set(null);
    this.setOption(vmId, 'networks', { ...(this.entry(vmId).options.networks ?? {}), [source]: target });
    this.newSource.set('');
    this.newTarget.set('');
  }

  protected removeNetwork(vmId: string, source: string): void {
    const rest = { ...(this.entry(vmId).options.networks ?? {}) };
    delete rest[source];
    this.setOption(vmId, 'networks', Object.keys(rest).length > 0 ? rest : undefined);
  }

  protected setGroup(vmId: string, group: number): void {
    const g = Number.isInteger(group) && group > 0 ? group : 0;
    this.entries.update((e) => ({ ...e, [vmId]: { ...this.entry(vmId), group: g } }));
  }

  protected setOption<K extends keyof PlanVmOptions>(vmId: string, key: K, value: PlanVmOptions[K] | undefined): void {
    const options: Record<string, unknown> = { ...this.entry(vmId).options };
    if (value === undefined || (typeof value === 'number' && Number.isNaN(value))) {
      delete options[key];
    } else {
      options[key] = value;
    }
    this.entries.update((e) => ({ ...e, [vmId]: { ...this.entry(vmId), options: options as PlanVmOptions } }));
  }

  protected async chooseSite(siteId: string, keep = false): Promise<void> {
    this.siteId.set(siteId);
    if (!keep) {
      this.entries.set({});
    }
    if (siteId === '') {
      this.vms.set([]);
      return;
    }
    try {
      this.vms.set(await this.api.replicatedVms(siteId, this.aborter.signal));
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.error.set(e));
    }
  }

  protected async save(): Promise<void> {
    const entries = this.entries();
    const body = planInput(
      this.name().trim(),
      this.siteId(),
      this.vms().map((v) => ({ id: v.vm.id, entry: entries[v.vm.id] ?? { group: 0, options: {} } })),
      this.maxParallel(),
      this.toolsTimeout(),
    );
    this.busy.set(true);
    this.error.set(null);
    try {
      const plan = this.plan();
      this.saved.emit(plan === null ? await this.api.createPlan(body, this.aborter.signal) : await this.api.updatePlan(plan.id, body, this.aborter.signal));
    } catch (error: unknown) {
      reportApiError(error, this.aborter.signal, (e) => this.error.set(e));
    } finally {
      this.busy.set(false);
    }
  }
}
