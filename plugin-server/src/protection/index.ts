// Lifeline's protection use case: protection policies and their assignment to VMs, the backup
// scheduler that keeps every protected VM within its RPO (a pure planner plus a driver on the job
// runner), and RPO compliance with change events. The backup pipeline plugs in as the 'backup'
// job kind and as the RestorePointSource/VmPlacementSource the scheduler reads.
// An use case of the server's layers; how it fits with the rest: docs/architecture.md.
export {
  validatePolicy,
  parsePolicy,
  isWithinWindows,
  PolicyValidationError,
  RPO_MIN_SECONDS,
  RPO_MAX_SECONDS,
  RETENTION_MAX,
  IMMUTABILITY_DEFAULT_DAYS,
  IMMUTABILITY_MIN_DAYS,
  IMMUTABILITY_MAX_DAYS,
  WEEKDAYS,
} from './policy.js';
export type { BackupWindow, ConsistencyMode, ExcludedDisk, PolicyFieldError, PolicySpec, PolicyValidation, ProtectionPolicy, QuiesceFailureAction, Retention, Weekday } from './policy.js';
export type { PolicyStore, VmProtection } from './policy-store-type.js';
export { SqlitePolicyStore } from './policy-store.js';
export type { SqlitePolicyStoreOptions } from './policy-store.js';
export { assessRpo } from './rpo-compliance.js';
export type { RpoAssessment, RpoInput, RpoStatus } from './rpo-compliance.js';
export { planBackups, dueAgeSeconds, failureCoolDownSeconds, stableFraction, DEFAULT_PLAN_OPTIONS } from './scheduler-planner.js';
export type { BackupPlan, PlannedBackup, PlanOptions, ScheduleCandidate, SkipReason, SkippedVm } from './scheduler-planner.js';
export { ProtectionScheduler, BACKUP_JOB_KIND, DATASTORE_CLASS, HOST_CLASS, estimateDuration, planningDuration } from './scheduler-driver.js';
export type { BackupJobParams, ProtectionSchedulerOptions, RestorePointSource, RpoChange, RpoCompliance, TickReport, VmPlacementSource } from './scheduler-driver.js';
export { assessFeasibility } from './feasibility.js';
export type { FeasibilityReason, FeasibilityReport, FeasibilityVm, PolicyFeasibility, SlotLimits, VmFeasibility } from './feasibility.js';
export { runBackup, snapshotNameFor, removeBackupSnapshot, BackupError } from './backup-pipeline.js';
export type { BackupCheckpoint, BackupContext, BackupDeps, BackupErrorCode, BackupPolicy, BackupRequest, BackupResult, BackupVcenter, DiskBackupStats } from './backup-pipeline.js';
export { planDiskReads, fallbackPlan, isExcluded } from './backup-plan.js';
export type { DiskReadMode, DiskReadPlan, PlanBase, PlanInput } from './backup-plan.js';
export { SnapshotDiskReader, flatExtentOf } from './backup-disk-reader.js';
export type { RangeReader } from './backup-disk-reader.js';
export { createBackupJobHandler, isTransientBackupError } from './backup-job.js';
export type { BackupDestination, BackupJobDeps, VcenterProvider } from './backup-job.js';
export { OrphanSnapshotSweeper, planOrphanSweep, sweepOrphanSnapshots, DEFAULT_UNKNOWN_JOB_GRACE_MS } from './backup-orphans.js';
export type { FoundSnapshot, OrphanSweeperOptions, SweepDecision, SweepJobs, SweepReport, SweepVcenter } from './backup-orphans.js';
export { StoreRestorePointSource } from './backup-points.js';
export {
  createMaintenanceJobHandler,
  DEFAULT_VERIFY_PERCENT,
  keepRulesOf,
  MAINTENANCE_JOB_KIND,
  MAINTENANCE_TARGET,
  MaintenanceDamageError,
  nextDailyRun,
  parseMaintenanceParams,
  startMaintenanceSchedule,
} from './repository-maintenance.js';
export type { MaintenanceDeps, MaintenanceParams, MaintenanceResult, MaintenanceSchedule, MaintenanceScheduleOptions, MaintenanceStep } from './repository-maintenance.js';
export { createRetentionJobHandler, MAX_RETENTION_YEARS, parseRetentionParams, RETENTION_JOB_KIND } from './retention-job.js';
export type { RetentionParams, RetentionResult } from './retention-job.js';
export { memoryBudget, describeMemoryBudget, FIXED_MIB } from './memory-budget.js';
export type { MemoryBudget, MemoryBudgetInput } from './memory-budget.js';
