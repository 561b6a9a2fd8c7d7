// The nouns every part of Lifeline shares: a VM, a restore point's id, time and chance, a
// certificate's thumbprint and the TLS pin on it. A leaf below every layer (docs/architecture.md).
export { vmKey, parseVmKey, sameVm, vmTarget, validateVmRef, isVmRef } from './vm-ref.js';
export type { VmRef, VmTarget } from './vm-ref.js';
export { newPointId, isPointId } from './point-id.js';
export { currentDiskOf, pointDiskSlot } from './point-disk.js';
export type { SlottedDisk } from './point-disk.js';
export { systemClock, systemRandom, systemRandomBytes } from './clock.js';
export type { Clock, TimeSource, Timer, Random, RandomBytes } from './clock.js';
export { normaliseThumbprint, looksLikeSha1, requireThumbprint } from './thumbprint.js';
export { presentedThumbprint, whenPinned } from './tls-pin.js';
export type { PinOptions } from './tls-pin.js';
