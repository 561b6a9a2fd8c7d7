/**
 * Lifeline's API types, generated from its OpenAPI document (plugin-server/src/api/openapi) by
 * `npm run openapi:types`. Do not edit: change the document and generate it again;
 * a spec fails while this file is stale.
 * The readers beside this file check untrusted answers and give them these types.
 */

export interface paths {
    readonly "/api/v1/health": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Whether the server answers
         * @description Needs no session; says nothing about vCenters, users or backups.
         */
        readonly get: operations["getHealth"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/openapi.json": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * This document
         * @description Needs no session: the contract is public, what it describes is not.
         */
        readonly get: operations["getOpenApiDocument"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vcenters": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * The vCenter of the caller's session, by name
         * @description The vCenter the session is for (named by lifeline-vc-guid, or the only one configured), with the host name of its configured URL as its name. A session vCenter accepts; no privilege.
         */
        readonly get: operations["listVcenters"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * The vCenter's VMs as the caller sees them
         * @description System.Read on the inventory root; sorted by name, then moref.
         */
        readonly get: operations["listVms"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/capabilities": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * What the caller may do at the inventory root
         * @description System.Read on the inventory root of the session's vCenter; the same answer as a VM's, for the root.
         */
        readonly get: operations["getRootCapabilities"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/capabilities": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * What the caller may do on the VM
         * @description System.Read on the VM.
         */
        readonly get: operations["getVmCapabilities"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/hook-sets": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Hook sets a policy may choose
         * @description Names only, never commands. System.Read on the inventory root.
         */
        readonly get: operations["listHookSets"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/policies": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Protection policies
         * @description System.Read on the inventory root.
         */
        readonly get: operations["listPolicies"];
        readonly put?: never;
        /**
         * Create a policy
         * @description Lifeline's Admin privilege on the inventory root. A 400 lists every field at fault.
         */
        readonly post: operations["createPolicy"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/policies/{id}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly id: components["parameters"]["policyId"];
            };
            readonly cookie?: never;
        };
        /** One policy */
        readonly get: operations["getPolicy"];
        /**
         * Replace a policy
         * @description Lifeline's Admin privilege.
         */
        readonly put: operations["replacePolicy"];
        readonly post?: never;
        /**
         * Delete a policy
         * @description Refused while VMs use it (409 policy-in-use). Lifeline's Admin privilege.
         */
        readonly delete: operations["deletePolicy"];
        readonly options?: never;
        readonly head?: never;
        /**
         * Change some fields of a policy
         * @description An RFC 7396 merge patch (application/merge-patch+json or application/json). Lifeline's Admin privilege.
         */
        readonly patch: operations["patchPolicy"];
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/protection": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        /**
         * A VM's policy, schedule and RPO compliance
         * @description System.Read on the VM.
         */
        readonly get: operations["getVmProtection"];
        /**
         * Assign a policy to the VM
         * @description Lifeline's Protect privilege on the VM.
         */
        readonly put: operations["assignPolicy"];
        readonly post?: never;
        /**
         * Remove the VM's protection
         * @description Lifeline's Protect privilege; 409 not-protected when it has none.
         */
        readonly delete: operations["unassignPolicy"];
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/replication": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        /**
         * The VM's replication to its policy's DR site
         * @description System.Read on the VM. The last replicated restore point, the lag (RPO achieved at the DR site) and whether the policy's RPO is met there.
         */
        readonly get: operations["getVmReplication"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/failed-over": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        /**
         * Whether the VM was failed over to its DR site by a planned migration (at the source site)
         * @description System.Read on the VM. While marked, this site does not back the VM up and "back up now" refuses it (409 vm-paused).
         */
        readonly get: operations["getVmFailedOver"];
        readonly put?: never;
        readonly post?: never;
        /**
         * Clear the "failed over" mark: this site protects the VM again
         * @description Lifeline's Admin privilege on the VM. 404 when the VM is not marked.
         */
        readonly delete: operations["clearVmFailedOver"];
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/events": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        /**
         * The VM's recent events, newest first
         * @description System.Read on the VM. Every event Lifeline recorded about the VM (backup, RPO, restore outcomes), whichever notification channels are configured.
         */
        readonly get: operations["listVmEvents"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/backup": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Back up now
         * @description Lifeline's Protect privilege on the VM. A backup already queued or running is returned (created false); another job on the VM is 409 busy.
         */
        readonly post: operations["backUpNow"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/compliance": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * RPO compliance of every protected VM
         * @description System.Read on the inventory root.
         */
        readonly get: operations["listCompliance"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/jobs": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Jobs, newest first
         * @description System.Read on the inventory root. At most 500 per page.
         */
        readonly get: operations["listJobs"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/jobs/{id}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * One job, with the last lines of its log
         * @description System.Read on the job's VM, else the inventory root.
         */
        readonly get: operations["getJob"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/jobs/{id}/cancel": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Cancel a job
         * @description The privilege of its kind (backup: Protect, restore: Restore, else Admin).
         */
        readonly post: operations["cancelJob"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/jobs/{id}/events": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * One job's events
         * @description Ends once the job has ended (and cleaned up).
         */
        readonly get: operations["streamJobEvents"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/events": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Every job's events
         * @description System.Read on the inventory root.
         */
        readonly get: operations["streamEvents"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/points": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * A VM's restore points, newest first
         * @description System.Read on the VM.
         */
        readonly get: operations["listVmPoints"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/points/{pointId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
            };
            readonly cookie?: never;
        };
        /**
         * One restore point with its stored VM configuration
         * @description System.Read on the point's VM.
         */
        readonly get: operations["getPoint"];
        readonly put?: never;
        readonly post?: never;
        /**
         * Delete a restore point past its retain-until
         * @description Lifeline's Admin privilege. 409 retention-locked before its retain-until, point-in-use while read; 503 repository-busy during maintenance.
         */
        readonly delete: operations["deletePoint"];
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/publications": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Restore points published over NFS
         * @description System.Read on the inventory root. 503 nfs-not-configured when the server has no NFS section.
         */
        readonly get: operations["listPublications"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/instant-revert": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        /**
         * The VM's instant revert, if it runs from a restore point
         * @description System.Read on the VM. 503 nfs-not-configured is not answered here: a server without NFS shows no instant revert.
         */
        readonly get: operations["getInstantRevert"];
        readonly put?: never;
        /**
         * Run the VM from a restore point at once (instant revert)
         * @description Lifeline's Restore privilege on the VM. The point is published over NFS, the NFS datastore mounted on the VM's host, the VM's disks set aside and the published ones put in their slots, and the VM powered on; nothing is copied first. 409 conflict when the VM runs (without powerOff: true), is in a revert already or a job works on it; 503 nfs-not-configured when the server has no NFS section.
         */
        readonly post: operations["instantRevert"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/instant-revert/commit": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Make an instant revert permanent: move the disks to production storage while the VM runs
         * @description Lifeline's Restore privilege on the VM. Storage vMotion (RelocateVM_Task) of each disk to the datastore of the disk it replaced, whose progress the job reports; then the set-aside disks are deleted and the point unpublished. A cancel of the job while vCenter moves the disks cancels vCenter's relocation task: on RequestCanceled the VM runs on from the backup (state running) and the job ends cancelled; when vCenter finished first, the job completes. 404 when the VM is in no instant revert; 503 nfs-not-configured.
         */
        readonly post: operations["commitInstantRevert"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/instant-revert/cancel": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Cancel an instant revert: the VM's own disks back
         * @description Lifeline's Restore privilege on the VM. The VM is powered off, its own disks go back into their slots, what it wrote while running from the point is dropped with the publication, and it is powered on again if it ran before the revert. 404 when the VM is in no instant revert; 409 while it is being made permanent; 503 nfs-not-configured.
         */
        readonly post: operations["cancelInstantRevert"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/points/{pointId}/publication": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
            };
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Publish a restore point over NFS
         * @description Lifeline's Restore privilege on the point's VM. 409 publication-exists when the point or the folder name is published already; 503 nfs-not-configured.
         */
        readonly post: operations["publishPoint"];
        /**
         * Unpublish a restore point, dropping what NFS clients wrote to it
         * @description Lifeline's Restore privilege on the point's VM. 404 publication-not-found when the point is not published; 409 publication-in-use while a VM runs from it (an instant revert, instant new instance or instant attach: the problem names the VM and the run; end that first); 503 nfs-not-configured.
         */
        readonly delete: operations["unpublishPoint"];
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/points/{pointId}/retention": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Keep a restore point longer
         * @description Lifeline's Protect privilege. Never shorter (409 retention-shorten-refused).
         */
        readonly post: operations["extendRetention"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/points/{pointId}/disks/{disk}/raw": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * A disk's raw image
         * @description A disk's raw image. One byte range may be asked for (Range; 206 with Content-Range). A damaged point is answered 500 naming the point, disk and chunk while no byte has gone out; after that the connection is cut, never a truncated body passed off as whole.
         */
        readonly get: operations["exportRaw"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        /**
         * A disk's raw image (headers only)
         * @description A disk's raw image. One byte range may be asked for (Range; 206 with Content-Range). A damaged point is answered 500 naming the point, disk and chunk while no byte has gone out; after that the connection is cut, never a truncated body passed off as whole.
         */
        readonly head: operations["exportRawHead"];
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/points/{pointId}/disks/{disk}/vmdk": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * A disk as a stream-optimized VMDK
         * @description A disk as a stream-optimized VMDK (chunked; no ranges). Damaged points are answered as for the raw image.
         */
        readonly get: operations["exportVmdk"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        /**
         * A disk as a stream-optimized VMDK (headers only)
         * @description A disk as a stream-optimized VMDK (chunked; no ranges). Damaged points are answered as for the raw image.
         */
        readonly head: operations["exportVmdkHead"];
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/points/{pointId}/disks/{disk}/download": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * A link to download one export without a session header
         * @description Checked as the export itself (Lifeline's Restore privilege on the point's VM). The link must be followed within a minute.
         */
        readonly post: operations["issueDownloadTicket"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/downloads/{ticket}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * The export a download ticket names
         * @description No session header: the ticket is the proof, and at every use Lifeline checks Restore on the VM again with the session of the user it was issued to. Unknown and expired tickets, and tickets whose user's session has ended, are 404; a user who no longer holds Restore on the VM gets 403. Otherwise as the export the ticket was issued for.
         */
        readonly get: operations["download"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        /**
         * The export a download ticket names (headers only)
         * @description No session header: the ticket is the proof, and at every use Lifeline checks Restore on the VM again with the session of the user it was issued to. Unknown and expired tickets, and tickets whose user's session has ended, are 404; a user who no longer holds Restore on the VM gets 403. Otherwise as the export the ticket was issued for.
         */
        readonly head: operations["downloadHead"];
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/revert": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        /**
         * The VM's temporary revert, if any
         * @description System.Read on the VM.
         */
        readonly get: operations["getRevert"];
        readonly put?: never;
        /**
         * Revert the VM to a restore point (temporary)
         * @description Lifeline's Restore privilege on the VM.
         */
        readonly post: operations["revert"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/revert/cancel": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Undo a temporary revert
         * @description Lifeline's Restore privilege on the VM.
         */
        readonly post: operations["cancelRevert"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/revert/commit": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Make a revert permanent
         * @description Lifeline's Restore privilege on the VM.
         */
        readonly post: operations["commitRevert"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/points/{pointId}/instantiate": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * A new VM from a restore point
         * @description Lifeline's Restore privilege on the target folder (else the inventory root) and on the point's VM.
         */
        readonly post: operations["instantiate"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/points/{pointId}/attach": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Clone a point's disks and attach them to a VM
         * @description Lifeline's Restore privilege on the point's VM and on the target VM. The answer carries the attachmentId.
         */
        readonly post: operations["attach"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/points/{pointId}/instant-instance": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * A new VM running at once from the restore point's disks on Lifeline's NFS datastore
         * @description As instantiate: Lifeline's Restore privilege on the target folder (else the inventory root) and on the point's VM, and what vCenter demands of a user placing a VM. The datastore holds the VM's configuration files; its disks stay on the NFS datastore until migrated. 409 conflict when the point is published already; 503 nfs-not-configured.
         */
        readonly post: operations["instantInstance"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/points/{pointId}/instant-attach": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Attach the restore point's disks to a VM from Lifeline's NFS datastore
         * @description Lifeline's Restore privilege on the point's VM, Restore and VirtualMachine.Config.AddExistingDisk on the target VM. 409 conflict when the point is published already; 503 nfs-not-configured.
         */
        readonly post: operations["instantAttach"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/instant-recoveries": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Instant new instances and attachments running from the NFS datastore
         * @description System.Read on the inventory root. 503 nfs-not-configured.
         */
        readonly get: operations["listInstantRecoveries"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/instant-recoveries/{runId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * One instant new instance or attachment
         * @description System.Read on its VM.
         */
        readonly get: operations["getInstantRecovery"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/instant-recoveries/{runId}/migration-targets": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * The datastores its disks may be migrated to
         * @description System.Read on its VM. The datastores of the VM's datacenter but Lifeline's NFS datastore, by name; a migration also needs Datastore.AllocateSpace on the one chosen.
         */
        readonly get: operations["listInstantMigrationTargets"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/instant-recoveries/{runId}/migrate": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Move its disks to a production datastore while the VM runs, then drop the publication
         * @description Lifeline's Restore privilege on its VM and Datastore.AllocateSpace on the datastore, which must be one of the VM's datacenter (400 validation otherwise).
         */
        readonly post: operations["migrateInstantRecovery"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/instant-recoveries/{runId}/discard": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Remove the VM (new instance) or detach the disks (attach), and drop the publication
         * @description Lifeline's Restore privilege on its VM. The restore point is left as it was; what the guest wrote is dropped.
         */
        readonly post: operations["discardInstantRecovery"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/vms/{vmId}/attachments": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Point disks attached to the VM
         * @description System.Read on the VM.
         */
        readonly get: operations["listAttachments"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/attachments/{attachmentId}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly attachmentId: components["parameters"]["attachmentId"];
            };
            readonly cookie?: never;
        };
        /**
         * One attachment
         * @description System.Read on its VM.
         */
        readonly get: operations["getAttachment"];
        readonly put?: never;
        readonly post?: never;
        /**
         * Detach the clones and delete them
         * @description Lifeline's Restore privilege on its VM.
         */
        readonly delete: operations["detach"];
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/audit": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * The audit log, newest first
         * @description Lifeline's Admin privilege on the inventory root. Filters are exact (user without case).
         */
        readonly get: operations["listAudit"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/storage": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * What the backup store holds and saves
         * @description System.Read on the inventory root; cached for 30 s.
         */
        readonly get: operations["getStorage"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/sites": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * This site and the sites it is paired with
         * @description System.Read on the inventory root.
         */
        readonly get: operations["listSites"];
        readonly put?: never;
        /**
         * Pair with a DR site
         * @description Lifeline's Admin privilege on every vCenter the server serves. This site becomes the source, the other the target (the DR site). The DR site's certificate must have the confirmed thumbprint (409 site-thumbprint-mismatch), the code must be valid (422 pairing-code-invalid says why not); 409 site-paired when already paired with it; 502 site-unreachable.
         */
        readonly post: operations["pairSite"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/sites/pairing-codes": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Allow pairing: a one-time pairing code
         * @description Lifeline's Admin privilege on every vCenter the server serves. The code is shown once: 128 random bits, valid 15 minutes, good for one attempt; this site keeps only a hash of it.
         */
        readonly post: operations["allowPairing"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/sites/probe": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Who answers at a site address
         * @description Lifeline's Admin privilege on every vCenter the server serves. The thumbprint is that of the certificate the address presents, to compare with the one the DR site shows with its code.
         */
        readonly post: operations["probeSite"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/sites/{id}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
            };
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        readonly post?: never;
        /**
         * Unpair a site
         * @description Lifeline's Admin privilege on every vCenter the server serves. Unpairs here and tells the peer, which refuses this site from then on; when the peer cannot be reached it is unpaired here all the same.
         */
        readonly delete: operations["unpairSite"];
        readonly options?: never;
        readonly head?: never;
        /**
         * Change a pairing's replication settings
         * @description Lifeline's Admin privilege on every vCenter the server serves. Members left out keep their value. Each side changes the part it acts on: the source site bandwidthMBps, window and maxConcurrentVms, the DR site retention and immutableDays; a change to the other side's part is refused (400, naming the field).
         */
        readonly patch: operations["updateSite"];
        readonly trace?: never;
    };
    readonly "/api/v1/sites/{id}/mappings": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
            };
            readonly cookie?: never;
        };
        /**
         * A pairing's resource mappings (at the DR site)
         * @description System.Read on the inventory root. 409 when the site does not replicate to this one.
         */
        readonly get: operations["getSiteMappings"];
        /**
         * Set a pairing's resource mappings
         * @description Lifeline's Admin privilege on every vCenter the server serves. Every target must exist in this site's vCenter (400 names the one that does not).
         */
        readonly put: operations["putSiteMappings"];
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/sites/{id}/mapping-targets": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
            };
            readonly cookie?: never;
        };
        /**
         * What a pairing's mappings may name at this site
         * @description System.Read on the inventory root. The networks and datastores of the vCenter the VMs are recovered into, and its datacenters' VM folders.
         */
        readonly get: operations["getMappingTargets"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/sites/{id}/replicated-vms": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
            };
            readonly cookie?: never;
        };
        /**
         * The source site's VMs this site holds replicated points of
         * @description System.Read on the inventory root. Each with its latest point, the lag, and the mappings a failover and a drill lack.
         */
        readonly get: operations["listReplicatedVms"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/sites/{id}/replicated-vms/{vmId}/points": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
                /** @description A replicated VM's id at the source site, <vCenter UUID>:<moref> (GET /api/v1/sites/{id}/replicated-vms), URL-encoded. */
                readonly vmId: components["parameters"]["replicatedVmId"];
            };
            readonly cookie?: never;
        };
        /**
         * The replicated points of one of the source site's VMs this site holds, newest first
         * @description System.Read on the inventory root. What a failover's pointId or a recovery plan's per-VM point may name (damaged points left out); 404 when this site holds none of the VM.
         */
        readonly get: operations["listReplicatedPoints"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/replicated-vms": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * The VMs of every source site that replicates here, with their site
         * @description System.Read on the inventory root. Each with its site, its latest point, the lag, and the mappings a failover and a drill lack.
         */
        readonly get: operations["listAllReplicatedVms"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/sites/{id}/replicated-vms/{vmId}/failover": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
                /** @description A replicated VM's id at the source site, <vCenter UUID>:<moref> (GET /api/v1/sites/{id}/replicated-vms), URL-encoded. */
                readonly vmId: components["parameters"]["replicatedVmId"];
            };
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Fail over (or test-fail over) one replicated VM
         * @description Lifeline's Restore privilege on the inventory root of the vCenter the VM is recovered into. Modes disaster and test never reach the source site; mode planned asks it over the site link to shut the VM down, back it up and replicate that point, and the job recovers exactly that point (503 dr-source-unreachable when the source site cannot be reached: fail over in mode disaster; 409 dr-planned-refused when it refuses). 409 dr-mapping-missing names each mapping the VM lacks; 409 conflict when a VM of that name exists; 409 busy while another failover of the VM runs.
         */
        readonly post: operations["failOver"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/sites/{id}/replicated-vms/{vmId}/failback": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
                /** @description A replicated VM's id at the source site, <vCenter UUID>:<moref> (GET /api/v1/sites/{id}/replicated-vms), URL-encoded. */
                readonly vmId: components["parameters"]["replicatedVmId"];
            };
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Fail back a failed-over VM to its source site
         * @description Lifeline's Restore privilege on the inventory root of the vCenter the VM was recovered into. The VM's failover that is up (not a drill) is sent back: this site shuts the VM down (VMware Tools, or power-off after shutdownTimeoutSeconds), backs it up into its replica of the source's repository as a point of the source's VM, replicates that point back (only the chunks the source lacks), and the source site recovers it onto the original VM (target original: its disks replaced, its moref kept) or as a new VM (target new), then clears its mark "failed over". The VM here stays powered off and its failover is marked failed back. 503 dr-source-unreachable when the source site cannot be reached, 409 dr-failback-refused when it refuses (nothing is changed either way); 404 when no failover of the VM is up here that was not failed back already; 409 busy while a failover or failback of the VM runs.
         */
        readonly post: operations["failBack"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/failovers": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Failovers and drills at this site, newest first, with their reports
         * @description System.Read on the inventory root.
         */
        readonly get: operations["listFailovers"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/failovers/{fid}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description A failover id (GET /api/v1/failovers). */
                readonly fid: components["parameters"]["failoverId"];
            };
            readonly cookie?: never;
        };
        /**
         * One failover or drill with its report
         * @description System.Read on the inventory root.
         */
        readonly get: operations["getFailover"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/failovers/{fid}/cleanup": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description A failover id (GET /api/v1/failovers). */
                readonly fid: components["parameters"]["failoverId"];
            };
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Clean up a drill: remove its VM and the VM's folder
         * @description Lifeline's Restore privilege on the inventory root of the drill's vCenter. 409 for a failover that is not a test, a drill still starting, failed or cleaned already.
         */
        readonly post: operations["cleanUpDrill"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/recovery-plans": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Recovery plans at this site, with their last runs
         * @description System.Read on the inventory root.
         */
        readonly get: operations["listRecoveryPlans"];
        readonly put?: never;
        /**
         * Create a recovery plan
         * @description Lifeline's Admin privilege on every vCenter the server serves. Every VM must be one this site holds replicated points of; 409 when the name is taken.
         */
        readonly post: operations["createRecoveryPlan"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/recovery-plans/{pid}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description A recovery plan id (GET /api/v1/recovery-plans). */
                readonly pid: components["parameters"]["planId"];
            };
            readonly cookie?: never;
        };
        /**
         * One recovery plan with its last runs
         * @description System.Read on the inventory root.
         */
        readonly get: operations["getRecoveryPlan"];
        /**
         * Replace a recovery plan
         * @description Lifeline's Admin privilege on every vCenter the server serves.
         */
        readonly put: operations["updateRecoveryPlan"];
        readonly post?: never;
        /**
         * Delete a recovery plan
         * @description Lifeline's Admin privilege on every vCenter the server serves; 409 while it runs. Its failovers' records stay.
         */
        readonly delete: operations["deleteRecoveryPlan"];
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/recovery-plans/{pid}/run": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description A recovery plan id (GET /api/v1/recovery-plans). */
                readonly pid: components["parameters"]["planId"];
            };
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Run a recovery plan: a drill (test), a planned migration (planned) or a failover (disaster)
         * @description Lifeline's Restore privilege on the inventory root of the vCenter the VMs are recovered into. Every step is checked first (409 dr-mapping-missing, conflict for a name taken, busy while the plan runs; in mode planned 400 for a VM whose point option is not latest); then one job starts the groups in order. In mode planned each step first asks the source site (the VMs of a group together, at most maxParallel) to shut its VM down, back it up and replicate that point, and recovers exactly that point; a step whose source site cannot be reached or refuses fails, naming why.
         */
        readonly post: operations["runRecoveryPlan"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/recovery-plans/{pid}/failback": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description A recovery plan id (GET /api/v1/recovery-plans). */
                readonly pid: components["parameters"]["planId"];
            };
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Fail back a recovery plan: every VM of the plan failed over here goes back to the source site
         * @description Lifeline's Restore privilege on the inventory root of the plan's vCenter. One job (kind recovery-plan-failback), a step per VM, the plan's last group first back to its first (dependants leave before what they depend on), the VMs of a group together (at most maxParallel). Each step is the failback of POST /sites/{id}/replicated-vms/{vmId}/failback: this site shuts the VM down and keeps it powered off, backs it up, sends back only the chunks the source lacks, and the source site recovers that point onto the original VM (target original) or as a new VM named the source VM's name + nameSuffix (target new). Refused with nothing started: 409 dr-failback-refused naming each VM and its reason (details.vms[].reason: not-failed-over, busy, no-reverse-replication — no reverse replication of it has completed yet) or the source site's refusal; 503 dr-source-unreachable; 409 busy while the plan runs. A failed step leaves its VM running here and the others go on; a cancel starts no new step. The run (failback set) is listed with the plan's runs; each failover's failback part is its report.
         */
        readonly post: operations["failBackRecoveryPlan"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/recovery-plans/{pid}/cleanup": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                /** @description A recovery plan id (GET /api/v1/recovery-plans). */
                readonly pid: components["parameters"]["planId"];
            };
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Clean up the plan's last test run
         * @description Lifeline's Restore privilege on the inventory root of the plan's vCenter. Removes every drill VM the run brought up, with its folder, and nothing else; 409 when the last run was no test.
         */
        readonly post: operations["cleanUpRecoveryPlan"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/settings": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * The server's settings, read-only
         * @description Lifeline's Admin privilege on the inventory root. Never a secret.
         */
        readonly get: operations["getSettings"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/notifications/channels": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Notification channels
         * @description Lifeline's Admin privilege on the inventory root of every vCenter. Secrets are never answered.
         */
        readonly get: operations["listChannels"];
        readonly put?: never;
        /**
         * Add a notification channel
         * @description Lifeline's Admin privilege everywhere; audited. A bad configuration is refused with the field named (400 validation, errors[].field).
         */
        readonly post: operations["createChannel"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/notifications/channels/{id}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly id: components["parameters"]["channelId"];
            };
            readonly cookie?: never;
        };
        /**
         * One notification channel
         * @description Lifeline's Admin privilege everywhere.
         */
        readonly get: operations["getChannel"];
        /**
         * Replace a channel's configuration
         * @description Lifeline's Admin privilege everywhere; audited. Without `secret` the stored secret is kept.
         */
        readonly put: operations["replaceChannel"];
        readonly post?: never;
        /**
         * Remove a channel and its pending deliveries
         * @description Lifeline's Admin privilege everywhere; audited. Its delivery log stays.
         */
        readonly delete: operations["deleteChannel"];
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/notifications/channels/{id}/test": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly id: components["parameters"]["channelId"];
            };
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Send the channel a test event now
         * @description Lifeline's Admin privilege everywhere; audited. One attempt of a lifeline.test event; the answer says whether the receiver took it.
         */
        readonly post: operations["testChannel"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/notifications/deliveries": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * The delivery log, newest first
         * @description Lifeline's Admin privilege everywhere. Every attempt to deliver an event to a channel: delivered, retry (another attempt follows) or dead (given up).
         */
        readonly get: operations["listDeliveries"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/api/v1/maintenance": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Run repository maintenance now
         * @description Lifeline's Admin privilege. The one already running is returned (created false).
         */
        readonly post: operations["runMaintenance"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description RFC 9457 problem details; further members name what the problem is about (pointId, jobId, …). */
        readonly Problem: {
            /** @description Always 'about:blank': problems are told apart by code. */
            readonly type: string;
            readonly title: string;
            readonly status: number;
            readonly detail: string;
            /** @description The request id. */
            readonly instance: string;
            /** @description Lifeline's stable error code, e.g. 'not-found', 'retention-locked'. */
            readonly code: string;
            /** @description On 5xx: the id to quote when reporting the error. */
            readonly errorId?: string;
            /** @description On 400: every field or parameter at fault. */
            readonly errors?: readonly components["schemas"]["FieldError"][];
        } & {
            readonly [key: string]: unknown;
        };
        readonly FieldError: {
            readonly field: string;
            readonly message: string;
        };
        readonly Health: {
            /** @constant */
            readonly status: "ok";
            readonly version: string;
            /** Format: date-time */
            readonly time: string;
        };
        /** @description A vCenter this server serves. */
        readonly Vcenter: {
            /** @description The instance UUID, lower case. */
            readonly guid: string;
            /** @description The host name of the vCenter's configured URL, as the vSphere Client's inventory shows the vCenter. */
            readonly name: string;
        };
        readonly VcenterList: {
            readonly items: readonly components["schemas"]["Vcenter"][];
        };
        readonly VmSummary: {
            /** @description The vSphere Client's id of the VM: urn:vmomi:VirtualMachine:<moref>:<vCenter instance UUID>. */
            readonly id: string;
            readonly moref: string;
            readonly vcenter: string;
            readonly name: string;
            readonly powerState: string;
            readonly instanceUuid: string | null;
            readonly guestFullName: string | null;
        };
        readonly VmPage: {
            readonly items: readonly components["schemas"]["VmSummary"][];
            /** @description How many items there are in all, across pages. */
            readonly total: number;
            readonly offset: number;
            readonly limit: number;
        };
        /** @description What the caller may do on the VM, by Lifeline privilege. */
        readonly VmCapabilities: {
            /** @description Assign or remove protection, back up now. */
            readonly protect: boolean;
            /** @description Revert, new instance, clone and attach, export. */
            readonly restore: boolean;
            /** @description Policies, the audit log, deleting restore points. */
            readonly admin: boolean;
        };
        readonly VmRef: {
            /** @description The vSphere Client's id of the VM: urn:vmomi:VirtualMachine:<moref>:<vCenter instance UUID>. */
            readonly id: string;
            readonly moref: string;
            /** @description The vCenter instance UUID. */
            readonly vcenter: string;
        };
        /** @description Restore points kept per rule; at least one rule above 0. */
        readonly Retention: {
            readonly keepLast: number;
            readonly hourly: number;
            readonly daily: number;
            readonly weekly: number;
            readonly monthly: number;
            readonly yearly: number;
        };
        /** @description When scheduled backups may start. */
        readonly BackupWindow: {
            readonly days: readonly ("sun" | "mon" | "tue" | "wed" | "thu" | "fri" | "sat")[];
            /** @description HH:MM UTC. */
            readonly start: string;
            /** @description HH:MM UTC; before start: the next day. */
            readonly end: string;
        };
        /** @description A disk left out of backups, by device key or label. */
        readonly ExcludedDisk: {
            readonly deviceKey: number;
        } | {
            readonly label: string;
        };
        /** @description A policy as sent: fields left out take their defaults (immutabilityDays 7, consistency application, onQuiesceFailure fail, no exclusions, no windows, no replication, no hook set, no copy to object storage). */
        readonly PolicySpec: {
            readonly name: string;
            readonly rpoSeconds: number;
            readonly retention: components["schemas"]["Retention"];
            readonly immutabilityDays?: number;
            /** @enum {string} */
            readonly consistency?: "application" | "crash";
            /** @enum {string} */
            readonly onQuiesceFailure?: "fail" | "crash-consistent";
            readonly excludedDisks?: readonly components["schemas"]["ExcludedDisk"][];
            readonly windows?: readonly components["schemas"]["BackupWindow"][];
            /** @description A paired DR site (GET /api/v1/sites, a peer with role target), by id or name, or null. */
            readonly replicationSite?: string | null;
            /** @description A hook set the server's configuration declares (GET /api/v1/hook-sets), or null. */
            readonly hookSet?: string | null;
            /** @description Copy the VM's restore points (all, or only those the retention keeps as weekly or monthly ones; default all) to the server's object storage after each backup, locked there for immutableDays from their creation; null (or absent) for none. The server must have object storage for copies configured (copyS3 in lifeline.json); otherwise a policy asking for copies is refused (400, field copyToObjectStorage). */
            readonly copyToObjectStorage?: {
                /** @enum {string} */
                readonly points?: "all" | "weekly-monthly";
                readonly immutableDays: number;
            } | null;
        };
        /** @description An RFC 7396 merge patch of a policy spec: null removes a member (its default applies). The merged policy must be valid. */
        readonly PolicyPatch: Record<string, never>;
        readonly Policy: {
            readonly id: string;
            readonly name: string;
            readonly rpoSeconds: number;
            readonly retention: components["schemas"]["Retention"];
            readonly immutabilityDays: number;
            /** @enum {string} */
            readonly consistency: "application" | "crash";
            /** @enum {string} */
            readonly onQuiesceFailure: "fail" | "crash-consistent";
            readonly excludedDisks: readonly components["schemas"]["ExcludedDisk"][];
            readonly windows: readonly components["schemas"]["BackupWindow"][];
            /** @description A paired DR site (GET /api/v1/sites, a peer with role target), by id or name, or null. */
            readonly replicationSite: string | null;
            /** @description A hook set the server's configuration declares (GET /api/v1/hook-sets), or null. */
            readonly hookSet: string | null;
            /** @description Copy the VM's restore points (all, or only those the retention keeps as weekly or monthly ones; default all) to the server's object storage after each backup, locked there for immutableDays from their creation; null (or absent) for none. The server must have object storage for copies configured (copyS3 in lifeline.json); otherwise a policy asking for copies is refused (400, field copyToObjectStorage). */
            readonly copyToObjectStorage?: {
                /** @enum {string} */
                readonly points?: "all" | "weekly-monthly";
                readonly immutableDays: number;
            } | null;
            /** Format: date-time */
            readonly createdAt: string;
            /** Format: date-time */
            readonly updatedAt: string;
            /** @description VMs the policy protects. */
            readonly vmCount: number;
            readonly feasibility: components["schemas"]["PolicyFeasibility"];
        };
        /** @description Whether the VMs the policy protects can all meet its RPO, judged from measured backup durations and the job limits (GET /settings). */
        readonly PolicyFeasibility: {
            /** @description False when some of the policy's VMs cannot meet its RPO with their measured backup durations and the configured job slots; null while none of its VMs has a measured backup. */
            readonly feasible: boolean | null;
            /** @description The smallest RPO all its measured VMs could meet with the slots as configured; null while none is measured. */
            readonly bestRpoSeconds: number | null;
            /** @description VMs that cannot meet the RPO. */
            readonly vmsInfeasible: number;
            /** @description VMs with no measured backup yet, not judged. */
            readonly vmsUnmeasured: number;
            /** @description backup-too-slow: a VM's backups take more than half the RPO; slots: the VMs sharing a job limit (all jobs, a datastore, a host) need more slots than it gives. */
            readonly reason: ("backup-too-slow" | "slots") | null;
        };
        /** @description Whether this VM can meet its policy's RPO with its measured backup duration and the configured job slots. */
        readonly VmFeasibility: {
            readonly feasible: boolean | null;
            /** @description The smallest RPO this VM's backup duration and its share of the job slots allow; null while no backup of it is measured. */
            readonly bestRpoSeconds: number | null;
            readonly reason: ("backup-too-slow" | "slots") | null;
        };
        readonly PolicyPage: {
            readonly items: readonly components["schemas"]["Policy"][];
            /** @description How many items there are in all, across pages. */
            readonly total: number;
            readonly offset: number;
            readonly limit: number;
        };
        readonly HookSetPage: {
            readonly items: readonly {
                readonly name: string;
            }[];
            /** @description How many items there are in all, across pages. */
            readonly total: number;
            readonly offset: number;
            readonly limit: number;
        };
        readonly RpoCompliance: {
            /** @enum {string} */
            readonly status: "compliant" | "at-risk" | "violated";
            /** @description Age of the last good restore point; null before the first. */
            readonly ageSeconds: number | null;
            readonly rpoSeconds: number;
            readonly exceededBySeconds: number;
        };
        readonly VmProtection: {
            readonly vm: components["schemas"]["VmRef"];
            /** @description Whether this server can run backups at all. */
            readonly backupAvailable: boolean;
            readonly activeJob: {
                readonly id: string;
                readonly kind: string;
                /** @enum {string} */
                readonly state: "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted";
            } | null;
            readonly protected: boolean;
            readonly policy: {
                readonly id: string;
                readonly name: string;
                readonly rpoSeconds: number;
            } | null;
            /** Format: date-time */
            readonly assignedAt: string | null;
            readonly paused: boolean;
            readonly pauseReason: string | null;
            /** Format: date-time */
            readonly pausedAt: string | null;
            /** Format: date-time */
            readonly lastGoodPointAt: string | null;
            /**
             * Format: date-time
             * @description A time in the past means overdue.
             */
            readonly nextBackupDueAt: string | null;
            readonly rpo: components["schemas"]["RpoCompliance"] | null;
        };
        readonly VmReplication: {
            /** @description The DR site the policy names; null when it names none. */
            readonly site: {
                readonly id: string;
                readonly name: string;
            } | null;
            /**
             * @description site-not-paired: the policy names a site this server is not paired with, and nothing is replicated.
             * @enum {string}
             */
            readonly state: "not-configured" | "ok" | "lagging" | "failing" | "site-not-paired";
            readonly lastReplicatedPointId: string | null;
            /**
             * Format: date-time
             * @description When the last replication job that succeeded ended.
             */
            readonly lastReplicatedAt: string | null;
            /** @description Age of the newest restore point the DR site holds: the RPO achieved there. */
            readonly lagSeconds: number | null;
            readonly rpoSeconds: number | null;
            readonly rpoMet: boolean | null;
            readonly lastError: string | null;
            /** @description Restore points of the VM newer than the last replicated one. */
            readonly backlogPoints: number;
        };
        readonly ProtectionAssignment: {
            readonly policyId: string;
        };
        readonly VmCompliance: {
            readonly vm: components["schemas"]["VmRef"];
            readonly policy: {
                readonly id: string;
                /** @description Null when the policy was deleted meanwhile. */
                readonly name: string | null;
            };
            readonly paused: boolean;
            /** Format: date-time */
            readonly lastGoodPointAt: string | null;
            /** @enum {string} */
            readonly status: "compliant" | "at-risk" | "violated";
            readonly ageSeconds: number | null;
            readonly rpoSeconds: number;
            readonly exceededBySeconds: number;
            readonly feasibility: components["schemas"]["VmFeasibility"];
            /** @description The VM's copy at the DR site; null when its policy names no replication site. */
            readonly replication: {
                /** @description The DR site the policy names. */
                readonly siteName: string;
                /**
                 * @description site-not-paired: the policy names a site this server is not paired with, and nothing is replicated.
                 * @enum {string}
                 */
                readonly state: "ok" | "lagging" | "failing" | "site-not-paired";
                /** @description Age of the newest restore point the DR site holds; null before the first replication. */
                readonly lagSeconds: number | null;
                /** @description Whether the DR site's copy is within the policy's RPO. */
                readonly rpoMet: boolean;
            } | null;
        };
        readonly CompliancePage: {
            readonly items: readonly components["schemas"]["VmCompliance"][];
            /** @description How many items there are in all, across pages. */
            readonly total: number;
            readonly offset: number;
            readonly limit: number;
        };
        readonly JobTarget: {
            /** @description e.g. 'VirtualMachine', 'repository'. */
            readonly type: string;
            /** @description e.g. the VM's moref. */
            readonly id: string;
            /** @description Null for targets outside vSphere. */
            readonly vcenterGuid: string | null;
        };
        readonly JobProgress: {
            readonly bytesDone: number;
            readonly bytesTotal: number | null;
            readonly rateBytesPerSecond: number | null;
            readonly etaSeconds: number | null;
        };
        readonly JobLogLine: {
            readonly line: number;
            /** Format: date-time */
            readonly at: string;
            /** @enum {string} */
            readonly level: "info" | "warn" | "error";
            readonly message: string;
        };
        readonly Job: {
            readonly id: string;
            /** @description e.g. 'backup', 'restore', 'retention', 'maintenance', 'replication'. */
            readonly kind: string;
            readonly target: components["schemas"]["JobTarget"];
            /** @enum {string} */
            readonly state: "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted";
            readonly priority: number;
            /** @description The job's input, as submitted. */
            readonly params: unknown;
            readonly limitKeys: readonly string[];
            readonly phase: string | null;
            readonly phases: readonly {
                readonly name: string;
                /** Format: date-time */
                readonly startedAt: string;
                /** Format: date-time */
                readonly endedAt: string | null;
            }[];
            readonly progress: components["schemas"]["JobProgress"];
            readonly checkpoint: unknown;
            /** @description What the job produced, e.g. { pointId } for a backup. */
            readonly result: unknown;
            readonly attempt: number;
            readonly maxAttempts: number;
            /** Format: date-time */
            readonly nextAttemptAt: string | null;
            readonly cancelRequested: boolean;
            readonly error: {
                readonly code: string;
                readonly message: string;
            } | null;
            /** @enum {string} */
            readonly cleanup: "none" | "pending" | "running" | "done" | "failed";
            /** @description A user name, or 'scheduler'. */
            readonly requestedBy: string | null;
            readonly log: {
                readonly lines: number;
                readonly dropped: number;
            };
            /** Format: date-time */
            readonly createdAt: string;
            /** Format: date-time */
            readonly startedAt: string | null;
            /** Format: date-time */
            readonly updatedAt: string;
            /** Format: date-time */
            readonly finishedAt: string | null;
            /**
             * Format: date-time
             * @description When the job's result is needed: for a scheduled backup, when its VM would exceed its RPO. Queued jobs of one priority run earliest deadline first.
             */
            readonly deadline: string | null;
            /** @description Until its first attempt starts, the job is cancelled (not a reason for 409 busy) when a job of another kind is asked for its target; scheduled backups do this. */
            readonly yieldsWhileQueued: boolean;
        };
        readonly JobDetail: {
            readonly id: string;
            /** @description e.g. 'backup', 'restore', 'retention', 'maintenance', 'replication'. */
            readonly kind: string;
            readonly target: components["schemas"]["JobTarget"];
            /** @enum {string} */
            readonly state: "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted";
            readonly priority: number;
            /** @description The job's input, as submitted. */
            readonly params: unknown;
            readonly limitKeys: readonly string[];
            readonly phase: string | null;
            readonly phases: readonly {
                readonly name: string;
                /** Format: date-time */
                readonly startedAt: string;
                /** Format: date-time */
                readonly endedAt: string | null;
            }[];
            readonly progress: components["schemas"]["JobProgress"];
            readonly checkpoint: unknown;
            /** @description What the job produced, e.g. { pointId } for a backup. */
            readonly result: unknown;
            readonly attempt: number;
            readonly maxAttempts: number;
            /** Format: date-time */
            readonly nextAttemptAt: string | null;
            readonly cancelRequested: boolean;
            readonly error: {
                readonly code: string;
                readonly message: string;
            } | null;
            /** @enum {string} */
            readonly cleanup: "none" | "pending" | "running" | "done" | "failed";
            /** @description A user name, or 'scheduler'. */
            readonly requestedBy: string | null;
            readonly log: {
                readonly lines: number;
                readonly dropped: number;
                /** @description The last 50 lines. */
                readonly tail: readonly components["schemas"]["JobLogLine"][];
            };
            /** Format: date-time */
            readonly createdAt: string;
            /** Format: date-time */
            readonly startedAt: string | null;
            /** Format: date-time */
            readonly updatedAt: string;
            /** Format: date-time */
            readonly finishedAt: string | null;
            /**
             * Format: date-time
             * @description When the job's result is needed: for a scheduled backup, when its VM would exceed its RPO. Queued jobs of one priority run earliest deadline first.
             */
            readonly deadline: string | null;
            /** @description Until its first attempt starts, the job is cancelled (not a reason for 409 busy) when a job of another kind is asked for its target; scheduled backups do this. */
            readonly yieldsWhileQueued: boolean;
        };
        readonly JobPage: {
            readonly items: readonly components["schemas"]["Job"][];
            /** @description How many items there are in all, across pages. */
            readonly total: number;
            readonly offset: number;
            readonly limit: number;
        };
        /** @description The job that does what was asked; follow it at /api/v1/jobs/{id}. */
        readonly JobAccepted: {
            readonly job: components["schemas"]["Job"];
            /** @description False: the job of the same kind already queued or running for the target. */
            readonly created: boolean;
            /** @description Clone and attach only: the attachment being made. */
            readonly attachmentId?: string;
        };
        /** @description The data of one server-sent event; the event's `event:` line is its type and its `id:` line its seq. */
        readonly JobEvent: {
            readonly seq: number;
            /** Format: date-time */
            readonly at: string;
            readonly jobId: string;
            /** @constant */
            readonly type: "state";
            readonly job: components["schemas"]["Job"];
        } | {
            readonly seq: number;
            /** Format: date-time */
            readonly at: string;
            readonly jobId: string;
            /** @constant */
            readonly type: "snapshot";
            readonly job: components["schemas"]["Job"];
        } | {
            readonly seq: number;
            /** Format: date-time */
            readonly at: string;
            readonly jobId: string;
            /** @constant */
            readonly type: "phase";
            readonly phase: string;
        } | {
            readonly seq: number;
            /** Format: date-time */
            readonly at: string;
            readonly jobId: string;
            /** @constant */
            readonly type: "progress";
            readonly progress: components["schemas"]["JobProgress"];
        } | {
            readonly seq: number;
            /** Format: date-time */
            readonly at: string;
            readonly jobId: string;
            /** @constant */
            readonly type: "log";
            readonly line: components["schemas"]["JobLogLine"];
        } | {
            readonly seq: number;
            /** Format: date-time */
            readonly at: string;
            readonly jobId: null;
            /** @constant */
            readonly type: "resync";
        };
        readonly PointDisk: {
            /** @description The disk number the export and attach calls use. */
            readonly index: number;
            readonly label: string;
            readonly capacityBytes: number;
            /** @description Where the disk was when it was backed up. */
            readonly datastorePath: string | null;
        };
        readonly RestorePoint: {
            /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
            readonly id: string;
            /** @description Null id, moref and vCenter for a point made outside vCenter (from image files). */
            readonly vm: {
                /** @description The vSphere Client's id of the VM: urn:vmomi:VirtualMachine:<moref>:<vCenter instance UUID>. */
                readonly id: string | null;
                readonly name: string;
                readonly moref: string | null;
                readonly vcenterGuid: string | null;
            };
            /** Format: date-time */
            readonly createdAt: string;
            /** @enum {string} */
            readonly consistency: "application" | "crash";
            /** Format: date-time */
            readonly retainUntil: string;
            /** @description Before retainUntil nobody can delete the point. */
            readonly locked: boolean;
            readonly damaged: boolean;
            readonly logicalBytes: number;
            /** @description What the point added to the store (stored bytes). */
            readonly newBytes: number;
            readonly disks: readonly components["schemas"]["PointDisk"][];
            /** @description The backup job that made the point, while the server keeps it. */
            readonly jobId: string | null;
            /** @description Where the point is held besides the local store: its copy on the server's object storage (a policy's copyToObjectStorage), or null when it has none. */
            readonly objectStorageCopy: {
                /**
                 * Format: date-time
                 * @description Until when the copy is locked on object storage.
                 */
                readonly retainUntil: string;
            } | null;
        };
        readonly RestorePointDetail: {
            /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
            readonly id: string;
            /** @description Null id, moref and vCenter for a point made outside vCenter (from image files). */
            readonly vm: {
                /** @description The vSphere Client's id of the VM: urn:vmomi:VirtualMachine:<moref>:<vCenter instance UUID>. */
                readonly id: string | null;
                readonly name: string;
                readonly moref: string | null;
                readonly vcenterGuid: string | null;
            };
            /** Format: date-time */
            readonly createdAt: string;
            /** @enum {string} */
            readonly consistency: "application" | "crash";
            /** Format: date-time */
            readonly retainUntil: string;
            /** @description Before retainUntil nobody can delete the point. */
            readonly locked: boolean;
            readonly damaged: boolean;
            readonly logicalBytes: number;
            /** @description What the point added to the store (stored bytes). */
            readonly newBytes: number;
            readonly disks: readonly components["schemas"]["PointDisk"][];
            /** @description The backup job that made the point, while the server keeps it. */
            readonly jobId: string | null;
            /** @description Where the point is held besides the local store: its copy on the server's object storage (a policy's copyToObjectStorage), or null when it has none. */
            readonly objectStorageCopy: {
                /**
                 * Format: date-time
                 * @description Until when the copy is locked on object storage.
                 */
                readonly retainUntil: string;
            } | null;
            /** @description Null when the stored manifest cannot be read. */
            readonly configuration: components["schemas"]["VmConfiguration"] | null;
        };
        readonly VmConfiguration: {
            readonly cpus: number | null;
            readonly memoryBytes: number | null;
            readonly guestOs: string | null;
            readonly guestId: string | null;
            readonly networks: readonly {
                readonly label: string | null;
                readonly network: string | null;
                readonly adapterType: string | null;
                readonly macAddress: string | null;
            }[];
        };
        readonly RestorePointPage: {
            readonly items: readonly components["schemas"]["RestorePoint"][];
            /** @description How many items there are in all, across pages. */
            readonly total: number;
            readonly offset: number;
            readonly limit: number;
        };
        readonly PublicationRequest: {
            /** @description The folder's name in the export (default <vm>-<point id>). */
            readonly folder?: string;
        };
        readonly Publication: {
            readonly id: string;
            readonly pointId: string;
            readonly vmName: string;
            readonly folder: string;
            /** @description The folder as NFS clients mount it: <export path>/<folder>. */
            readonly path: string;
            /** Format: date-time */
            readonly createdAt: string;
            readonly disks: readonly {
                readonly index: number;
                readonly capacityBytes: number;
                /** @description The VMDK descriptor file in the folder. */
                readonly descriptor: string;
                /** @description The flat extent: the disk's bytes. */
                readonly flatExtent: string;
            }[];
        };
        readonly PublicationList: {
            readonly items: readonly components["schemas"]["Publication"][];
        };
        readonly InstantRevertRequest: {
            /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
            readonly pointId: string;
            readonly powerOff?: components["schemas"]["PowerOffConfirmation"];
        };
        readonly VmInstantRevert: {
            readonly vm: components["schemas"]["VmRef"];
            /** @description Whether the VM runs from a restore point (or is being moved home or put back). */
            readonly active: boolean;
            /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
            readonly pointId: string | null;
            /** @description running: from the point on Lifeline's NFS datastore; migrating: being made permanent. */
            readonly state: ("starting" | "running" | "migrating" | "cancelling") | null;
            /** Format: date-time */
            readonly createdAt: string | null;
            /** @description The instant-revert job working on the VM now, with its progress in bytes of the VM's disks (during make permanent: the relocation's). */
            readonly job: {
                readonly id: string;
                /** @enum {string} */
                readonly operation: "revert" | "commit" | "cancel";
                /** @enum {string} */
                readonly state: "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted";
                readonly bytesDone: number;
                readonly bytesTotal: number | null;
            } | null;
            readonly disks: readonly {
                readonly pointDisk: number;
                /** @description The disk the VM runs from, on the NFS datastore. */
                readonly publishedFile: string;
                /** @description The VM's own disk, kept aside until the revert is made permanent (then deleted) or cancelled (then put back). */
                readonly setAsideFile: string;
                readonly capacityBytes: number;
            }[];
        };
        readonly RetentionRequest: {
            /**
             * Format: date-time
             * @description Later than the point's retain-until, at most 10 years ahead.
             */
            readonly retainUntil: string;
        } & {
            readonly [key: string]: unknown;
        };
        readonly DownloadTicketRequest: {
            /** @enum {string} */
            readonly format: "raw" | "vmdk";
        };
        readonly DownloadTicket: {
            /** @description Server-relative; needs no session. */
            readonly url: string;
            /**
             * Format: date-time
             * @description The link must be followed before then.
             */
            readonly expiresAt: string;
            /** @description Once begun, how long the link serves the same download again. */
            readonly resumableForSeconds: number;
        };
        readonly RevertDisk: {
            readonly pointDisk: number;
            readonly label: string;
            readonly restoredFile: string;
            /** @description The VM's own disk, kept aside while the revert is temporary. */
            readonly setAsideFile: string;
        };
        readonly VmRevert: {
            readonly vm: components["schemas"]["VmRef"];
            readonly reverted: boolean;
            /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
            readonly pointId: string | null;
            readonly state: ("restoring" | "swapping" | "reverted" | "cancelling" | "committing") | null;
            /** Format: date-time */
            readonly revertedAt: string | null;
            readonly jobId: string | null;
            readonly disks: readonly components["schemas"]["RevertDisk"][];
        };
        readonly RevertRequest: {
            /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
            readonly pointId: string;
            readonly powerOff?: components["schemas"]["PowerOffConfirmation"];
            readonly source?: components["schemas"]["PointSource"];
        };
        /**
         * @description Where the restore point is read from: the local store (the default) or the store's copy on object storage (a policy's copyToObjectStorage; the server's copyS3), e.g. once the point was pruned locally.
         * @enum {string}
         */
        readonly PointSource: "local" | "object-storage";
        readonly CancelRevertRequest: {
            readonly powerOff?: components["schemas"]["PowerOffConfirmation"];
        };
        /** @description True confirms that the VM may be powered off for the change; without it a running VM is refused (409 conflict). */
        readonly PowerOffConfirmation: boolean;
        readonly EmptyRequest: Record<string, never>;
        readonly InstantiateRequest: {
            readonly name: string;
            readonly datastore?: string | null;
            readonly folder?: string | null;
            readonly resourcePool?: string | null;
            readonly host?: string | null;
            /** @description Source network name → target network name. */
            readonly networks?: {
                readonly [key: string]: string;
            };
            readonly powerOn?: boolean;
            readonly source?: components["schemas"]["PointSource"];
        };
        readonly AttachRequest: {
            /** @description The VM to attach the clones to: its urn or moref. */
            readonly vm: string;
            readonly disks?: readonly number[] | null;
            readonly datastore?: string | null;
            readonly source?: components["schemas"]["PointSource"];
        };
        readonly AttachedDisk: {
            readonly pointDisk: number;
            readonly label: string;
            readonly file: string;
            readonly capacity: number;
            readonly deviceKey: number | null;
            readonly controllerKey: number | null;
            readonly unitNumber: number | null;
        };
        readonly Attachment: {
            readonly id: string;
            readonly vm: components["schemas"]["VmRef"];
            /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
            readonly pointId: string;
            /** @enum {string} */
            readonly state: "uploading" | "attaching" | "attached" | "detaching";
            readonly jobId: string;
            readonly folder: string;
            readonly disks: readonly components["schemas"]["AttachedDisk"][];
            /** Format: date-time */
            readonly createdAt: string;
            /** Format: date-time */
            readonly updatedAt: string;
        };
        readonly AttachmentList: {
            readonly items: readonly components["schemas"]["Attachment"][];
            readonly total: number;
        };
        readonly InstantInstanceRequest: {
            readonly name: string;
            /** @description For the VM's configuration files; default the point's VM's. */
            readonly datastore?: string | null;
            readonly folder?: string | null;
            readonly resourcePool?: string | null;
            readonly host?: string | null;
            /** @description Source network name → target network name. */
            readonly networks?: {
                readonly [key: string]: string;
            };
            readonly powerOn?: boolean;
        };
        readonly InstantAttachRequest: {
            /** @description The VM to attach the disks to: its urn or moref. */
            readonly vm: string;
            readonly disks?: readonly number[] | null;
        };
        readonly InstantMigrateRequest: {
            /** @description A datastore of the VM's datacenter. */
            readonly datastore: string;
        };
        readonly InstantMigrationTargets: {
            readonly items: readonly {
                readonly name: string;
                readonly capacityBytes: number | null;
                readonly freeBytes: number | null;
            }[];
        };
        /** @description The instant-recovery job; follow it at /api/v1/jobs/{id}, the instant recovery at /api/v1/instant-recoveries/{runId}. */
        readonly InstantAccepted: {
            readonly job: components["schemas"]["Job"];
            /** @description False: the job of the same kind already queued or running for the target. */
            readonly created: boolean;
            /** @description The instant recovery the job works on. */
            readonly runId: string;
        };
        readonly InstantRecovery: {
            readonly id: string;
            /** @enum {string} */
            readonly kind: "new-instance" | "attach";
            /** @description The new VM (null until made) or the VM the disks are attached to. */
            readonly vm: components["schemas"]["VmRef"] | null;
            readonly vmName: string;
            /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
            readonly pointId: string;
            /** @enum {string} */
            readonly state: "starting" | "running" | "migrating" | "discarding";
            readonly jobId: string | null;
            readonly disks: readonly {
                readonly pointDisk: number;
                readonly capacity: number;
                /** @description The published disk on the NFS datastore, "[lifeline-<name>] <folder>/disk<n>.vmdk". */
                readonly file: string | null;
                readonly deviceKey: number | null;
                readonly controllerKey: number | null;
                readonly unitNumber: number | null;
            }[];
            /** Format: date-time */
            readonly createdAt: string;
            /** Format: date-time */
            readonly updatedAt: string;
        };
        readonly InstantRecoveryList: {
            readonly items: readonly components["schemas"]["InstantRecovery"][];
            readonly total: number;
        };
        readonly AuditRecord: {
            readonly id: number;
            /** Format: date-time */
            readonly at: string;
            readonly user: string | null;
            readonly vcenterGuid: string | null;
            /** @description e.g. 'policy.create', 'point.export'. */
            readonly action: string;
            /** @description e.g. 'policy:<id>', 'vm:<vCenter UUID>:vm-42'. */
            readonly object: string | null;
            /** @enum {string} */
            readonly outcome: "success" | "failure";
            readonly status: number;
            readonly errorCode: string | null;
            readonly requestId: string;
            readonly details: {
                readonly [key: string]: string | number | boolean | null;
            };
        };
        readonly AuditPage: {
            readonly items: readonly components["schemas"]["AuditRecord"][];
            /** @description How many items there are in all, across pages. */
            readonly total: number;
            readonly offset: number;
            readonly limit: number;
        };
        readonly StorageFigures: {
            readonly points: number;
            readonly vms: number;
            readonly logicalBytes: number;
            readonly dataBytes: number;
            readonly storedBytes: number;
            readonly savedBytes: number;
            readonly dedupRatio: number;
            readonly compressionRatio: number;
            /** @description The last 30 UTC days, oldest first. */
            readonly dataAddedPerDay: readonly {
                readonly day: string;
                readonly newBytes: number;
                readonly points: number;
            }[];
            /** Format: date-time */
            readonly asOf: string;
            /** @description Null when the storage has no fixed bound. */
            readonly capacity?: {
                readonly totalBytes: number;
                readonly freeBytes: number;
                readonly reserveBytes: number;
            } | null;
            /** @description What the store keeps its objects on. */
            readonly storage?: {
                /**
                 * @description A directory on this server, or an S3-compatible bucket (no fixed capacity).
                 * @enum {string}
                 */
                readonly kind: "directory" | "object-storage";
                /** @description For object storage: s3://bucket/prefix and the endpoint; never credentials. */
                readonly location?: string;
                /**
                 * @description For object storage: COMPLIANCE-mode Object Lock enforced by the storage server, or none (the bucket has no Object Lock).
                 * @enum {string}
                 */
                readonly lockMode?: "compliance" | "none";
            };
        };
        readonly ServerSettings: {
            readonly version: string;
            readonly dataDir: string;
            readonly storeDir: string | null;
            readonly storeEncrypted: boolean | null;
            readonly passphraseInDataDir: boolean;
            readonly vcenters: readonly {
                readonly guid: string;
                readonly url: string;
                readonly user: string;
                readonly thumbprint: string;
            }[];
            readonly sessionIdleSeconds: number;
            readonly jobLimits: {
                readonly global: number;
                readonly perKeyClass?: {
                    readonly [key: string]: number;
                };
                readonly queued: number;
            };
            readonly serverUrl: string;
            readonly certificateThumbprint: string;
            readonly maintenance: {
                readonly enabled: boolean;
                readonly at: string;
                readonly verifyPercent: number;
                /** Format: date-time */
                readonly nextRunAt: string | null;
            } | null;
            readonly warnings: readonly string[];
        };
        /** @description Where events go, and which. */
        readonly NotificationChannel: {
            readonly id: string;
            readonly name: string;
            /** @enum {string} */
            readonly kind: "webhook" | "syslog" | "vcenter" | "email";
            readonly enabled: boolean;
            readonly filter: components["schemas"]["NotificationFilter"];
            readonly settings: components["schemas"]["WebhookSettings"] | components["schemas"]["SyslogSettings"] | components["schemas"]["VcenterSettings"] | components["schemas"]["EmailSettings"];
            /** @description Whether a secret is stored; the secret itself is never answered. */
            readonly secretSet: boolean;
            /** Format: date-time */
            readonly createdAt: string;
            /** Format: date-time */
            readonly updatedAt: string;
            readonly deliveries: {
                readonly pending: number;
                readonly delivered: number;
                /** @description Given up after the last attempt. */
                readonly dead: number;
            };
        };
        readonly NotificationChannelList: {
            readonly items: readonly components["schemas"]["NotificationChannel"][];
        };
        readonly NotificationChannelInput: {
            readonly name: string;
            /** @enum {string} */
            readonly kind: "webhook" | "syslog" | "vcenter" | "email";
            /** @default true */
            readonly enabled: boolean;
            readonly filter?: components["schemas"]["NotificationFilter"];
            readonly settings: components["schemas"]["WebhookSettings"] | components["schemas"]["SyslogSettings"] | components["schemas"]["VcenterSettings"] | components["schemas"]["EmailSettings"];
            /** @description Webhooks: the Standard Webhooks signing secret (whsec_ and the base64 of 24 to 64 random bytes). Required when a webhook is created; on replace, omit it to keep the stored one. Never answered. */
            readonly secret?: string;
        };
        readonly NotificationFilter: {
            /** @description Event types, or a family as backup.*; empty: all. */
            readonly types?: readonly string[];
            /** @enum {string} */
            readonly minSeverity?: "info" | "warning" | "error" | "critical";
        };
        readonly WebhookSettings: {
            /** @description Where the signed JSON is POSTed. */
            readonly url: string;
            /** @description PEM certificates to trust for this receiver besides the system CAs. */
            readonly caPem?: string | null;
            /** @description Whether point.created events to this webhook carry data.exportLinks: for each disk of the new point a raw and a VMDK download URL (single-purpose, to be first used within 60 seconds). Default false. */
            readonly exportLinks?: boolean;
        };
        readonly SyslogSettings: {
            /** @enum {string} */
            readonly transport: "udp" | "tcp" | "tls";
            readonly host: string;
            readonly port: number;
            /** @description tls: PEM certificates to trust besides the system CAs. */
            readonly caPem?: string | null;
        };
        /** @description vCenter channels post each event on its VM in the VM's vCenter; nothing to set. */
        readonly VcenterSettings: Record<string, never>;
        readonly EmailSettings: {
            readonly host: string;
            readonly port: number;
            /**
             * @description tls: TLS from the start (465); starttls: the server must upgrade (587); none: a local relay.
             * @enum {string}
             */
            readonly security: "tls" | "starttls" | "none";
            /** @description SMTP user; null: no authentication. */
            readonly user?: string | null;
            /** @description Absolute path of a file on the Lifeline server (mode 0600) holding the SMTP password. */
            readonly passwordFile?: string | null;
            readonly from: string;
            readonly to: readonly string[];
            /** @description PEM certificates to trust besides the system CAs. */
            readonly caPem?: string | null;
            /** @description A summary mail once a day at this UTC time; null: none. */
            readonly dailySummaryAt?: string | null;
        };
        readonly VmEventList: {
            readonly items: readonly {
                /** @description Stable; a webhook receiver gets it as webhook-id. */
                readonly id: string;
                /** @description e.g. backup.failed, rpo.violated. */
                readonly type: string;
                /** @enum {string} */
                readonly severity: "info" | "warning" | "error" | "critical";
                /** Format: date-time */
                readonly at: string;
                readonly message: string;
                readonly jobId: string | null;
                readonly pointId: string | null;
            }[];
        };
        readonly ChannelTestResult: {
            readonly delivered: boolean;
            /** @description The receiver's answer (e.g. HTTP 204) or the error. */
            readonly detail: string;
            readonly eventId: string;
        };
        readonly DeliveryLog: {
            readonly items: readonly {
                readonly id: number;
                readonly eventId: string;
                readonly eventType: string;
                readonly channelId: string;
                readonly attempt: number;
                /** Format: date-time */
                readonly at: string;
                /** @enum {string} */
                readonly outcome: "delivered" | "retry" | "dead";
                readonly detail: string;
                readonly durationMs: number;
            }[];
        };
        readonly MaintenanceRequest: {
            readonly steps?: readonly ("retention" | "gc" | "verify")[];
            readonly verifyPercent?: number;
        } & {
            readonly [key: string]: unknown;
        };
        /** @description How replication to the peer runs. */
        readonly ReplicationSettings: {
            /** @description MB/s (10^6 bytes); null: unlimited. */
            readonly bandwidthMBps: number | null;
            /** @description A lower limit during these hours (server local time). */
            readonly window: {
                /** @description HH:MM. */
                readonly from: string;
                /** @description HH:MM. */
                readonly to: string;
                readonly bandwidthMBps: number;
            } | null;
            /** @description The GFS rule the DR site applies to replicas. */
            readonly retention: {
                readonly keepLast: number;
                readonly daily: number;
                readonly weekly: number;
                readonly monthly: number;
            };
            /** @description Replicas are locked at the DR site at least this long. */
            readonly immutableDays: number;
            /** @description VMs replicating to this peer at once. */
            readonly maxConcurrentVms: number;
        };
        /** @description Members left out take their defaults (unlimited, no window, keepLast 7 daily 7 weekly 4 monthly 6, 7 days immutable, 2 VMs at once), or keep their value in a change. */
        readonly ReplicationSettingsInput: {
            readonly bandwidthMBps?: number | null;
            readonly window?: {
                /** @description HH:MM. */
                readonly from: string;
                /** @description HH:MM. */
                readonly to: string;
                readonly bandwidthMBps: number;
            } | null;
            readonly retention?: {
                readonly keepLast?: number;
                readonly daily?: number;
                readonly weekly?: number;
                readonly monthly?: number;
            };
            readonly immutableDays?: number;
            readonly maxConcurrentVms?: number;
        };
        readonly LinkStats: {
            /** @enum {string} */
            readonly state: "idle" | "replicating" | "unreachable" | "refused";
            /** Format: date-time */
            readonly lastContactAt: string | null;
            readonly lastError: string | null;
            /** @description Stored chunk bytes sent to the peer since the pairing; kept across restarts of the server. */
            readonly bytesSent: number;
            /** @description Bytes per second over the last 10 s while a replication runs; 0 when idle. */
            readonly throughputBps: number;
            readonly backlogPoints: number;
        };
        readonly Peer: {
            readonly id: string;
            readonly name: string;
            /** @description SHA-256 of the peer's certificate, pinned. */
            readonly thumbprint: string;
            /** @description https://host:port of the peer's site listener. */
            readonly url: string;
            /**
             * @description The peer's role seen from here: target = this site replicates to it.
             * @enum {string}
             */
            readonly role: "source" | "target";
            /** Format: date-time */
            readonly pairedAt: string;
            readonly settings: components["schemas"]["ReplicationSettings"];
            /**
             * Format: date-time
             * @description When a source site unpaired this DR site: its replicas stay here, with failover and drills from them, and its requests are refused, until the pairing is removed here. Null otherwise.
             */
            readonly unpairedByPeerAt: string | null;
            /** @description Null while no replication has run with the peer. */
            readonly link: components["schemas"]["LinkStats"] | null;
        };
        readonly SitesOverview: {
            readonly self: {
                readonly name: string;
                /** @description https://host:port of this site's listener. */
                readonly siteUrl: string;
                readonly thumbprint: string;
            };
            readonly peers: readonly components["schemas"]["Peer"][];
        };
        readonly PairingCode: {
            /** @description Shown once; 26 letters and digits in groups of four. */
            readonly code: string;
            /** Format: date-time */
            readonly expiresAt: string;
            /** @description This site's certificate thumbprint, to confirm at the other site. */
            readonly thumbprint: string;
            readonly siteUrl: string;
        };
        readonly SiteProbeRequest: {
            /** @description https://host:port of the other site's listener. */
            readonly url: string;
        };
        readonly SiteProbe: {
            readonly name: string;
            /** @description SHA-256 of the certificate the address presented. */
            readonly thumbprint: string;
            readonly url: string;
        };
        readonly PairRequest: {
            readonly url: string;
            /** @description The DR site's thumbprint, as shown with its pairing code. */
            readonly thumbprint: string;
            readonly code: string;
            readonly settings: components["schemas"]["ReplicationSettingsInput"];
        };
        readonly SitePatch: {
            readonly settings: components["schemas"]["ReplicationSettingsInput"];
        };
        /** @description A pairing's resource mappings, kept at the DR site. */
        readonly ResourceMappings: {
            /** @description This site's vCenter the VMs are recovered into; null: the only one it serves. */
            readonly vcenterGuid: string | null;
            /** @description Source network name → this site's network name. */
            readonly networks: {
                readonly [key: string]: string;
            };
            /** @description Source datastore name → this site's datastore name (a VM's files go to the mapping of its configuration file's datastore). */
            readonly datastores: {
                readonly [key: string]: string;
            };
            /** @description Source network name → this site's isolated network, used only by test failovers. */
            readonly testNetworks: {
                readonly [key: string]: string;
            };
            /** @description This site's VM folder (moref) for recovered VMs; null: the datacenter's VM folder. */
            readonly folder: string | null;
            /** @description This site's resource pool (moref); null: the root pool of the datacenter's first compute resource. */
            readonly resourcePool: string | null;
        };
        /** @description The whole mappings: members left out are empty (null). */
        readonly ResourceMappingsInput: {
            readonly vcenterGuid?: string | null;
            readonly networks?: {
                readonly [key: string]: string;
            };
            readonly datastores?: {
                readonly [key: string]: string;
            };
            readonly testNetworks?: {
                readonly [key: string]: string;
            };
            readonly folder?: string | null;
            readonly resourcePool?: string | null;
        };
        readonly SiteMappings: {
            readonly mappings: components["schemas"]["ResourceMappings"];
            /**
             * Format: date-time
             * @description Null: never set.
             */
            readonly updatedAt: string | null;
        };
        readonly SiteMappingsSaved: {
            readonly mappings: components["schemas"]["ResourceMappings"];
            /** Format: date-time */
            readonly updatedAt: string;
            /** @description Source names mapped that no replicated VM uses (e.g. "network VM Netwrk"): a likely typo, stored all the same. */
            readonly unused: readonly string[];
        };
        readonly MappingTargets: {
            /** @description The vCenter the VMs are recovered into. */
            readonly vcenterGuid: string;
            /** @description Its network names. */
            readonly networks: readonly string[];
            /** @description Its datastore names. */
            readonly datastores: readonly string[];
            /** @description Its datacenters' VM folders. */
            readonly folders: readonly {
                readonly moref: string;
                readonly name: string;
            }[];
        };
        readonly MissingMapping: {
            /** @enum {string} */
            readonly kind: "network" | "datastore" | "test-network";
            /** @description The source site's name that has no mapping. */
            readonly source: string;
        };
        readonly ReplicatedVm: {
            readonly vm: {
                /** @description The VM's id at the source site: <vCenter UUID>:<moref>. */
                readonly id: string;
                readonly name: string;
            };
            readonly points: number;
            readonly latestPoint: {
                readonly id: string;
                /** Format: date-time */
                readonly createdAt: string;
            } | null;
            /** @description Now − the latest point's time: what a disaster failover now would lose. */
            readonly lagSeconds: number | null;
            /** @description What a failover and a test failover lack of the mappings; empty: ready. */
            readonly missing: {
                readonly failover: readonly components["schemas"]["MissingMapping"][];
                readonly test: readonly components["schemas"]["MissingMapping"][];
            };
        };
        readonly ReplicatedVmList: {
            readonly items: readonly components["schemas"]["ReplicatedVm"][];
        };
        readonly SiteReplicatedVm: {
            /** @description The source site (its pairing here). */
            readonly site: {
                readonly id: string;
                readonly name: string;
            };
            readonly vm: {
                /** @description The VM's id at the source site: <vCenter UUID>:<moref>. */
                readonly id: string;
                readonly name: string;
            };
            readonly points: number;
            readonly latestPoint: {
                readonly id: string;
                /** Format: date-time */
                readonly createdAt: string;
            } | null;
            /** @description Now − the latest point's time: what a disaster failover now would lose. */
            readonly lagSeconds: number | null;
            /** @description What a failover and a test failover lack of the mappings; empty: ready. */
            readonly missing: {
                readonly failover: readonly components["schemas"]["MissingMapping"][];
                readonly test: readonly components["schemas"]["MissingMapping"][];
            };
        };
        readonly SiteReplicatedVmList: {
            readonly items: readonly components["schemas"]["SiteReplicatedVm"][];
        };
        readonly ReplicatedPointList: {
            /** @description Newest first. */
            readonly items: readonly {
                readonly id: string;
                /**
                 * Format: date-time
                 * @description When the point was made at the source site.
                 */
                readonly createdAt: string;
            }[];
        };
        readonly FailoverRequest: {
            /**
             * @description disaster: fail over for real from a point this site holds (the source site may be unreachable); planned: the source site shuts the VM down, backs it up and replicates that point, which is recovered (no data lost); test: a drill on the test networks.
             * @enum {string}
             */
            readonly mode: "disaster" | "test" | "planned";
            /** @description A replicated point of the VM; null or absent: the latest. */
            readonly pointId?: string | null;
            /** @description The new VM's name; default the source VM's name, with "-dr-test" for a drill. */
            readonly name?: string | null;
            /** @description Give the network cards the source VM's MAC addresses; default false (new ones). */
            readonly keepMacAddresses?: boolean;
            /** @description Default true. */
            readonly powerOn?: boolean;
            /** @description How long to wait for VMware Tools after power-on (default 300; 0: do not wait). */
            readonly toolsTimeoutSeconds?: number;
            /** @description Mode planned only: how long the source site waits for the guest to shut down through VMware Tools before it powers the VM off (default 300; 0: power off at once). */
            readonly shutdownTimeoutSeconds?: number;
        };
        readonly FailbackRequest: {
            /**
             * @description original (default): the source site's VM, its disks replaced by the point, its identity and moref kept; new: a new VM at the source site.
             * @enum {string}
             */
            readonly target?: "original" | "new";
            /** @description Target new only: the new VM's name at the source site. */
            readonly name?: string | null;
            /** @description Power the VM on at the source site once recovered; default true. */
            readonly powerOn?: boolean;
            /** @description How long this site waits for the guest to shut down through VMware Tools before it powers the VM off (default 300; 0: power off at once). */
            readonly shutdownTimeoutSeconds?: number;
        };
        readonly FailoverReport: {
            /** Format: date-time */
            readonly startedAt: string | null;
            /**
             * Format: date-time
             * @description When vCenter had created the VM.
             */
            readonly createdAt: string | null;
            /** Format: date-time */
            readonly poweredOnAt: string | null;
            /**
             * Format: date-time
             * @description When VMware Tools first reported running; null if not within the wait.
             */
            readonly toolsReadyAt: string | null;
            /** @description How the wait for VMware Tools ended (skipped: not powered on, or no wait asked); null before it. Absent in records made before this member existed. */
            readonly toolsWait?: ("ready" | "timed-out" | "skipped") | null;
            /** @description The hook set run once the VM was up, and how it went; null: none run. */
            readonly hook?: {
                readonly set: string;
                readonly ok: boolean;
                readonly messages: readonly string[];
            } | null;
            /** @description From the start to Tools ready (or powered on, or created). */
            readonly rtoSeconds: number | null;
            /** @description Each failure with the step it happened in. */
            readonly failures: readonly string[];
            /**
             * Format: date-time
             * @description When a drill's clean-up finished.
             */
            readonly cleanedAt: string | null;
            /** @description A recovery plan's network overrides for the VM that no mapping of this failover used. Absent in records made before this member existed. */
            readonly unusedOverrides?: readonly {
                /** @description The source network. */
                readonly source: string;
                /** @description This site's network the override named. */
                readonly target: string;
                /**
                 * @description test-networks: a drill keeps the test networks; no-card: the point's VM has no network card on the source network.
                 * @enum {string}
                 */
                readonly reason: "test-networks" | "no-card";
            }[];
        };
        readonly Failover: {
            readonly id: string;
            readonly peerId: string;
            readonly siteName: string;
            /** @enum {string} */
            readonly mode: "disaster" | "test" | "planned";
            readonly sourceVm: {
                readonly id: string;
                readonly name: string;
            };
            readonly pointId: string;
            /** Format: date-time */
            readonly pointCreatedAt: string;
            /** @description Now − the point's time when the failover was asked for. */
            readonly dataLossWindowSeconds: number;
            /** @description The new VM's name. */
            readonly name: string;
            readonly vcenterGuid: string;
            readonly request: {
                readonly datastore: string;
                readonly folder: string | null;
                readonly pool: string | null;
                readonly networks: {
                    readonly [key: string]: string;
                };
                readonly powerOn: boolean;
                readonly keepMacAddresses: boolean;
                readonly toolsTimeoutSeconds: number;
                /** @description The hook set run once the VM is up (a recovery plan's per-VM option). */
                readonly hookSet?: string | null;
            };
            /** @enum {string} */
            readonly state: "starting" | "up" | "failed" | "cleaning" | "cleaned";
            readonly jobId: string | null;
            readonly cleanupJobId: string | null;
            readonly vm: {
                readonly moref: string;
                readonly instanceUuid: string | null;
            } | null;
            readonly report: components["schemas"]["FailoverReport"];
            readonly requestedBy: string;
            /** @description The recovery plan run this failover is a step of. */
            readonly planRunId: string | null;
            /** @description Mode planned only: the source site's part. */
            readonly planned?: {
                readonly shutdownTimeoutSeconds: number;
                /** @description The source site's planned-migration job. */
                readonly sourceJobId: string | null;
                /** @description How the source VM came to be off once the source site was done: guest (VMware Tools shut it down), powered-off (after the timeout, or without Tools), was-off. */
                readonly shutdown: string | null;
                /** @description Chunks of the last point, as the source site's last replication counted them. */
                readonly chunks: number | null;
                /** @description Chunks that replication sent (the others were at this site already). */
                readonly chunksSent: number | null;
            } | null;
            /** @description The failback to the source site, once asked for. */
            readonly failback?: {
                /**
                 * @description done: the VM runs at the source site again and stays powered off here.
                 * @enum {string}
                 */
                readonly state: "running" | "done" | "failed";
                /** @enum {string} */
                readonly target: "original" | "new";
                readonly name: string | null;
                readonly powerOn: boolean;
                readonly shutdownTimeoutSeconds: number;
                readonly jobId: string | null;
                /** @description How the VM here came to be off: guest, powered-off, was-off. */
                readonly shutdown: string | null;
                /** @description The last point, made here into the replica of the source's repository. */
                readonly pointId: string | null;
                /** @description Chunks of that point. */
                readonly chunks: number | null;
                /** @description Chunks sent back: those the source site lacked. */
                readonly chunksSent: number | null;
                /** @description Their stored bytes. */
                readonly bytesSent: number | null;
                /** @description The source site's failback-recovery job. */
                readonly sourceJobId: string | null;
                /** @description The VM the point runs as at the source site. */
                readonly sourceVm: {
                    readonly moref: string;
                    readonly name: string;
                } | null;
                readonly failures: readonly string[];
                readonly requestedBy: string;
                /** Format: date-time */
                readonly startedAt: string;
                /** Format: date-time */
                readonly endedAt: string | null;
                /** @description The step being taken, recorded before it is taken. After a stop of Lifeline, a failback stopped before source-site is rolled back at the next start, one at source-site is followed to the end of the source site's job. */
                readonly step?: ("shutdown" | "backup" | "replicate" | "source-site") | null;
                /** @description Whether the VM here was powered on when the failback began. */
                readonly wasOn?: boolean | null;
                /** @description The job whose last backup may have left its snapshot on the VM here (removed when the failback is rolled back). */
                readonly backupJobId?: string | null;
                /** @description The last point's consistency: application when the guest shut down through VMware Tools (the policy's hook set run around the snapshot), crash when it had to be powered off. */
                readonly consistency?: ("application" | "crash") | null;
            } | null;
            /** Format: date-time */
            readonly createdAt: string;
            /** Format: date-time */
            readonly updatedAt: string;
        };
        readonly VmFailedOver: {
            /** @description Null: the VM was not failed over. */
            readonly failedOver: {
                readonly site: {
                    readonly id: string;
                    readonly name: string;
                };
                /** @description The last point, the one the DR site recovered. */
                readonly pointId: string;
                readonly jobId: string;
                /** Format: date-time */
                readonly at: string;
            } | null;
        };
        readonly FailoverList: {
            readonly items: readonly components["schemas"]["Failover"][];
        };
        /** @description The failover job and the failover it works on. */
        readonly FailoverAccepted: {
            readonly job: components["schemas"]["Job"];
            readonly created: boolean;
            readonly failover: components["schemas"]["Failover"];
        };
        readonly RecoveryPlanInput: {
            readonly name: string;
            /** @description The paired source site whose replicated VMs the plan starts. */
            readonly siteId: string;
            /** @description In order: a group starts once the one before is done. */
            readonly groups: readonly {
                /** @description Replicated VM ids (GET /api/v1/sites/{id}/replicated-vms). */
                readonly vms: readonly string[];
            }[];
            /** @description VMs of a group started at once (default 4). */
            readonly maxParallel?: number;
            /** @description Wait for VMware Tools after each power-on (default 300). */
            readonly toolsTimeoutSeconds?: number;
            readonly vmOptions?: components["schemas"]["PlanVmOptionsMap"];
        };
        /** @description Per-VM options of a recovery plan; each absent member takes its default. */
        readonly PlanVmOptions: {
            /** @description A replicated point id of the VM, or 'latest' (the default). */
            readonly point?: string;
            /** @description Default true. */
            readonly powerOn?: boolean;
            /** @description Wait for VMware Tools after power-on; default true. */
            readonly waitForTools?: boolean;
            /** @description Overrides the plan's toolsTimeoutSeconds for this VM. */
            readonly toolsTimeoutSeconds?: number;
            /** @description A hook set of the server's configuration (GET /api/v1/hook-sets); its post scripts run on the Lifeline server once the VM is up. */
            readonly hookSet?: string;
            /** @description Source network name → this site's network, over the pairing's mapping; not used by drills, which keep the test networks. */
            readonly networks?: {
                readonly [key: string]: string;
            };
            /** @description This site's datastore (name) for the VM's files, over the pairing's mapping. */
            readonly datastore?: string;
            /** @description This site's VM folder (moref). */
            readonly folder?: string;
            /** @description This site's resource pool (moref). */
            readonly pool?: string;
        };
        /** @description Per-VM options by replicated VM id; every key must be a VM of the plan's groups. */
        readonly PlanVmOptionsMap: {
            readonly [key: string]: components["schemas"]["PlanVmOptions"];
        };
        readonly PlanRun: {
            readonly id: string;
            readonly planId: string;
            /** @enum {string} */
            readonly mode: "disaster" | "test" | "planned";
            readonly failback?: components["schemas"]["PlanFailback"];
            readonly jobId: string | null;
            readonly cleanupJobId: string | null;
            /** @description Failover ids, by group. */
            readonly groups: readonly (readonly string[])[];
            readonly requestedBy: string;
            /** Format: date-time */
            readonly createdAt: string;
        };
        /** @description Set on a failback run (mode planned): what it was asked; the failovers' failback parts are its report. */
        readonly PlanFailback: {
            /** @enum {string} */
            readonly target: "original" | "new";
            readonly nameSuffix: string | null;
            readonly powerOn: boolean;
            readonly shutdownTimeoutSeconds: number;
        } | null;
        readonly RecoveryPlan: {
            readonly id: string;
            readonly name: string;
            readonly peerId: string;
            readonly groups: readonly {
                readonly vms: readonly string[];
            }[];
            readonly maxParallel: number;
            readonly toolsTimeoutSeconds: number;
            readonly vmOptions?: components["schemas"]["PlanVmOptionsMap"];
            /** Format: date-time */
            readonly createdAt: string;
            /** Format: date-time */
            readonly updatedAt: string;
            /** @description The last 5 runs, newest first, each with its failovers (and their reports) by group. */
            readonly runs: readonly {
                readonly id: string;
                readonly planId: string;
                /** @enum {string} */
                readonly mode: "disaster" | "test" | "planned";
                readonly failback?: components["schemas"]["PlanFailback"];
                readonly jobId: string | null;
                readonly cleanupJobId: string | null;
                readonly groups: readonly (readonly string[])[];
                readonly requestedBy: string;
                /** Format: date-time */
                readonly createdAt: string;
                readonly failovers: readonly (readonly components["schemas"]["Failover"][])[];
            }[];
        };
        readonly RecoveryPlanList: {
            readonly items: readonly components["schemas"]["RecoveryPlan"][];
        };
        /** @description The recovery-plan job and the run it works on. */
        readonly PlanAccepted: {
            readonly job: components["schemas"]["Job"];
            readonly created: boolean;
            readonly run: components["schemas"]["PlanRun"];
        };
    };
    responses: {
        /** @description The request is not valid (a parameter, field, body or the lifeline-vc-guid header); `errors` lists each fault. Codes: validation, bad-request, vcenter-unknown. */
        readonly BadRequest: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                readonly "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description No vCenter session header, or vCenter did not accept the session (code unauthenticated). */
        readonly Unauthenticated: {
            headers: {
                /** @description vmware-api-session-id: the scheme the API expects (RFC 9110). */
                readonly "WWW-Authenticate"?: string;
                readonly [name: string]: unknown;
            };
            content: {
                readonly "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description The session's user lacks the Lifeline or vCenter privilege the call needs on its object (code forbidden). */
        readonly Forbidden: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                readonly "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description The object named in the path does not exist (not-found, point-not-found). */
        readonly NotFound: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                readonly "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description The request is sound but the state forbids it now (conflict, busy, job-finished, policy-name-taken, policy-in-use, not-protected, retention-locked, point-in-use, retention-shorten-refused, restore-vm-changed, site-paired, site-thumbprint-mismatch, …). */
        readonly Conflict: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                readonly "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description The body is larger than 1 MB (payload-too-large). */
        readonly PayloadTooLarge: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                readonly "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description The body is not JSON in a charset the server reads (unsupported-media-type). */
        readonly UnsupportedMediaType: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                readonly "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description The Range cannot be served (range-not-satisfiable); Content-Range gives the size. */
        readonly RangeNotSatisfiable: {
            headers: {
                /** @description bytes *\/<size of the disk> */
                readonly "Content-Range"?: string;
                readonly [name: string]: unknown;
            };
            content: {
                readonly "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description The DR site refused the pairing code: not one it issued, expired or already used; the detail says which (pairing-code-invalid). */
        readonly UnprocessableContent: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                readonly "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description An unexpected error (internal: quote `errorId`), or damaged backup data that the detail names (chunk-corrupt, index-invalid, manifest-invalid, catalog-unreadable, restore-*). */
        readonly InternalError: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                readonly "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description vCenter or a paired site could not be reached or answered with a fault (vcenter-unreachable, vcenter-error, vsphere-*, site-unreachable, site-error). */
        readonly BadGateway: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                readonly "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Not possible on this server now: shutting-down, queue-full, runner-stopped, repository-busy, vcenter-not-configured, or backup-unavailable (no backup store). */
        readonly Unavailable: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                readonly "application/problem+json": components["schemas"]["Problem"];
            };
        };
    };
    parameters: {
        /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
        readonly vmId: string;
        /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
        readonly pointId: string;
        /** @description A disk number of the restore point (its disks[].index). */
        readonly disk: number;
        readonly jobId: string;
        readonly policyId: string;
        /** @description The id of a paired site (GET /api/v1/sites). */
        readonly siteId: string;
        /** @description A replicated VM's id at the source site, <vCenter UUID>:<moref> (GET /api/v1/sites/{id}/replicated-vms), URL-encoded. */
        readonly replicatedVmId: string;
        /** @description A failover id (GET /api/v1/failovers). */
        readonly failoverId: string;
        /** @description A recovery plan id (GET /api/v1/recovery-plans). */
        readonly planId: string;
        readonly attachmentId: string;
        /** @description An instant recovery id (GET /api/v1/instant-recoveries). */
        readonly runId: string;
        readonly channelId: string;
        /** @description Items to skip. */
        readonly offset: number;
        /** @description Items per page. */
        readonly limit: number;
        /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
        readonly vcenter: string;
        /** @description Resume after this event (its id); events missed are replayed, or a snapshot/resync is sent when they no longer can be. */
        readonly lastEventId: string;
        /** @description The same as Last-Event-ID, for clients that cannot set headers. */
        readonly lastEventIdQuery: string;
        /** @description Where the restore points are read from: local (the local store, the default) or object-storage (the store's copy on object storage, which may hold points pruned locally). */
        readonly source: "local" | "object-storage";
        /** @description One byte range, bytes=first-last | first- | -suffix. */
        readonly range: string;
        /** @description The ETag of the copy held; another sends the whole disk. */
        readonly ifRange: string;
    };
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    readonly getHealth: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The server runs. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    readonly getOpenApiDocument: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The OpenAPI 3.1 document of /api/v1. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": Record<string, never>;
                };
            };
        };
    };
    readonly listVcenters: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The vCenters. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["VcenterList"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listVms: {
        readonly parameters: {
            readonly query?: {
                /** @description Items to skip. */
                readonly offset?: components["parameters"]["offset"];
                /** @description Items per page. */
                readonly limit?: components["parameters"]["limit"];
            };
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description A page of VMs. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["VmPage"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getRootCapabilities: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The capabilities. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["VmCapabilities"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getVmCapabilities: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The capabilities. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["VmCapabilities"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listHookSets: {
        readonly parameters: {
            readonly query?: {
                /** @description Items to skip. */
                readonly offset?: components["parameters"]["offset"];
                /** @description Items per page. */
                readonly limit?: components["parameters"]["limit"];
            };
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description A page of hook set names. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["HookSetPage"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listPolicies: {
        readonly parameters: {
            readonly query?: {
                /** @description Items to skip. */
                readonly offset?: components["parameters"]["offset"];
                /** @description Items per page. */
                readonly limit?: components["parameters"]["limit"];
            };
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description A page of policies. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["PolicyPage"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly createPolicy: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["PolicySpec"];
            };
        };
        readonly responses: {
            /** @description The policy created. */
            readonly 201: {
                headers: {
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Policy"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getPolicy: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                readonly id: components["parameters"]["policyId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The policy. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Policy"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly replacePolicy: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                readonly id: components["parameters"]["policyId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["PolicySpec"];
            };
        };
        readonly responses: {
            /** @description The policy as saved. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Policy"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly deletePolicy: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                readonly id: components["parameters"]["policyId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Deleted. */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly patchPolicy: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                readonly id: components["parameters"]["policyId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/merge-patch+json": components["schemas"]["PolicyPatch"];
            };
        };
        readonly responses: {
            /** @description The policy as saved. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Policy"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getVmProtection: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The protection. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["VmProtection"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly assignPolicy: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["ProtectionAssignment"];
            };
        };
        readonly responses: {
            /** @description The VM had a policy; it now has this one. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["VmProtection"];
                };
            };
            /** @description The VM is now protected. */
            readonly 201: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["VmProtection"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly unassignPolicy: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Removed. */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getVmReplication: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The replication state. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["VmReplication"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getVmFailedOver: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The mark, or null. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["VmFailedOver"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly clearVmFailedOver: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Cleared. */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listVmEvents: {
        readonly parameters: {
            readonly query?: {
                readonly limit?: number;
            };
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The events. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["VmEventList"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly backUpNow: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The backup runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listCompliance: {
        readonly parameters: {
            readonly query?: {
                /** @description Items to skip. */
                readonly offset?: components["parameters"]["offset"];
                /** @description Items per page. */
                readonly limit?: components["parameters"]["limit"];
                readonly status?: "compliant" | "at-risk" | "violated";
            };
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description A page of protected VMs. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["CompliancePage"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listJobs: {
        readonly parameters: {
            readonly query?: {
                /** @description Items to skip. */
                readonly offset?: components["parameters"]["offset"];
                readonly limit?: number;
                /** @description One or more states, separated by commas. */
                readonly state?: string;
                readonly kind?: string;
                /** @description A VM id: jobs on that VM. */
                readonly target?: string;
            };
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description A page of jobs. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobPage"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getJob: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                readonly id: components["parameters"]["jobId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The job. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobDetail"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly cancelJob: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                readonly id: components["parameters"]["jobId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The job has ended. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Job"];
                };
            };
            /** @description Cancelling: the job ends once its work has cleaned up. */
            readonly 202: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Job"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly streamJobEvents: {
        readonly parameters: {
            readonly query?: {
                /** @description The same as Last-Event-ID, for clients that cannot set headers. */
                readonly lastEventId?: components["parameters"]["lastEventIdQuery"];
            };
            readonly header?: {
                /** @description Resume after this event (its id); events missed are replayed, or a snapshot/resync is sent when they no longer can be. */
                readonly "Last-Event-ID"?: components["parameters"]["lastEventId"];
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                readonly id: components["parameters"]["jobId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The job's events. A text/event-stream: `retry:` first, then one event per job change (`id:` its seq, `event:` its type, `data:` a JobEvent), and a comment line as heartbeat. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "text/event-stream": string;
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly streamEvents: {
        readonly parameters: {
            readonly query?: {
                /** @description The same as Last-Event-ID, for clients that cannot set headers. */
                readonly lastEventId?: components["parameters"]["lastEventIdQuery"];
            };
            readonly header?: {
                /** @description Resume after this event (its id); events missed are replayed, or a snapshot/resync is sent when they no longer can be. */
                readonly "Last-Event-ID"?: components["parameters"]["lastEventId"];
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description All jobs' events. A text/event-stream: `retry:` first, then one event per job change (`id:` its seq, `event:` its type, `data:` a JobEvent), and a comment line as heartbeat. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "text/event-stream": string;
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listVmPoints: {
        readonly parameters: {
            readonly query?: {
                /** @description Where the restore points are read from: local (the local store, the default) or object-storage (the store's copy on object storage, which may hold points pruned locally). */
                readonly source?: components["parameters"]["source"];
                /** @description Items to skip. */
                readonly offset?: components["parameters"]["offset"];
                /** @description Items per page. */
                readonly limit?: components["parameters"]["limit"];
            };
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description A page of restore points. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["RestorePointPage"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getPoint: {
        readonly parameters: {
            readonly query?: {
                /** @description Where the restore points are read from: local (the local store, the default) or object-storage (the store's copy on object storage, which may hold points pruned locally). */
                readonly source?: components["parameters"]["source"];
            };
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The point. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["RestorePointDetail"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly deletePoint: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Deleted; its chunks go at the next garbage collection. */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listPublications: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Every publication. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["PublicationList"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getInstantRevert: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The instant revert, and the job working on it now. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["VmInstantRevert"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly instantRevert: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["InstantRevertRequest"];
            };
        };
        readonly responses: {
            /** @description The instant revert runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly commitInstantRevert: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["EmptyRequest"];
            };
        };
        readonly responses: {
            /** @description Making it permanent runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly cancelInstantRevert: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["EmptyRequest"];
            };
        };
        readonly responses: {
            /** @description The cancel runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly publishPoint: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["PublicationRequest"];
            };
        };
        readonly responses: {
            /** @description The publication: its folder in the export. */
            readonly 201: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Publication"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly unpublishPoint: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Unpublished; its overlay and the files clients created are gone. */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly extendRetention: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["RetentionRequest"];
            };
        };
        readonly responses: {
            /** @description The retention change runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly exportRaw: {
        readonly parameters: {
            readonly query?: {
                /** @description Where the restore points are read from: local (the local store, the default) or object-storage (the store's copy on object storage, which may hold points pruned locally). */
                readonly source?: components["parameters"]["source"];
            };
            readonly header?: {
                /** @description One byte range, bytes=first-last | first- | -suffix. */
                readonly Range?: components["parameters"]["range"];
                /** @description The ETag of the copy held; another sends the whole disk. */
                readonly "If-Range"?: components["parameters"]["ifRange"];
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
                /** @description A disk number of the restore point (its disks[].index). */
                readonly disk: components["parameters"]["disk"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The whole disk, as an attachment (Content-Disposition names the file). */
            readonly 200: {
                headers: {
                    readonly ETag?: string;
                    readonly "Last-Modified"?: string;
                    readonly "Content-Disposition"?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/octet-stream": string;
                };
            };
            /** @description The byte range asked for. */
            readonly 206: {
                headers: {
                    readonly "Content-Range"?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/octet-stream": string;
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 416: components["responses"]["RangeNotSatisfiable"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly exportRawHead: {
        readonly parameters: {
            readonly query?: {
                /** @description Where the restore points are read from: local (the local store, the default) or object-storage (the store's copy on object storage, which may hold points pruned locally). */
                readonly source?: components["parameters"]["source"];
            };
            readonly header?: {
                /** @description One byte range, bytes=first-last | first- | -suffix. */
                readonly Range?: components["parameters"]["range"];
                /** @description The ETag of the copy held; another sends the whole disk. */
                readonly "If-Range"?: components["parameters"]["ifRange"];
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
                /** @description A disk number of the restore point (its disks[].index). */
                readonly disk: components["parameters"]["disk"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The whole disk, as an attachment (Content-Disposition names the file). */
            readonly 200: {
                headers: {
                    readonly ETag?: string;
                    readonly "Last-Modified"?: string;
                    readonly "Content-Disposition"?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/octet-stream": string;
                };
            };
            /** @description The byte range asked for. */
            readonly 206: {
                headers: {
                    readonly "Content-Range"?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/octet-stream": string;
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 416: components["responses"]["RangeNotSatisfiable"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly exportVmdk: {
        readonly parameters: {
            readonly query?: {
                /** @description Where the restore points are read from: local (the local store, the default) or object-storage (the store's copy on object storage, which may hold points pruned locally). */
                readonly source?: components["parameters"]["source"];
            };
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
                /** @description A disk number of the restore point (its disks[].index). */
                readonly disk: components["parameters"]["disk"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The VMDK, as an attachment (Content-Disposition names the file). */
            readonly 200: {
                headers: {
                    readonly ETag?: string;
                    readonly "Last-Modified"?: string;
                    readonly "Content-Disposition"?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/octet-stream": string;
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly exportVmdkHead: {
        readonly parameters: {
            readonly query?: {
                /** @description Where the restore points are read from: local (the local store, the default) or object-storage (the store's copy on object storage, which may hold points pruned locally). */
                readonly source?: components["parameters"]["source"];
            };
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
                /** @description A disk number of the restore point (its disks[].index). */
                readonly disk: components["parameters"]["disk"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The VMDK, as an attachment (Content-Disposition names the file). */
            readonly 200: {
                headers: {
                    readonly ETag?: string;
                    readonly "Last-Modified"?: string;
                    readonly "Content-Disposition"?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/octet-stream": string;
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly issueDownloadTicket: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
                /** @description A disk number of the restore point (its disks[].index). */
                readonly disk: components["parameters"]["disk"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["DownloadTicketRequest"];
            };
        };
        readonly responses: {
            /** @description The ticket. */
            readonly 201: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["DownloadTicket"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly download: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description One byte range, bytes=first-last | first- | -suffix. */
                readonly Range?: components["parameters"]["range"];
                /** @description The ETag of the copy held; another sends the whole disk. */
                readonly "If-Range"?: components["parameters"]["ifRange"];
            };
            readonly path: {
                readonly ticket: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The export, as an attachment (Content-Disposition names the file). */
            readonly 200: {
                headers: {
                    readonly ETag?: string;
                    readonly "Last-Modified"?: string;
                    readonly "Content-Disposition"?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/octet-stream": string;
                };
            };
            /** @description The byte range asked for. */
            readonly 206: {
                headers: {
                    readonly "Content-Range"?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/octet-stream": string;
                };
            };
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 416: components["responses"]["RangeNotSatisfiable"];
            readonly 500: components["responses"]["InternalError"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly downloadHead: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description One byte range, bytes=first-last | first- | -suffix. */
                readonly Range?: components["parameters"]["range"];
                /** @description The ETag of the copy held; another sends the whole disk. */
                readonly "If-Range"?: components["parameters"]["ifRange"];
            };
            readonly path: {
                readonly ticket: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The export, as an attachment (Content-Disposition names the file). */
            readonly 200: {
                headers: {
                    readonly ETag?: string;
                    readonly "Last-Modified"?: string;
                    readonly "Content-Disposition"?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/octet-stream": string;
                };
            };
            /** @description The byte range asked for. */
            readonly 206: {
                headers: {
                    readonly "Content-Range"?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/octet-stream": string;
                };
            };
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 416: components["responses"]["RangeNotSatisfiable"];
            readonly 500: components["responses"]["InternalError"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getRevert: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The revert. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["VmRevert"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly revert: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["RevertRequest"];
            };
        };
        readonly responses: {
            /** @description The revert runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly cancelRevert: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["CancelRevertRequest"];
            };
        };
        readonly responses: {
            /** @description The undo runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly commitRevert: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["EmptyRequest"];
            };
        };
        readonly responses: {
            /** @description Making it permanent runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly instantiate: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["InstantiateRequest"];
            };
        };
        readonly responses: {
            /** @description Creating the VM runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly attach: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["AttachRequest"];
            };
        };
        readonly responses: {
            /** @description The clone and attach runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly instantInstance: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["InstantInstanceRequest"];
            };
        };
        readonly responses: {
            /** @description Starting the VM runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["InstantAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly instantAttach: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A restore point id, e.g. 20250102-030405-1a2b3c4d. */
                readonly pointId: components["parameters"]["pointId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["InstantAttachRequest"];
            };
        };
        readonly responses: {
            /** @description The attach runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["InstantAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listInstantRecoveries: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description All of them. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["InstantRecoveryList"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getInstantRecovery: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description An instant recovery id (GET /api/v1/instant-recoveries). */
                readonly runId: components["parameters"]["runId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description It. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["InstantRecovery"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listInstantMigrationTargets: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description An instant recovery id (GET /api/v1/instant-recoveries). */
                readonly runId: components["parameters"]["runId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Its datacenter’s datastores. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["InstantMigrationTargets"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly migrateInstantRecovery: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description An instant recovery id (GET /api/v1/instant-recoveries). */
                readonly runId: components["parameters"]["runId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["InstantMigrateRequest"];
            };
        };
        readonly responses: {
            /** @description The migration runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["InstantAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly discardInstantRecovery: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description An instant recovery id (GET /api/v1/instant-recoveries). */
                readonly runId: components["parameters"]["runId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["EmptyRequest"];
            };
        };
        readonly responses: {
            /** @description The discard runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["InstantAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listAttachments: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The VM: the vSphere Client's id urn:vmomi:VirtualMachine:<moref>:<vCenter UUID> (URL-encoded), or a bare moref for the vCenter named by lifeline-vc-guid or the only one configured. */
                readonly vmId: components["parameters"]["vmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description All of them. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["AttachmentList"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getAttachment: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                readonly attachmentId: components["parameters"]["attachmentId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The attachment. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Attachment"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly detach: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                readonly attachmentId: components["parameters"]["attachmentId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The detach runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listAudit: {
        readonly parameters: {
            readonly query?: {
                /** @description Items to skip. */
                readonly offset?: components["parameters"]["offset"];
                /** @description Items per page. */
                readonly limit?: components["parameters"]["limit"];
                readonly user?: string;
                readonly object?: string;
                readonly action?: string;
            };
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description A page of audit records. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["AuditPage"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getStorage: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The figures. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["StorageFigures"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listSites: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description This site and its peers. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["SitesOverview"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly pairSite: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["PairRequest"];
            };
        };
        readonly responses: {
            /** @description Paired. */
            readonly 201: {
                headers: {
                    /** @description The pairing: /api/v1/sites/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Peer"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 422: components["responses"]["UnprocessableContent"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly allowPairing: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The code, with what the other site must confirm. */
            readonly 201: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["PairingCode"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly probeSite: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["SiteProbeRequest"];
            };
        };
        readonly responses: {
            /** @description What the address presents. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["SiteProbe"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly unpairSite: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Unpaired. */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly updateSite: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["SitePatch"];
            };
        };
        readonly responses: {
            /** @description The pairing. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Peer"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getSiteMappings: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The mappings. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["SiteMappings"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly putSiteMappings: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["ResourceMappingsInput"];
            };
        };
        readonly responses: {
            /** @description Stored. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["SiteMappingsSaved"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getMappingTargets: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The targets. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["MappingTargets"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listReplicatedVms: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The VMs. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["ReplicatedVmList"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listReplicatedPoints: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
                /** @description A replicated VM's id at the source site, <vCenter UUID>:<moref> (GET /api/v1/sites/{id}/replicated-vms), URL-encoded. */
                readonly vmId: components["parameters"]["replicatedVmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The points. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["ReplicatedPointList"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listAllReplicatedVms: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The VMs. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["SiteReplicatedVmList"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly failOver: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
                /** @description A replicated VM's id at the source site, <vCenter UUID>:<moref> (GET /api/v1/sites/{id}/replicated-vms), URL-encoded. */
                readonly vmId: components["parameters"]["replicatedVmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["FailoverRequest"];
            };
        };
        readonly responses: {
            /** @description The failover runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["FailoverAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly failBack: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description The id of a paired site (GET /api/v1/sites). */
                readonly id: components["parameters"]["siteId"];
                /** @description A replicated VM's id at the source site, <vCenter UUID>:<moref> (GET /api/v1/sites/{id}/replicated-vms), URL-encoded. */
                readonly vmId: components["parameters"]["replicatedVmId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["FailbackRequest"];
            };
        };
        readonly responses: {
            /** @description The failback runs as a job (kind failback); the failover carries its failback part. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["FailoverAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listFailovers: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The failovers. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["FailoverList"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getFailover: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A failover id (GET /api/v1/failovers). */
                readonly fid: components["parameters"]["failoverId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The failover. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Failover"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly cleanUpDrill: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A failover id (GET /api/v1/failovers). */
                readonly fid: components["parameters"]["failoverId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The clean-up runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["FailoverAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listRecoveryPlans: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The plans. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["RecoveryPlanList"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly createRecoveryPlan: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["RecoveryPlanInput"];
            };
        };
        readonly responses: {
            /** @description Created. */
            readonly 201: {
                headers: {
                    /** @description The plan: /api/v1/recovery-plans/{pid}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["RecoveryPlan"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getRecoveryPlan: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A recovery plan id (GET /api/v1/recovery-plans). */
                readonly pid: components["parameters"]["planId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The plan. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["RecoveryPlan"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly updateRecoveryPlan: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A recovery plan id (GET /api/v1/recovery-plans). */
                readonly pid: components["parameters"]["planId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["RecoveryPlanInput"];
            };
        };
        readonly responses: {
            /** @description The plan. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["RecoveryPlan"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly deleteRecoveryPlan: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A recovery plan id (GET /api/v1/recovery-plans). */
                readonly pid: components["parameters"]["planId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Deleted. */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly runRecoveryPlan: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A recovery plan id (GET /api/v1/recovery-plans). */
                readonly pid: components["parameters"]["planId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    /** @enum {string} */
                    readonly mode: "disaster" | "test" | "planned";
                    /** @description Mode planned only: how long the source site waits for each guest to shut down through VMware Tools before it powers the VM off (default 300; 0: power off at once). */
                    readonly shutdownTimeoutSeconds?: number;
                };
            };
        };
        readonly responses: {
            /** @description The run is a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["PlanAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly failBackRecoveryPlan: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A recovery plan id (GET /api/v1/recovery-plans). */
                readonly pid: components["parameters"]["planId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": {
                    /** @enum {string} */
                    readonly target?: "original" | "new";
                    /** @description Target new: each new VM is named its source VM's name followed by this (default -failback). */
                    readonly nameSuffix?: string | null;
                    /** @description Power the VMs on at the source site (default true). */
                    readonly powerOn?: boolean;
                    /** @description How long this site waits for each guest to shut down through VMware Tools before it powers the VM off (default 300; 0: power off at once). */
                    readonly shutdownTimeoutSeconds?: number;
                };
            };
        };
        readonly responses: {
            /** @description The failback is a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["PlanAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly cleanUpRecoveryPlan: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                /** @description A recovery plan id (GET /api/v1/recovery-plans). */
                readonly pid: components["parameters"]["planId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The clean-up is a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["PlanAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 409: components["responses"]["Conflict"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getSettings: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The settings. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["ServerSettings"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listChannels: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description All channels. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["NotificationChannelList"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly createChannel: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["NotificationChannelInput"];
            };
        };
        readonly responses: {
            /** @description The channel. */
            readonly 201: {
                headers: {
                    /** @description /api/v1/notifications/channels/{id} */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["NotificationChannel"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly getChannel: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                readonly id: components["parameters"]["channelId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The channel. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["NotificationChannel"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly replaceChannel: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                readonly id: components["parameters"]["channelId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["NotificationChannelInput"];
            };
        };
        readonly responses: {
            /** @description The channel. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["NotificationChannel"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly deleteChannel: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                readonly id: components["parameters"]["channelId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Removed. */
            readonly 204: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content?: never;
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly testChannel: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path: {
                readonly id: components["parameters"]["channelId"];
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The outcome. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["ChannelTestResult"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly listDeliveries: {
        readonly parameters: {
            readonly query?: {
                readonly channelId?: string;
                readonly limit?: number;
                /** @description Only entries with a lower id (paging on). */
                readonly before?: number;
            };
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The attempts. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["DeliveryLog"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 404: components["responses"]["NotFound"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
    readonly runMaintenance: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: {
                /** @description The instance UUID of the vCenter the call is about, when the server serves several and the path does not name it. */
                readonly "lifeline-vc-guid"?: components["parameters"]["vcenter"];
            };
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["MaintenanceRequest"];
            };
        };
        readonly responses: {
            /** @description Maintenance runs as a job. */
            readonly 202: {
                headers: {
                    /** @description The job: /api/v1/jobs/{id}. */
                    readonly Location?: string;
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["JobAccepted"];
                };
            };
            readonly 400: components["responses"]["BadRequest"];
            readonly 401: components["responses"]["Unauthenticated"];
            readonly 403: components["responses"]["Forbidden"];
            readonly 413: components["responses"]["PayloadTooLarge"];
            readonly 415: components["responses"]["UnsupportedMediaType"];
            readonly 500: components["responses"]["InternalError"];
            readonly 502: components["responses"]["BadGateway"];
            readonly 503: components["responses"]["Unavailable"];
        };
    };
}
