/**
 * A page of Lifeline's global view asked for from another view (the Recover wizard's link to
 * Instant recoveries). The vSphere Client opens the global view by its navigation id
 * (`app.navigateTo`), always at the URI plugin.json gives it (the dashboard); the page wanted is
 * handed over in the tab's sessionStorage, which the modal's frame and the global view's frame
 * share (both are Lifeline's UI, served on the vSphere Client's origin through its proxy). The
 * global view takes it once, as it opens.
 */
const KEY = 'lifeline.globalPage';

/** The global view's navigation id in plugin.json. */
export const GLOBAL_VIEW_ID = 'lifeline.global';

export function requestGlobalPage(path: string, storage: Storage | null = sessionStorageOrNull()): void {
  try {
    storage?.setItem(KEY, path);
  } catch {
    // Storage refused (quota, privacy settings): the global view opens at its dashboard.
  }
}

/** The page asked for, once; null when none was. */
export function takeGlobalPage(storage: Storage | null = sessionStorageOrNull()): string | null {
  try {
    const page = storage?.getItem(KEY) ?? null;
    storage?.removeItem(KEY);
    return page;
  } catch {
    return null;
  }
}

function sessionStorageOrNull(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}
