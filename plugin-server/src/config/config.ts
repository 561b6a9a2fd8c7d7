/**
 * Lifeline's server configuration: one typed object assembled from, in rising precedence, the
 * built-in defaults, a JSON file (lifeline.json), LIFELINE_* environment variables and command-line
 * flags. Every value is validated here, so a mistake is reported at start-up with the field that
 * holds it rather than as an odd failure later. The vCenters are keyed by their instance UUID
 * (the vCenter GUID the vSphere Client puts in every object id), which is how a request names one;
 * the URL Lifeline calls always comes from here, never from a request.
 *
 * The file holds no secrets: a vCenter's service-user password lives in its own file, named by
 * `passwordFile`, which only the composition root reads.
 */
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { looksLikeSha1, normaliseThumbprint } from '../domain/index.js';
import { LifelineError } from '../errors/index.js';
import type { LogLevel } from '../log/index.js';

/** A vCenter that Lifeline serves, as configured. */
export interface VcenterConfig {
  /** The vCenter's instance UUID (ServiceContent.about.instanceUuid), lower case. */
  readonly guid: string;
  /** The vCenter's HTTPS origin, e.g. `https://vc.example.com` (the SDK is `<url>/sdk`). */
  readonly url: string;
  /** SHA-256 of the vCenter's certificate: 32 upper-case hex pairs joined by colons. */
  readonly thumbprint: string;
  /** The service user Lifeline's own jobs log in as. */
  readonly user: string;
  /** Absolute path of a file holding the service user's password (and nothing else). */
  readonly passwordFile: string;
}

/** A hook set's name: 1 to 40 lower-case letters, digits, dashes or underscores, starting with a letter or digit. */
export const HOOK_SET_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
export const HOOK_SCRIPT_TIMEOUT_MIN_SECONDS = 1;
export const HOOK_SCRIPT_TIMEOUT_MAX_SECONDS = 3600;
export const HOOK_SCRIPT_TIMEOUT_DEFAULT_SECONDS = 300;
/** Scripts per phase of one set; more is a sign of a set that should be one script. */
export const HOOK_SET_MAX_SCRIPTS = 8;

/** One script of a hook set: run without a shell, with only PATH and the job's LIFELINE_* variables. */
export interface HookScript {
  /** Absolute path of the executable. */
  readonly command: string;
  readonly args: readonly string[];
  readonly timeoutSeconds: number;
}

/** Pre/post snapshot scripts that a protection policy may choose by name. */
export interface HookSet {
  readonly name: string;
  /** Run in order before the snapshot; the first failure fails the backup before any snapshot. */
  readonly pre: readonly HookScript[];
  /** Run in order after the snapshot (taken or not), all of them even when one fails. */
  readonly post: readonly HookScript[];
}

/** A time of day on the server's clock (its local time zone). */
export interface DailyTime {
  readonly hour: number;
  readonly minute: number;
}

/** The repository's daily maintenance: policy retention, garbage collection, sampled verification. */
export interface MaintenanceConfig {
  /** False: no scheduled run (an administrator runs it from Settings, the API or the CLI). */
  readonly enabled: boolean;
  /** When it starts each day, server local time. */
  readonly at: DailyTime;
  /** Share of the stored chunks each run re-reads and checks, in percent. */
  readonly verifyPercent: number;
}

/**
 * How many backups and other jobs run at once: in all, per datastore (reading a datastore's disks)
 * and per ESXi host (its snapshot and disk-read load). Jobs due beyond them wait as queued jobs.
 */
export interface JobLimitsConfig {
  readonly global: number;
  readonly perDatastore: number;
  readonly perHost: number;
  /** Jobs waiting for a slot at most; a request for one more is refused (`queue-full`, 503). */
  readonly queued: number;
}

export const DEFAULT_JOB_LIMITS: JobLimitsConfig = { global: 4, perDatastore: 2, perHost: 4, queued: 10_000 };
export const JOB_LIMIT_MAX = 1000;
export const QUEUED_JOBS_MAX = 1_000_000;

export const DEFAULT_MAINTENANCE: MaintenanceConfig = { enabled: true, at: { hour: 3, minute: 0 }, verifyPercent: 4 };

/** `storeS3` of lifeline.json: where a new store keeps its objects on S3-compatible storage. */
export interface StoreS3Config {
  readonly bucket: string;
  /** '' or ending in '/'. */
  readonly prefix: string;
  readonly endpoint?: string;
  readonly region: string;
  readonly forcePathStyle: boolean;
  /** Absolute. */
  readonly caFile?: string;
  /** The endpoint's certificate's SHA-256 thumbprint (AA:BB:…): trusted by that pin instead of a CA. */
  readonly certSha256?: string;
  /** Absolute; absent: the AWS environment/profile chain. */
  readonly credentialsFile?: string;
  /** Refuse a bucket without Object Lock (default true). */
  readonly requireObjectLock: boolean;
}

