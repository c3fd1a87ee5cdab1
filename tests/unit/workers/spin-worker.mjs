// Test worker: echoes, spins forever, or throws, as asked.
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m === 'spin') for (;;);
  if (m === 'throw') return parentPort.postMessage({ ok: false, error: 'asked to fail' });
  parentPort.postMessage({ ok: true, result: m });
});
parentPort.postMessage({ ready: true });
