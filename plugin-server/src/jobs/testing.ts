// The jobs' test kit, kept out of the production barrel (index.ts): a clock that moves only when
// told to, and a way to let the work it set off settle.
export { ManualClock, settle } from './manual-clock.js';
