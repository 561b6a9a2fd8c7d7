/**
 * The restore points the API is reading right now (exports and ticket downloads), so that
 * repository maintenance leaves their VMs alone until the reads end: retention followed by garbage
 * collection would otherwise pull the chunks from under a download in progress.
 */
export class PointReaders {
  private readonly counts = new Map<string, number>();

  /** Marks a point as being read; the returned function (idempotent) ends that read. */
  hold(pointId: string): () => void {
    this.counts.set(pointId, (this.counts.get(pointId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.counts.get(pointId) ?? 1) - 1;
      if (n > 0) this.counts.set(pointId, n);
      else this.counts.delete(pointId);
    };
  }

  busy(): Set<string> {
    return new Set(this.counts.keys());
  }
}
