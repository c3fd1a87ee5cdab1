// Entry of worker threads running TypeScript: the service runs its sources through tsx (no build
// step), and Node 20 does not apply a loader given as --import to a worker's own entry file.
// So the worker starts here, registers tsx, then imports the TypeScript module named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
