/**
 * Every error code Lifeline throws, as one union, so that the API edge's table of HTTP statuses
 * (api/problem.ts) is checked by the compiler to cover them all and a misspelt code does not
 * compile. A code is part of the contract with clients, the CLI's exit messages and the job log:
 * add new ones here, in the group of the part that throws them, and never reuse one for another
 * meaning. Codes stored with finished jobs (`job-failed`, `interrupted`, …) are listed with the
 * job runner's.
 */

/** Anyone's: bad input, a missing thing, a state that forbids the request now. */
export type CommonCode = 'validation' | 'not-found' | 'conflict' | 'aborted';

/** The API edge and authentication. */
export type ApiCode =
  | 'bad-request'
  | 'unauthenticated'
  | 'forbidden'
  | 'method-not-allowed'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'internal'
  | 'vcenter-unknown'
  | 'vcenter-unreachable'
  | 'vcenter-error'
  | 'vcenter-not-configured'
  | 'backup-unavailable'
  | 'shutting-down'
  | 'demo-login-failed';

/** The job runner, including the codes it records on jobs that end. */
export type JobCode =
  | 'busy'
  | 'job-finished'
  | 'job-kind-duplicate'
  | 'job-kind-unknown'
  | 'job-timeout'
  | 'job-failed'
  | 'queue-full'
  | 'runner-stopped'
  | 'runner-started'
  | 'shutdown'
  | 'cancelled'
  | 'interrupted'
  | 'schema-too-new'
  | 'schema-invalid';

/** The backup repository (store/, catalog/). */
export type StoreCode =
  /** An object the caller named does not exist in the backend. Permanent. */
  | 'object-not-found'
  /** A retention lock forbids deleting or altering the object or restore point before a time. */
  | 'retention-locked'
  /** A request to shorten a retention lock; locks only ever grow. */
  | 'retention-shorten-refused'
  /** The clock reads earlier than a time the repository already recorded. */
  | 'clock-went-backwards'
  /** A chunk did not decode or its digest did not match its id. */
  | 'chunk-corrupt'
  /** A fixed index whose header, size or checksum is wrong. */
  | 'index-invalid'
  /** A restore point manifest that fails its authentication or does not parse. */
  | 'manifest-invalid'
  /** The passphrase does not unlock any key of the repository. */
  | 'wrong-passphrase'
  /** An encrypted repository was opened without a passphrase. */
  | 'passphrase-required'
  /** The directory holds no repository, or one this version cannot read. */
  | 'not-a-repository'
  | 'repository-exists'
  | 'unsupported-format'
  /** Another maintenance operation holds the repository (one GC at a time). */
  | 'repository-busy'
  /** The catalog file exists but cannot be opened as a catalog. */
  | 'catalog-unreadable'
  /** A catalog row says something about a restore point that its sealed manifest does not. */
  | 'catalog-integrity'
  | 'catalog-too-new'
  | 'catalog-too-old'
  | 'point-not-found'
  /** A restore point a restore, export or maintenance is using. */
  | 'point-in-use'
  | 'invalid-range'
  | 'invalid-key'
  /** The storage has no room for a write, or less than the room kept free for maintenance. */
  | 'store-full'
  /**
   * The storage failed an operation in a way that may pass (an I/O error, a network file system
   * gone for a moment): the backend stack retries it (store/backend/retrying-backend.ts).
   */
  | 'backend-io'
  /** The storage refused an operation in a way that will not pass by trying again (permissions, a read-only file system). */
  | 'backend-refused'
  /** A codec worker failed (compression, encryption) or died. */
  | 'codec-failed';

/** Disk export formats. */
export type ExportCode =
  /** A chunk the point references is not in the repository. */
  | 'chunk-missing'
  /** The disk is too large for the format asked for. */
  | 'export-too-large';

/** The vSphere adapter. */
export type VsphereCode =
  | 'vsphere-fault'
  | 'vsphere-task-failed'
  | 'vsphere-thumbprint-mismatch'
  | 'vsphere-login-failed'
  | 'vsphere-unreachable'
  | 'vsphere-protocol'
  | 'vsphere-wsdl-missing'
  | 'vsphere-file-not-found'
  | 'vsphere-datastore-http'
  | 'vm-not-found';

/** Protection: policies, backups, maintenance. */
export type ProtectionCode =
  | 'policy-name-taken'
  | 'policy-in-use'
  | 'vm-paused'
  | 'not-protected'
  | 'backup-quiesce-failed'
  | 'backup-pre-hook-failed'
  | 'backup-no-disks'
  | 'backup-vm-unplaced'
  | 'backup-disk-unsupported'
  | 'repository-damaged';

/** Pre/post snapshot scripts. */
export type HookCode = 'hook-failed' | 'hook-timeout' | 'hook-set-missing' | 'script-start' | 'script-timeout' | 'script-failed';

