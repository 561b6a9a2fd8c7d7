// Lifeline's HTTPS edge: the Express app under /api/v1 (policies, protection, jobs with SSE
// progress, audit; problem+json errors; every call but health authorised by the caller's own
// vCenter session and privileges), the self-signed TLS identity kept in the data directory, the
// server's SQLite database, graceful shutdown, and the composition root that wires them.
export { startLifelineServer, productVersion } from './lifeline-server.js';
export type { LifelineServer, LifelineServerDeps, ServerConfig } from './lifeline-server.js';
export { createApp, uiPath, API_PREFIX } from './app.js';
export { Authorizer, authorizedCall, SESSION_HEADER, VCENTER_HEADER } from './auth/authorize.js';
export type { AuthorizedCall, Requirement } from './auth/authorize.js';
export { SessionCache } from './auth/session-cache.js';
export { AuthenticationError, PermissionError, SessionLostError } from './auth/ports.js';
export type { MoRef, SessionCloner, UserSession, VcenterTarget } from './auth/ports.js';
export { createVcenterCloner, createVcenterClonerWith } from './vcenter-cloner.js';
export type { VcenterUserSession, VimConnection } from './vcenter-cloner.js';
export { checkPasswordFiles, readVcenterPassword } from './vcenter-password.js';
export { ensureServerCertificate } from './tls/server-certificate.js';
export type { ServerCertificate } from './tls/server-certificate.js';
export { statusForCode, toProblem, PROBLEM_CONTENT_TYPE } from './problem.js';
export type { Problem } from './problem.js';
export { EXTENSION_KEY, PRIVILEGES, READ_PRIVILEGE, cancelPrivilegeFor } from './privileges.js';
export type { LifelinePrivilege } from './privileges.js';
export { SqliteAuditLog } from './audit/audit-log.js';
export type { AuditLog, AuditQuery, AuditRecord, NewAuditRecord, AuditOutcome } from './audit/audit-log.js';
export { openStateDatabase, stateDatabasePath, STATE_DATABASE_FILE } from './state-database.js';
