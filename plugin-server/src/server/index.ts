// Lifeline's composition root: the one place where the server's services are constructed and
// stopped — the TLS identity, the SQLite state database, the backup pipeline's repository and
// service-account vCenter connections, the job runner and its handlers, the schedulers, the user
// session cloner, the Express app of api/ and the HTTPS listener. The command line starts the
// server through here; everything below receives what it needs (docs/architecture.md).
export { startLifelineServer, productVersion, lifelineRoot } from './lifeline-server.js';
export type { LifelineServer, LifelineServerDeps, ServerConfig } from './lifeline-server.js';
export { openBackupServices, PASSPHRASE_FILE } from './backup-services.js';
export type { BackupServices, BackupServicesOptions } from './backup-services.js';
export { createVcenterCloner, createVcenterClonerWith } from './vcenter-cloner.js';
export type { VcenterUserSession, VimConnection } from './vcenter-cloner.js';
export { checkPasswordFiles, readVcenterPassword } from './vcenter-password.js';
export { ensureServerCertificate } from './tls/server-certificate.js';
export type { ServerCertificate } from './tls/server-certificate.js';
export { openStateDatabase, stateDatabasePath, STATE_DATABASE_FILE } from './state-database.js';
export { InFlightRequests, listenHttps } from './https-server.js';
export type { HttpsListener, HttpsServerOptions } from './https-server.js';
export { startProductionServer } from './production-server.js';
export { withSiteService } from './site-admin.js';
