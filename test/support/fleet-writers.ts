// The writers and leader checks live in the lab (the demo and the benchmark use them too).
export { type WriterTally, startFleetWriters } from '../../src/lab/fleet-writers.js';
export { leadersAndTimelines, startRoleWatch } from '../../src/lab/role-watch.js';
