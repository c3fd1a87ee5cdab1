import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createPool } from './db/pool.js';
import { unsafeServiceLogin } from './db/roles.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  // A clear message and a failed start, not a stack trace (nor a silent default).
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
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
app.log.info(`zhanbu listening on http://${config.host}:${config.port} — 工作台 (web workspace) at /, API docs at /docs`);
