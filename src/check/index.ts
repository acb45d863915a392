// The linearizability checker used by test/sim and `cairn chaos`.
export { checkHistory, type CheckOptions, type CheckResult } from './checker.js';
export {
  describeOperation,
  validateOperation,
  type Operation,
  type OperationInput,
  type OperationKind,
  type OperationOutput,
  type Outcome,
} from './history.js';
export { stepRegister, type RegisterState } from './register-model.js';