/** Recovery: restores, reverts, attachments. */
export type RecoveryCode =
  /** A chunk of the point failed verification while it was read; the restore stopped. */
  | 'restore-chunk-corrupt'
  /** A chunk the point references is not in the repository. */
  | 'restore-chunk-missing'
  /** The datastore upload of a restored disk failed. */
  | 'restore-upload-failed'
  /** The VM's disks are not what the operation expects (changed since the point, or by hand). */
  | 'restore-vm-changed'
  /** Undoing a failed operation failed too; what is left is named in the message. */
  | 'restore-rollback-failed'
  | 'recovery-state-invalid'
  | 'cleanup-timeout';

/** Registering the plugin with vCenter. */
export type RegistrationCode = 'registration-server-unreachable' | 'registration-server-thumbprint-mismatch' | 'registration-exists' | 'registration-missing' | 'registration-vanished' | 'registration-no-manifest' | 'registration-server-thumbprint-unconfirmed';

/** Site pairing and the site listener (sites/). */
export type SiteCode =
  /** A site request from a certificate that is not a paired peer's. */
  | 'site-not-paired'
  /** Already paired with that site (its certificate, address or name). */
  | 'site-paired'
  /** A pairing code that this site did not issue, that expired or that was used; the message says which. */
  | 'pairing-code-invalid'
  /** The peer's site listener could not be reached. */
  | 'site-unreachable'
  /** The peer presents another certificate than the one confirmed, or the pairing proof does not match the certificates. */
  | 'site-thumbprint-mismatch'
  /** The peer answered with something other than what the site protocol says. */
  | 'site-error';

/** Configuration and the server's own files. */
export type ConfigCode = 'config-invalid' | 'secret-file-exposed' | 'store-passphrase-missing' | 'tls-invalid' | 'tls-incomplete';

/** Replication of restore points to a paired DR site (replication/). */
export type ReplicationCode =
  /** The DR site holds no replica repository of this source yet; the source sends its seed. */
  | 'replica-missing'
  /** A policy names a replication site this server is not paired with. */
  | 'replication-site-unknown'
  /** The link to the DR site failed (connection refused or cut, a timeout, a 5xx answer). */
  | 'replication-link-failed'
  /** The DR site refused a request for good (4xx, e.g. no longer paired). */
  | 'replication-refused';

/** Disaster recovery at the DR site (dr/). */
export type DrCode =
  /** A replicated VM's network or datastore has no resource mapping; the message names each one missing. */
  | 'dr-mapping-missing'
  /** Steps of a recovery plan run (or its clean-up) failed; the message names each. */
  | 'dr-plan-step-failed'
  /** A planned migration needs the source site, which cannot be reached; the message says to fail over in mode disaster. */
  | 'dr-source-unreachable'
  /** The source site refuses a planned migration: the asking site is not the DR site the VM replicates to, or the request is wrong. */
  | 'dr-planned-refused'
  /** The source site's last backup for a planned migration failed; nothing started at the DR site; the message names the VM's power state. */
  | 'dr-planned-backup-failed'
  /** The source site's last replication for a planned migration failed; the message names the VM's power state. */
  | 'dr-planned-replication-failed'
  /** The source site's part of a planned migration failed; nothing was started at the DR site. */
  | 'dr-planned-source-failed'
  /** The source site refused a failback (the VM unknown there, a name taken, not its DR site): nothing was changed. */
  | 'dr-failback-refused'
  /** The source site could not recover the point a failback sent back (its error in the message). */
  | 'dr-failback-source-failed'
  /** A failback cut by a stop of Lifeline before the source site was asked to recover its point: rolled back at the next start (the message says what was undone). */
  | 'dr-failback-interrupted';

/** Copies of restore points on object storage (object-copy/). */
export type ObjectCopyCode =
  /** A policy asks for copies on object storage and the server has none configured (copyS3). */
  'object-copy-not-configured';

/** Events out: notification channels and their deliveries. */
export type EventsCode =
  /** A channel's receiver did not take an event (refused, unreachable, a non-2xx answer); the delivery is retried. */
  | 'delivery-failed';

/** Instant recovery: restore points published over NFS (nfs/). */
export type NfsCode =
  /** No publication by that id (never published, or unpublished since). */
  | 'publication-not-found'
  /** The restore point is published already, or its folder name is taken. */
  | 'publication-exists'
  /** A VM runs from the publication (an instant revert or instant recovery): unpublishing it would lose the VM's disks and writes. */
  | 'publication-in-use'
  /** The server's configuration has no NFS section: nothing is served over NFS. */
  | 'nfs-not-configured';

export type ErrorCode =
  | CommonCode
  | NfsCode
  | ReplicationCode
  | ObjectCopyCode
  | ApiCode
  | JobCode
  | StoreCode
  | ExportCode
  | VsphereCode
  | ProtectionCode
  | HookCode
  | RecoveryCode
  | RegistrationCode
  | SiteCode
  | ConfigCode
  | EventsCode
  | DrCode;
