/**
 * The plugin as the vSphere Client fetches it, all under one path that carries the release:
 *
 *   /lifeline/<A.B.C.D>/plugin.json   the manifest registered with vCenter (`--plugin-url`)
 *   /lifeline/<A.B.C.D>/icons/…       its icon sprite sheets
 *   /lifeline/<A.B.C.D>/ui/…          the built Angular UI (`index.html#/vm/protection`)
 *
 * The vSphere Client caches a plugin's files by URL and version; a new release under a new path
 * can never be answered from the cache of the old one.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import express, { type Router } from 'express';
import { LifelineError } from '../errors/index.js';
import { checkPluginManifest, extensionVersion, renderPluginManifest, type ManifestProblem, type MessageTable } from '../registration/index.js';

export const MANIFEST_FILE = 'plugin.json';
/** Where the UI sits below plugin.json; the served manifest's view URIs start with it. */
export const UI_FOLDER = 'ui/';

/**
 * The release in the plugin's paths: the numeric extension version registered with vCenter
 * (`0.1.0` → `0.1.0.0`). A pre-release has no numeric form; its own version string still gives
 * it a path of its own.
 */
export function pluginReleaseVersion(packageVersion: string): string {
  try {
    return extensionVersion(packageVersion);
  } catch {
    return packageVersion;
  }
}

/** `/lifeline/<A.B.C.D>/`, for a package version. */
export function pluginPath(packageVersion: string): string {
  return `/lifeline/${encodeURIComponent(pluginReleaseVersion(packageVersion))}/`;
}

export interface ManifestSource {
  /** The folder holding plugin.json, i18n/ and icons/. */
  readonly dir: string;
  readonly manifest: Record<string, unknown>;
  /** Strings by locale, from i18n/<locale>.json. */
  readonly messages: Record<string, MessageTable>;
}

export class ManifestInvalidError extends LifelineError {
  constructor(
    file: string,
    readonly problems: readonly ManifestProblem[],
  ) {
    super('manifest-invalid', `${file} is not a valid plugin manifest: ${problems.map((p) => p.message).join('; ')}`, { file, problems: problems.length });
  }
}

/** Reads manifest/plugin.json and its i18n tables, unchecked. */
export async function readManifestSource(dir: string): Promise<ManifestSource> {
  const file = join(dir, MANIFEST_FILE);
  const manifest = JSON.parse(await readFile(file, 'utf8')) as unknown;
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) throw new ManifestInvalidError(file, [{ kind: 'wrong-type', path: '', message: 'the manifest must be a JSON object' }]);
  const messages: Record<string, MessageTable> = {};
  const i18nDir = join(dir, 'i18n');
  for (const name of existsSync(i18nDir) ? await readdir(i18nDir) : []) {
    const m = /^([a-z]{2}-[A-Z]{2})\.json$/.exec(name);
    if (!m) continue;
    const table = JSON.parse(await readFile(join(i18nDir, name), 'utf8')) as unknown;
    if (typeof table !== 'object' || table === null || Array.isArray(table) || Object.values(table).some((v) => typeof v !== 'string')) {
      throw new ManifestInvalidError(join(i18nDir, name), [{ kind: 'wrong-type', path: '', message: `i18n/${name} must map keys to strings` }]);
    }
    messages[m[1]!] = table as MessageTable;
  }
  return { dir, manifest: manifest as Record<string, unknown>, messages };
}

/** Whether a path named by the manifest exists inside its folder. */
export function manifestAssetExists(dir: string): (relativePath: string) => boolean {
  return (relativePath) => {
    const full = normalize(join(dir, relativePath));
    return full.startsWith(normalize(dir) + sep) && existsSync(full);
  };
}

/** Checks the source (routes only when given) and renders the manifest the server serves. */
export function servedManifest(source: ManifestSource, routes?: readonly string[]): Record<string, unknown> {
  const problems = checkPluginManifest({
    manifest: source.manifest,
    messages: source.messages,
    assetExists: manifestAssetExists(source.dir),
    ...(routes ? { routes } : {}),
  });
  if (problems.length > 0) throw new ManifestInvalidError(join(source.dir, MANIFEST_FILE), problems);
  return renderPluginManifest(source.manifest, source.messages, { uiBase: UI_FOLDER });
}

export interface PluginFiles {
  readonly manifestDir: string;
  /** The rendered manifest. */
  readonly manifest: Record<string, unknown>;
}

/** plugin.json and icons under the versioned path; the UI is mounted beside them by the app. */
export function pluginFileRoutes(files: PluginFiles): Router {
  const router = express.Router();
  const body = JSON.stringify(files.manifest, null, 2);
  router.get(`/${MANIFEST_FILE}`, (_req, res) => {
    // vCenter re-reads the manifest when the registration changes; no proxy should keep an old one.
    res.setHeader('Cache-Control', 'no-cache');
    res.type('application/json').send(body);
  });
  router.use('/icons', express.static(join(files.manifestDir, 'icons'), { fallthrough: true, index: false, redirect: false }));
  return router;
}

