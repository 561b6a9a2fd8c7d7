// Lifeline's typed errors: one base class with a stable code, used by every module.
// A leaf of the server's layers; how it fits with the rest: docs/architecture.md.
export { LifelineError, ValidationError, NotFoundError, isLifelineError, describeError } from './lifeline-error.js';
export type {
  ErrorCode,
  CommonCode,
  ApiCode,
  JobCode,
  StoreCode,
  ExportCode,
  NfsCode,
  VsphereCode,
  ProtectionCode,
  HookCode,
  RecoveryCode,
  RegistrationCode,
  ConfigCode,
} from './codes.js';
