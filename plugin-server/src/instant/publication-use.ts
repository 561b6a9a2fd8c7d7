/**
 * What runs from a publication: a VM in an instant revert, or an instant new instance or attachment.
 * Unpublishing a point while a VM runs from it would take the VM's disks away and drop what the
 * guest wrote to the publication's overlay, so whoever unpublishes asks here first.
 */
import { describeError } from '../errors/index.js';

export interface PublicationUse {
  /** Moref of the VM that runs from the publication. */
  readonly vm: string;
  /** Its name when known (an instant revert's record keeps only the moref). */
  readonly vmName: string | null;
  /** 'instant revert', 'instant new instance' or 'instant attach'. */
  readonly what: string;
  /** The instant recovery's id (GET /instant-recoveries/{runId}); null for an instant revert, known by its VM. */
  readonly runId: string | null;
  /** The state of the revert or recovery ('running', 'migrating', ...). */
  readonly state: string;
  /** What the user does to end the use. */
  readonly next: string;
}

/** Anything that may run from publications: the instant revert and instant recovery services. */
export interface PublicationUser {
  publicationUse(publicationId: string): PublicationUse | undefined;
}

/** The first use of the publication among `users`, if any. */
export function publicationUseOf(users: ReadonlyArray<PublicationUser | null | undefined>, publicationId: string): PublicationUse | undefined {
  for (const u of users) {
    const use = u?.publicationUse(publicationId);
    if (use) return use;
  }
  return undefined;
}

/** One sentence naming the VM and the run, for errors and logs. */
export function describePublicationUse(use: PublicationUse, fallbackName: string | null = null): string {
  const name = use.vmName ?? fallbackName;
  const vm = name ? `VM ${name} (${use.vm})` : `VM ${use.vm}`;
  const run = use.runId ? `${use.what} ${use.runId}` : use.what;
  return `${vm} runs from it (${run}, ${use.state}); ${use.next}`;
}

/** The publications as the reconciliation needs them. */
export interface OwnedPublications {
  list(): ReadonlyArray<{ readonly id: string; readonly pointId: string; readonly folder: string; readonly owner?: 'user' | 'instant' }>;
  unpublish(id: string): Promise<void>;
}

/**
 * Drops the publications made for an instant revert or instant recovery that no record owns: a
 * crash between publishing the point and recording the revert or recovery leaves one, which
 * nothing would ever unpublish (and which keeps the point from retention). A user's publication
 * (or one saved before owners were recorded) is kept. Run at start, before any job runs, so that
 * no instant job is between publishing and recording meanwhile. Returns the folders dropped.
 */
export async function reconcilePublications(publications: OwnedPublications, users: ReadonlyArray<PublicationUser | null | undefined>, log: (message: string) => void): Promise<string[]> {
  const dropped: string[] = [];
  for (const p of [...publications.list()]) {
    if (p.owner !== 'instant' || publicationUseOf(users, p.id)) continue;
    try {
      await publications.unpublish(p.id);
    } catch (err) {
      // One that cannot be dropped now is left for the next start; it must not keep Lifeline from starting.
      log(`restore point ${p.pointId} was published (folder ${p.folder}) for an instant revert or recovery that was never recorded, and could not be unpublished: ${describeError(err)}`);
      continue;
    }
    dropped.push(p.folder);
    log(`restore point ${p.pointId} was published (folder ${p.folder}) for an instant revert or recovery that was never recorded (Lifeline stopped in between); unpublished`);
  }
  return dropped;
}
