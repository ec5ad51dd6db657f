/** The REST API feature as other features (a cluster's switchover) and library callers use it. */
export { localMembers } from './restapi-status.js';