export function formatDailyTime(t: DailyTime): string {
  return `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;
}

/** The site listener: site-to-site traffic (pairing, replication) over mutual TLS. */
export interface SiteConfig {
  readonly host: string;
  /** 0 lets the system choose a free port (tests). */
  readonly port: number;
  /** This site's name, as paired sites and their policies name it. */
  readonly name: string;
  /**
   * The address other sites reach the site listener at (https://host:port), when it is not
   * https://<host>:<port> as listened on: behind NAT, or when host is a wildcard. Null: that one.
   */
  readonly url: string | null;
}

/** A site's name: 1 to 64 letters, digits, dots, colons, dashes or underscores, starting with a letter or digit. */
export const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const DEFAULT_SITE_PORT = 8543;

export interface Config {
  /** The file the configuration was read from, or null when none was found. */
  readonly configFile: string | null;
  /** Where Lifeline keeps its own state: TLS key and certificate, catalog. Absolute. */
  readonly dataDir: string;
  /** Where the backup repository lives. Absolute. */
  readonly storeDir: string;
  /**
   * Room backups leave free on the store's file system, so that maintenance can always run and
   * free space again: below it, backups are refused ('store-full') before they touch the VM.
   */
  readonly storeReserveBytes: number;
  /**
   * Keep the store's objects in an S3 bucket (the store directory then holds its catalog): used
   * when the server creates the store; a store made earlier keeps its location.
   */
  readonly storeS3: StoreS3Config | null;
  /**
   * Where copies of restore points go for policies that ask for them (copyToObjectStorage): an S3
   * bucket with Object Lock, the copy's catalog in `<dataDir>/object-copy`; null for none.
   */
  readonly copyS3: StoreS3Config | null;
  readonly host: string;
  /** 0 lets the system choose a free port (tests). */
  readonly port: number;
  readonly logLevel: LogLevel;
  /** The built plugin UI to serve, or null for none. Absolute. */
  readonly uiDir: string | null;
  /** How long a user's cloned vCenter session is kept after its last use before Logout. */
  readonly sessionIdleSeconds: number;
  /** How long a shutdown waits for requests in flight before cutting them off. */
  readonly shutdownTimeoutSeconds: number;
  readonly vcenters: ReadonlyMap<string, VcenterConfig>;
  /**
   * The pre/post snapshot scripts policies may choose, by set name. Only the file declares them
   * (no variable or flag): which commands the server runs is decided by whoever controls its files.
   */
  readonly hookSets: ReadonlyMap<string, HookSet>;
  /**
   * A script run after each restore point is committed, with its id and download links in
   * LIFELINE_* variables (events/point-hook.ts); null for none. Like hook sets, only the file declares it.
   */
  readonly pointHook: HookScript | null;
  readonly maintenance: MaintenanceConfig;
  readonly site: SiteConfig;
  readonly jobLimits: JobLimitsConfig;
  /** The NFS server for instant recovery, or null when it is not configured (nothing listens). */
  readonly nfs: NfsConfig | null;
}

/** Lifeline's NFS server (instant recovery): where it listens and who may connect. */
export interface NfsConfig {
  /** The one IP address it listens on. */
  readonly host: string;
  /** NFS, MOUNT and portmapper port (2049 unless set; 0 lets the system choose, in tests). */
  readonly port: number;
  /** A port of the portmapper's own (111 for ESXi), or null for none. */
  readonly portmapperPort: number | null;
  /** The only client addresses allowed to connect (IP addresses, e.g. the ESXi hosts' VMkernel addresses). */
  readonly clients: readonly string[];
  /** The export's path. */
  readonly exportPath: string;
  /** Chunks kept decoded in memory over every published disk (4 MiB each at most). */
  readonly cacheChunks: number;
  /** Chunks fetched ahead of a sequential reader. */
  readonly readAheadChunks: number;
}

/** Where each setting may come from, for messages that name the exact place of a mistake. */
export const CONFIG_FILE_NAME = 'lifeline.json';
export const DEFAULT_DATA_DIR = '.lifeline-data';
export const DEFAULT_PORT = 8443;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_STORE_RESERVE_GIB = 2;

/** The configuration is unusable; `details.field` names the setting (file path or variable). */
export class ConfigError extends LifelineError {
  constructor(field: string, message: string) {
    super('config-invalid', `${field}: ${message}`, { field });
  }
}

export interface ConfigFlags {
  readonly config?: string | undefined;
  readonly dataDir?: string | undefined;
}

export interface ConfigInput {
  /** The parsed JSON of the configuration file, or undefined when there is none. */
  readonly file?: unknown;
  /** The file's absolute path: relative paths in it are resolved against its directory. */
  readonly filePath?: string | null;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly flags?: ConfigFlags;
  /** Relative paths from flags, environment and defaults resolve against this. */
  readonly cwd: string;
  /** The machine's host name: the site name's default. */
  readonly hostname?: string;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const FILE_KEYS = [
  'dataDir',
  'storeDir',
  'storeReserveGiB',
  'storeS3',
  'copyS3',
  'host',
  'port',
  'logLevel',
  'uiDir',
  'sessionIdleSeconds',
  'shutdownTimeoutSeconds',
  'vcenters',
  'hookSets',
  'pointHook',
  'maintenance',
  'site',
  'jobLimits',
  'nfs',
] as const;
const NFS_KEYS = ['host', 'port', 'portmapperPort', 'clients', 'exportPath', 'cacheChunks', 'readAheadChunks'] as const;
const SITE_KEYS = ['host', 'port', 'name', 'url'] as const;
const JOB_LIMIT_KEYS = ['global', 'perDatastore', 'perHost', 'queued'] as const;
const MAINTENANCE_KEYS = ['enabled', 'at', 'verifyPercent'] as const;
const STORE_S3_KEYS = ['url', 'endpoint', 'region', 'virtualHosted', 'caFile', 'certSha256', 'credentialsFile', 'requireObjectLock'] as const;
const VCENTER_KEYS = ['url', 'thumbprint', 'user', 'passwordFile'] as const;
type VcenterKey = (typeof VCENTER_KEYS)[number];
const VCENTER_ENV: Record<VcenterKey, string> = {
  url: 'LIFELINE_VCENTER_URL',
  thumbprint: 'LIFELINE_VCENTER_THUMBPRINT',
  user: 'LIFELINE_VCENTER_USER',
  passwordFile: 'LIFELINE_VCENTER_PASSWORD_FILE',
};
const HOOK_SET_KEYS = ['pre', 'post'] as const;
const HOOK_SCRIPT_KEYS = ['command', 'args', 'timeoutSeconds'] as const;
const HOOK_ARGS_MAX = 32;
const HOOK_ARG_MAX_LENGTH = 1024;
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be refused
const CONTROL = /[\u0000-\u001f\u007f]/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The environment variables Lifeline reads, for --help texts and the README. A vCenter given by
 * environment merges into the file's entry with the same GUID (or the file's only entry when
 * LIFELINE_VCENTER_GUID is unset), so a container can supply one vCenter without any file.
 */
export const CONFIG_ENV_VARS: Readonly<Record<string, string>> = {
  LIFELINE_CONFIG: 'configuration file (default: <data dir>/lifeline.json, if present)',
  LIFELINE_DATA_DIR: `data directory (default: ./${DEFAULT_DATA_DIR})`,
  LIFELINE_STORE_DIR: 'backup repository directory (default: <data dir>/store)',
  LIFELINE_STORE_RESERVE_GIB: `free room backups leave on the store's file system, in GiB (default: ${DEFAULT_STORE_RESERVE_GIB})`,
  LIFELINE_HOST: `listen address (default: ${DEFAULT_HOST})`,
  LIFELINE_PORT: `listen port (default: ${DEFAULT_PORT}; 0 picks a free one)`,
  LIFELINE_LOG_LEVEL: 'debug, info, warn or error (default: info)',
  LIFELINE_UI_DIR: 'directory of the built plugin UI to serve (default: none)',
  LIFELINE_SESSION_IDLE_SECONDS: "idle time before a user's cloned vCenter session is logged out (default: 600)",
  LIFELINE_SHUTDOWN_TIMEOUT_SECONDS: 'how long shutdown waits for requests in flight (default: 10)',
  LIFELINE_SITE_HOST: 'listen address of the site listener (default: the listen address)',
  LIFELINE_SITE_PORT: `port of the site listener, for paired sites (default: ${DEFAULT_SITE_PORT}; 0 picks a free one)`,
  LIFELINE_SITE_NAME: "this site's name, as paired sites know it (default: the host name)",
  LIFELINE_SITE_URL: 'the https://host:port other sites reach the site listener at (default: as it listens)',
  LIFELINE_VCENTER_GUID: 'instance UUID of the vCenter the following variables describe',
  LIFELINE_VCENTER_URL: 'its HTTPS URL',
  LIFELINE_VCENTER_THUMBPRINT: "SHA-256 thumbprint of its certificate",
  LIFELINE_VCENTER_USER: 'the service user',
  LIFELINE_VCENTER_PASSWORD_FILE: "file holding the service user's password",
};

