// Lifeline's typed errors: one base class with a stable code, used by every module.
export { LifelineError, ValidationError, NotFoundError, isLifelineError, describeError } from './lifeline-error.js';
export type {
  ErrorCode,
  CommonCode,
  ApiCode,
  JobCode,
  StoreCode,
  ExportCode,
  VsphereCode,
  ProtectionCode,
  HookCode,
  RecoveryCode,
  RegistrationCode,
  ConfigCode,
} from './codes.js';
