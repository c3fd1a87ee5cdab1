import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createPool } from './db/pool.js';
import { unsafeServiceLogin } from './db/roles.js';

const config = loadConfig();
// The service runs as zhanbu_service, never as a superuser or the schema's owner (README, "Security").
const probe = createPool(config.databaseUrl, 1);
const unsafe = await unsafeServiceLogin(probe).finally(() => probe.end());
if (unsafe) {
  console.error(
    `[zhanbu] refusing to start: the DATABASE_URL login ${unsafe}. Use the zhanbu_service login ` +
      '(scripts/setup.sh prints its URL; README, "Security").',
  );
  process.exit(1);
}
const app = await buildApp({ config, logger: true });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
await app.listen({ host: config.host, port: config.port });
app.log.info(`zhanbu listening on http://${config.host}:${config.port} — API docs at /docs`);