/**
 * Builds the configuration from already-read inputs. Pure: it reads no file and no global state,
 * so every precedence rule can be tested directly.
 */
export function buildConfig(input: ConfigInput): Config {
  const env = input.env ?? {};
  const flags = input.flags ?? {};
  const fileName = input.filePath ?? CONFIG_FILE_NAME;
  const fileDir = input.filePath ? resolve(input.filePath, '..') : input.cwd;
  const file = input.file === undefined ? {} : asObject(input.file, fileName);
  for (const key of Object.keys(file)) {
    if (!(FILE_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(`${fileName}: ${key}`, `unknown setting (known: ${FILE_KEYS.join(', ')})`);
    }
  }
  const fromFile = (key: string): Src => ({ field: `${fileName}: ${key}`, value: file[key], base: fileDir, fromText: false });
  const fromEnv = (name: string): Src => ({ field: name, value: nonEmpty(env[name]), base: input.cwd, fromText: true });
  const fromFlag = (name: string, value: string | undefined): Src => ({ field: name, value, base: input.cwd, fromText: true });
  // The first source that has a value wins.
  const pick = (...sources: Src[]): Src | undefined => sources.find((s) => s.value !== undefined);

  const dataDirSrc = pick(fromFlag('--data-dir', flags.dataDir), fromEnv('LIFELINE_DATA_DIR'), fromFile('dataDir'));
  const dataDir = dataDirSrc ? path(dataDirSrc) : resolve(input.cwd, DEFAULT_DATA_DIR);
  const storeSrc = pick(fromEnv('LIFELINE_STORE_DIR'), fromFile('storeDir'));
  const reserveSrc = pick(fromEnv('LIFELINE_STORE_RESERVE_GIB'), fromFile('storeReserveGiB'));
  const uiSrc = pick(fromEnv('LIFELINE_UI_DIR'), fromFile('uiDir'));
  const hostSrc = pick(fromEnv('LIFELINE_HOST'), fromFile('host'));
  const portSrc = pick(fromEnv('LIFELINE_PORT'), fromFile('port'));
  const levelSrc = pick(fromEnv('LIFELINE_LOG_LEVEL'), fromFile('logLevel'));
  const idleSrc = pick(fromEnv('LIFELINE_SESSION_IDLE_SECONDS'), fromFile('sessionIdleSeconds'));
  const shutdownSrc = pick(fromEnv('LIFELINE_SHUTDOWN_TIMEOUT_SECONDS'), fromFile('shutdownTimeoutSeconds'));

  const serverHost = hostSrc ? host(hostSrc) : DEFAULT_HOST;
  return {
    configFile: input.filePath ?? null,
    dataDir,
    storeDir: storeSrc ? path(storeSrc) : resolve(dataDir, 'store'),
    storeReserveBytes: Math.round((reserveSrc ? decimal(reserveSrc, 0, 1024 * 1024) : DEFAULT_STORE_RESERVE_GIB) * 1024 ** 3),
    storeS3: storeS3(file['storeS3'], fileName, fileDir),
    copyS3: storeS3(file['copyS3'], fileName, fileDir, 'copyS3'),
    host: serverHost,
    port: portSrc ? integer(portSrc, 0, 65535) : DEFAULT_PORT,
    logLevel: levelSrc ? logLevel(levelSrc) : 'info',
    uiDir: uiSrc ? path(uiSrc) : null,
    sessionIdleSeconds: idleSrc ? integer(idleSrc, 1, 24 * 3600) : 600,
    shutdownTimeoutSeconds: shutdownSrc ? integer(shutdownSrc, 0, 3600) : 10,
    vcenters: vcenters(file['vcenters'], fileName, fileDir, env, input.cwd),
    hookSets: hookSets(file['hookSets'], fileName),
    pointHook: file['pointHook'] === undefined || file['pointHook'] === null ? null : (hookScripts([file['pointHook']], `${fileName}: pointHook`)[0] ?? null),
    maintenance: maintenance(file['maintenance'], fileName),
    jobLimits: jobLimits(file['jobLimits'], fileName),
    nfs: nfs(file['nfs'], fileName),
    site: site(file['site'], fileName, fileDir, env, serverHost, input.hostname),
  };
}

/** `site: { "host": "…", "port": 8543, "name": "…", "url": "https://…" }`, every key optional; LIFELINE_SITE_* override. */
function site(raw: unknown, fileName: string, fileDir: string, env: Readonly<Record<string, string | undefined>>, serverHost: string, hostname: string | undefined): SiteConfig {
  const field = `${fileName}: site`;
  const obj = raw === undefined ? {} : asObject(raw, field);
  for (const key of Object.keys(obj)) {
    if (!(SITE_KEYS as readonly string[]).includes(key)) throw new ConfigError(`${field}.${key}`, `unknown setting (known: ${SITE_KEYS.join(', ')})`);
  }
  const pick = (key: (typeof SITE_KEYS)[number], envName: string): Src | undefined => {
    const fromEnv = nonEmpty(env[envName]);
    if (fromEnv !== undefined) return { field: envName, value: fromEnv, base: fileDir, fromText: true };
    return obj[key] === undefined ? undefined : { field: `${field}.${key}`, value: obj[key], base: fileDir, fromText: false };
  };
  const hostSrc = pick('host', 'LIFELINE_SITE_HOST');
  const portSrc = pick('port', 'LIFELINE_SITE_PORT');
  const nameSrc = pick('name', 'LIFELINE_SITE_NAME');
  const urlSrc = pick('url', 'LIFELINE_SITE_URL');
  let name: string;
  if (nameSrc) {
    name = text(nameSrc);
    if (!SITE_NAME.test(name)) throw new ConfigError(nameSrc.field, `expected 1 to 64 letters, digits, dots, colons, dashes or underscores, starting with a letter or digit, got ${JSON.stringify(name)}`);
  } else {
    // The host name's first label, when it makes a valid name.
    const label = (hostname ?? '').split('.')[0] ?? '';
    name = SITE_NAME.test(label) ? label : 'lifeline';
  }
  let url: string | null = null;
  if (urlSrc) {
    const raw = text(urlSrc);
    let parsed: URL | null = null;
    try {
      parsed = new URL(raw);
    } catch {
      parsed = null;
    }
    if (!parsed || parsed.protocol !== 'https:' || parsed.username || parsed.password || !['', '/'].includes(parsed.pathname) || parsed.search || parsed.hash) {
      throw new ConfigError(urlSrc.field, `expected https://<host>[:port], got ${JSON.stringify(raw)}`);
    }
    url = parsed.origin;
  }
  return { host: hostSrc ? host(hostSrc) : serverHost, port: portSrc ? integer(portSrc, 0, 65535) : DEFAULT_SITE_PORT, name, url };
}

/**
 * `storeS3: { "url": "s3://bucket/prefix", "endpoint": "https://host:port", "region": "…",
 * "virtualHosted": false, "caFile": "…" or "certSha256": "AA:BB:…", "credentialsFile": "…",
 * "requireObjectLock": true }`;
 * only url is required. `copyS3`, where copies of restore points go, has the same settings.
 */
function storeS3(raw: unknown, fileName: string, fileDir: string, name = 'storeS3'): StoreS3Config | null {
  if (raw === undefined || raw === null) return null;
  const field = `${fileName}: ${name}`;
  const obj = asObject(raw, field);
  for (const key of Object.keys(obj)) {
    if (!(STORE_S3_KEYS as readonly string[]).includes(key)) throw new ConfigError(`${field}.${key}`, `unknown setting (known: ${STORE_S3_KEYS.join(', ')})`);
  }
  const str = (key: string): string | undefined => {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '' || CONTROL.test(v)) throw new ConfigError(`${field}.${key}`, `expected a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (key: string, dflt: boolean): boolean => {
    const v = obj[key] ?? dflt;
    if (typeof v !== 'boolean') throw new ConfigError(`${field}.${key}`, `expected true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const url = str('url');
  const m = url === undefined ? null : /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/((?:[a-z0-9][a-z0-9._-]*\/?)*))?$/.exec(url);
  if (!m) throw new ConfigError(`${field}.url`, `expected s3://<bucket>[/<prefix>] (lower case; prefix segments of a-z 0-9 . _ -), got ${JSON.stringify(url)}`);
  const prefix = (m[2] ?? '').replace(/\/+$/, '');
  const endpoint = str('endpoint');
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) throw new ConfigError(`${field}.endpoint`, `expected http(s)://host[:port], got ${JSON.stringify(endpoint)}`);
  const caFile = str('caFile');
  const pinRaw = str('certSha256');
  const certSha256 = pinRaw === undefined ? undefined : normaliseThumbprint(pinRaw);
  if (certSha256 === null) throw new ConfigError(`${field}.certSha256`, `expected the SHA-256 thumbprint of the endpoint's certificate (64 hex digits, colons allowed), got ${JSON.stringify(pinRaw)}`);
  if (certSha256 !== undefined && caFile !== undefined) throw new ConfigError(`${field}.certSha256`, 'give either caFile or certSha256, not both');
  const credentialsFile = str('credentialsFile');
  return {
    bucket: m[1]!,
    prefix: prefix === '' ? '' : `${prefix}/`,
    ...(endpoint ? { endpoint: endpoint.replace(/\/$/, '') } : {}),
    region: str('region') ?? 'us-east-1',
    forcePathStyle: !bool('virtualHosted', false),
    ...(caFile ? { caFile: resolve(fileDir, caFile) } : {}),
    ...(certSha256 ? { certSha256 } : {}),
    ...(credentialsFile ? { credentialsFile: resolve(fileDir, credentialsFile) } : {}),
    requireObjectLock: bool('requireObjectLock', true),
  };
}

