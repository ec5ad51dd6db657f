/** The guarded rotation of a tenant's etcd password, as other features and library callers use it. */
export { rotateTenantPasswords, rollbackTenantRotation, readRotationState } from './rotation-run.js';
export type { RotateOptions, RotationReport, ClusterRotationResult } from './rotation-run.js';
export { rotateThisHost, rollBackThisHost, type HostStepResult } from './host-step.js';
export { rotationStatus, type RotationStatus } from './rotation-status.js';
export type { RotationFleet, RotationSelection } from './rotation-fleet.js';
