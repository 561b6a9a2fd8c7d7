// The store's test kit, kept out of the production barrel (index.ts): an in-memory Backend that
// keeps the whole Backend contract within one process, and a wrapper around any Backend that
// injects faults (failures, stalls, damaged bytes) into chosen calls.
export { MemoryBackend } from './backend/memory-backend.js';
export { FaultyBackend } from './backend/faulty-backend.js';
export type { Fault, BackendOp } from './backend/faulty-backend.js';