/** `jobLimits: { "global": 4, "perDatastore": 2, "perHost": 4, "queued": 10000 }`, every key optional. */
function jobLimits(raw: unknown, fileName: string): JobLimitsConfig {
  if (raw === undefined) return DEFAULT_JOB_LIMITS;
  const field = `${fileName}: jobLimits`;
  const obj = asObject(raw, field);
  for (const key of Object.keys(obj)) {
    if (!(JOB_LIMIT_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(`${field}.${key}`, `unknown setting (known: ${JOB_LIMIT_KEYS.join(', ')})`);
    }
  }
  const limit = (key: (typeof JOB_LIMIT_KEYS)[number], max = JOB_LIMIT_MAX): number =>
    obj[key] === undefined ? DEFAULT_JOB_LIMITS[key] : integer({ field: `${field}.${key}`, value: obj[key], base: '/', fromText: false }, 1, max);
  return { global: limit('global'), perDatastore: limit('perDatastore'), perHost: limit('perHost'), queued: limit('queued', QUEUED_JOBS_MAX) };
}

/**
 * `nfs: { "host": "10.0.0.5", "clients": ["10.0.0.11"], "port": 2049, "portmapperPort": 111,
 * "exportPath": "/lifeline", "cacheChunks": 32, "readAheadChunks": 6 }`: host and clients required.
 */
function nfs(raw: unknown, fileName: string): NfsConfig | null {
  if (raw === undefined || raw === null) return null;
  const field = `${fileName}: nfs`;
  const obj = asObject(raw, field);
  for (const key of Object.keys(obj)) {
    if (!(NFS_KEYS as readonly string[]).includes(key)) throw new ConfigError(`${field}.${key}`, `unknown setting (known: ${NFS_KEYS.join(', ')})`);
  }
  const src = (key: (typeof NFS_KEYS)[number]): Src => ({ field: `${field}.${key}`, value: obj[key], base: '/', fromText: false });
  const address = (key: string, v: unknown): string => {
    if (typeof v !== 'string' || isIP(v) === 0) throw new ConfigError(key, `expected an IP address, got ${JSON.stringify(v)}`);
    return v;
  };
  const clients = obj['clients'];
  if (!Array.isArray(clients) || clients.length === 0) throw new ConfigError(`${field}.clients`, 'expected a list of the client IP addresses allowed to connect (at least one)');
  const exportPath = obj['exportPath'] ?? '/lifeline';
  if (typeof exportPath !== 'string' || !/^(\/[A-Za-z0-9._-]+)+$/.test(exportPath) || exportPath.split('/').some((p) => p === '.' || p === '..')) {
    throw new ConfigError(`${field}.exportPath`, `expected an absolute path of plain names such as "/lifeline", got ${JSON.stringify(exportPath)}`);
  }
  return {
    host: address(`${field}.host`, obj['host']),
    port: obj['port'] === undefined ? 2049 : integer(src('port'), 0, 65535),
    portmapperPort: obj['portmapperPort'] === undefined || obj['portmapperPort'] === null ? null : integer(src('portmapperPort'), 0, 65535),
    clients: clients.map((c, i) => address(`${field}.clients[${i}]`, c)),
    exportPath,
    cacheChunks: obj['cacheChunks'] === undefined ? 32 : integer(src('cacheChunks'), 1, 4096),
    readAheadChunks: obj['readAheadChunks'] === undefined ? 6 : integer(src('readAheadChunks'), 0, 64),
  };
}

/** `maintenance: { "enabled": true, "at": "03:00", "verifyPercent": 4 }`, every key optional. */
function maintenance(raw: unknown, fileName: string): MaintenanceConfig {
  if (raw === undefined) return DEFAULT_MAINTENANCE;
  const field = `${fileName}: maintenance`;
  const obj = asObject(raw, field);
  for (const key of Object.keys(obj)) {
    if (!(MAINTENANCE_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(`${field}.${key}`, `unknown setting (known: ${MAINTENANCE_KEYS.join(', ')})`);
    }
  }
  const enabled = obj['enabled'] ?? DEFAULT_MAINTENANCE.enabled;
  if (typeof enabled !== 'boolean') throw new ConfigError(`${field}.enabled`, `expected true or false, got ${JSON.stringify(enabled)}`);
  let at = DEFAULT_MAINTENANCE.at;
  if (obj['at'] !== undefined) {
    const m = typeof obj['at'] === 'string' ? /^([01]\d|2[0-3]):([0-5]\d)$/.exec(obj['at']) : null;
    if (!m) throw new ConfigError(`${field}.at`, `expected a time of day as HH:MM (24-hour, server time), got ${JSON.stringify(obj['at'])}`);
    at = { hour: Number(m[1]), minute: Number(m[2]) };
  }
  const verifyPercent = obj['verifyPercent'] ?? DEFAULT_MAINTENANCE.verifyPercent;
  if (typeof verifyPercent !== 'number' || !Number.isFinite(verifyPercent) || verifyPercent <= 0 || verifyPercent > 100) {
    throw new ConfigError(`${field}.verifyPercent`, `expected a number above 0 and at most 100, got ${JSON.stringify(verifyPercent)}`);
  }
  return { enabled, at, verifyPercent };
}

/**
 * `hookSets: { "<name>": { "pre": [script…], "post": [script…] } }`, each script
 * `{ "command": "/absolute/path", "args": ["…"], "timeoutSeconds": 300 }`. Whether each command
 * exists and is executable is checked by loadConfig(), which may read files; this stays pure.
 */
function hookSets(raw: unknown, fileName: string): ReadonlyMap<string, HookSet> {
  const out = new Map<string, HookSet>();
  if (raw === undefined) return out;
  const obj = asObject(raw, `${fileName}: hookSets`);
  for (const [name, rawSet] of Object.entries(obj)) {
    const field = `${fileName}: hookSets.${name}`;
    if (!HOOK_SET_NAME.test(name)) {
      throw new ConfigError(field, 'a hook set name must be 1 to 40 lower-case letters, digits, dashes or underscores, starting with a letter or digit');
    }
    const setObj = asObject(rawSet, field);
    for (const key of Object.keys(setObj)) {
      if (!(HOOK_SET_KEYS as readonly string[]).includes(key)) {
        throw new ConfigError(`${field}.${key}`, `unknown setting (known: ${HOOK_SET_KEYS.join(', ')})`);
      }
    }
    const pre = hookScripts(setObj['pre'], `${field}.pre`);
    const post = hookScripts(setObj['post'], `${field}.post`);
    if (pre.length + post.length === 0) throw new ConfigError(field, 'a hook set needs at least one pre or post script');
    out.set(name, { name, pre, post });
  }
  return out;
}

function hookScripts(raw: unknown, field: string): HookScript[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > HOOK_SET_MAX_SCRIPTS) {
    throw new ConfigError(field, `expected a list of at most ${HOOK_SET_MAX_SCRIPTS} scripts`);
  }
  return raw.map((rawScript: unknown, i) => {
    const at = `${field}[${i}]`;
    const obj = asObject(rawScript, at);
    for (const key of Object.keys(obj)) {
      if (!(HOOK_SCRIPT_KEYS as readonly string[]).includes(key)) {
        const why = key === 'env'
          ? 'scripts get no variables from the configuration, only PATH and the LIFELINE_* variables of the job; a script that needs credentials reads them from a file of its own'
          : `unknown setting (known: ${HOOK_SCRIPT_KEYS.join(', ')})`;
        throw new ConfigError(`${at}.${key}`, why);
      }
    }
    const command = obj['command'];
    if (typeof command !== 'string' || !isAbsolute(command) || CONTROL.test(command)) {
      throw new ConfigError(`${at}.command`, `expected the absolute path of an executable, got ${JSON.stringify(command)}`);
    }
    const rawArgs = obj['args'] ?? [];
    if (!Array.isArray(rawArgs) || rawArgs.length > HOOK_ARGS_MAX) {
      throw new ConfigError(`${at}.args`, `expected a list of at most ${HOOK_ARGS_MAX} strings`);
    }
    const args = rawArgs.map((a: unknown, j) => {
      if (typeof a !== 'string' || a.length > HOOK_ARG_MAX_LENGTH || a.includes('\u0000')) {
        throw new ConfigError(`${at}.args[${j}]`, `expected a string of at most ${HOOK_ARG_MAX_LENGTH} characters`);
      }
      return a;
    });
    const timeoutSeconds = obj['timeoutSeconds'] === undefined
      ? HOOK_SCRIPT_TIMEOUT_DEFAULT_SECONDS
      : integer({ field: `${at}.timeoutSeconds`, value: obj['timeoutSeconds'], base: '/', fromText: false }, HOOK_SCRIPT_TIMEOUT_MIN_SECONDS, HOOK_SCRIPT_TIMEOUT_MAX_SECONDS);
    return { command: resolve(command), args, timeoutSeconds };
  });
}

function vcenters(
  raw: unknown,
  fileName: string,
  fileDir: string,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): ReadonlyMap<string, VcenterConfig> {
  // Partial entries are collected first: the environment may complete what the file leaves out.
  type Partial = { [K in VcenterKey]?: Src };
  const partial = new Map<string, { guidField: string; entry: Partial }>();
  if (raw !== undefined) {
    const obj = asObject(raw, `${fileName}: vcenters`);
    for (const [rawGuid, rawEntry] of Object.entries(obj)) {
      const field = `${fileName}: vcenters.${rawGuid}`;
      const guid = vcenterGuid(field, rawGuid);
      if (partial.has(guid)) throw new ConfigError(field, 'the same vCenter appears twice');
      const entryObj = asObject(rawEntry, field);
      const entry: Partial = {};
      for (const [key, value] of Object.entries(entryObj)) {
        if (!(VCENTER_KEYS as readonly string[]).includes(key)) {
          throw new ConfigError(`${field}.${key}`, `unknown setting (known: ${VCENTER_KEYS.join(', ')})`);
        }
        entry[key as VcenterKey] = { field: `${field}.${key}`, value, base: fileDir, fromText: false };
      }
      partial.set(guid, { guidField: field, entry });
    }
  }

  const envGuid = nonEmpty(env['LIFELINE_VCENTER_GUID']);
  const envKeys = VCENTER_KEYS.filter((k) => nonEmpty(env[VCENTER_ENV[k]]) !== undefined);
  if (envGuid !== undefined || envKeys.length > 0) {
    let guid: string;
    if (envGuid !== undefined) {
      guid = vcenterGuid('LIFELINE_VCENTER_GUID', envGuid);
    } else if (partial.size === 1) {
      guid = [...partial.keys()][0] as string;
    } else {
      throw new ConfigError(
        'LIFELINE_VCENTER_GUID',
        `must name the vCenter that ${envKeys.map((k) => VCENTER_ENV[k]).join(', ')} describe`,
      );
    }
    const slot = partial.get(guid) ?? { guidField: 'LIFELINE_VCENTER_GUID', entry: {} };
    for (const key of envKeys) {
      slot.entry[key] = { field: VCENTER_ENV[key], value: nonEmpty(env[VCENTER_ENV[key]]), base: cwd, fromText: true };
    }
    partial.set(guid, slot);
  }

  const out = new Map<string, VcenterConfig>();
  for (const [guid, { guidField, entry }] of partial) {
    const need = (key: VcenterKey) => {
      const src = entry[key];
      if (src === undefined) {
        if (guidField === 'LIFELINE_VCENTER_GUID') throw new ConfigError(VCENTER_ENV[key], `missing for vCenter ${guid}`);
        throw new ConfigError(`${guidField}.${key}`, `missing (or set ${VCENTER_ENV[key]})`);
      }
      return src;
    };
    out.set(guid, {
      guid,
      url: vcenterUrl(need('url')),
      thumbprint: thumbprint(need('thumbprint')),
      user: text(need('user')),
      passwordFile: path(need('passwordFile')),
    });
  }
  return out;
}

/** One setting from one place. `fromText` marks places (environment, flags) where numbers arrive as strings. */
interface Src {
  readonly field: string;
  readonly value: unknown;
  readonly base: string;
  readonly fromText: boolean;
}

function asObject(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(field, 'expected a JSON object');
  }
  return value as Record<string, unknown>;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function text(src: Src): string {
  if (typeof src.value !== 'string' || src.value.trim() === '') {
    throw new ConfigError(src.field, 'expected a non-empty string');
  }
  return src.value.trim();
}

function path(src: Src): string {
  const p = text(src);
  return isAbsolute(p) ? resolve(p) : resolve(src.base, p);
}

function integer(src: Src, min: number, max: number): number {
  const n = src.fromText && typeof src.value === 'string' && /^-?\d+$/.test(src.value) ? Number(src.value) : src.value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(src.field, `expected an integer from ${min} to ${max}, got ${JSON.stringify(src.value)}`);
  }
  return n;
}

