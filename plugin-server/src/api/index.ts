// Lifeline's HTTP edge: the Express app under /api/v1 (policies, protection, jobs with SSE
// progress, restore points, recovery, audit; problem+json errors; every call but health
// authorised by the caller's own vCenter session and privileges) and the plugin's files. It builds
// no service of its own: server/ constructs everything and hands it in (docs/architecture.md).
export { createApp, uiPath, API_PREFIX } from './app.js';
export { Authorizer, authorizedCall, SESSION_HEADER, VCENTER_HEADER } from './auth/authorize.js';
export type { AuthorizedCall, Requirement } from './auth/authorize.js';
export { SessionCache } from './auth/session-cache.js';
export { AuthenticationError, PermissionError, SessionLostError } from './auth/ports.js';
export type { MoRef, SessionCloner, UserSession, VcenterTarget } from './auth/ports.js';
export { statusForCode, toProblem, PROBLEM_CONTENT_TYPE } from './problem.js';
export type { Problem } from './problem.js';
export { EXTENSION_KEY, PRIVILEGES, READ_PRIVILEGE, cancelPrivilegeFor } from './privileges.js';
export type { LifelinePrivilege } from './privileges.js';
export { SqliteAuditLog } from './audit/audit-log.js';
export type { AuditLog, AuditQuery, AuditRecord, NewAuditRecord, AuditOutcome } from './audit/audit-log.js';