function decimal(src: Src, min: number, max: number): number {
  const n = src.fromText && typeof src.value === 'string' && /^\d+(\.\d+)?$/.test(src.value) ? Number(src.value) : src.value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(src.field, `expected a number from ${min} to ${max}, got ${JSON.stringify(src.value)}`);
  }
  return n;
}

function host(src: Src): string {
  const h = text(src);
  if (/[\s/]/.test(h)) throw new ConfigError(src.field, `expected a host name or IP address, got ${JSON.stringify(h)}`);
  return h;
}

function logLevel(src: Src): LogLevel {
  const v = text(src);
  const level = LOG_LEVELS.find((l) => l === v);
  if (!level) throw new ConfigError(src.field, `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(v)}`);
  return level;
}

function vcenterGuid(field: string, raw: string): string {
  const guid = raw.trim().toLowerCase();
  if (!GUID.test(guid)) {
    throw new ConfigError(field, `expected a vCenter instance UUID (8-4-4-4-12 hex digits), got ${JSON.stringify(raw)}`);
  }
  return guid;
}

/** Accepts `https://host[:port]` with an optional `/sdk`, and keeps only the origin. */
function vcenterUrl(src: Src): string {
  const raw = text(src);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(src.field, `expected an https:// URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'https:') throw new ConfigError(src.field, `expected an https:// URL, got ${JSON.stringify(raw)}`);
  if (url.username || url.password) throw new ConfigError(src.field, 'must not carry credentials (use user and passwordFile)');
  if (!['', '/', '/sdk', '/sdk/'].includes(url.pathname) || url.search || url.hash) {
    throw new ConfigError(src.field, `expected https://<host>[:port] (optionally ending in /sdk), got ${JSON.stringify(raw)}`);
  }
  return url.origin;
}

/** Normalises a SHA-256 thumbprint to the colon-separated upper-case form vSphere uses. */
function thumbprint(src: Src): string {
  const raw = text(src);
  const t = normaliseThumbprint(raw);
  if (t === null) {
    const hint = looksLikeSha1(raw) ? ' (that looks like SHA-1; Lifeline pins SHA-256)' : '';
    throw new ConfigError(src.field, `expected a SHA-256 thumbprint (32 hex pairs, colons optional)${hint}`);
  }
  return t;
}
