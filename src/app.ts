import Fastify, { type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { loadConfig, type Config } from './config.js';
import { createPool } from './db/pool.js';
import { registerProblemHandler } from './http/problem.js';
import { healthRoutes } from './health/routes.js';
import { importRoutes } from './imports/routes.js';
import { ImportService, type ImportHooks } from './imports/service.js';
import { layerRoutes } from './layers/routes.js';
import { candidateRoutes } from './candidates/routes.js';
import { restorationRoutes } from './restoration/routes.js';
import { exportRoutes } from './exports/routes.js';
import { ExportService } from './exports/service.js';

export interface AppOptions {
  config?: Config;
  pool?: pg.Pool;
  logger?: boolean;
  importHooks?: ImportHooks;
}

export type App = FastifyInstance & { imports: ImportService; exports: ExportService };

/** Builds the service: one plugin per capability; tests drive it with app.inject(). */
export async function buildApp(opts: AppOptions = {}): Promise<App> {
  const config = opts.config ?? loadConfig();
  const pool = opts.pool ?? createPool(config.databaseUrl);
  const ownsPool = !opts.pool;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 10 * 1024 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerProblemHandler(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'zhanbu 占补 — 林地占补平衡 API',
        description: '三调与森林资源一张图图层导入、补充林地候选地块检查、储备库与指标管理。错误均以RFC 9457 problem+json返回：code为稳定的英文代码，detail为中文说明。',
        version: '0.1.0',
      },
      tags: [
        { name: 'health', description: '运行状态' },
        { name: 'imports', description: '图层导入（三调地类图斑、一张图小班、行政区）' },
        { name: 'layers', description: '已导入的图层' },
        { name: 'candidates', description: '拟补充林地地块上传与检查（核实、验收的依据）' },
        { name: 'restoration', description: '可修复采矿用地摸排' },
        { name: 'exports', description: '更新后的地类图层导出（地类图斑、一张图、储备库）' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(multipart, {
    limits: { fileSize: config.maxUploadBytes, files: 1, fields: 20, fieldSize: 1024 },
  });

  const imports = new ImportService(pool, config, opts.importHooks);
  await imports.start();
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes, { pool });
  await app.register(importRoutes, { prefix: '/api/v1', pool, imports, config });
  await app.register(layerRoutes, { prefix: '/api/v1', pool });
  await app.register(candidateRoutes, { prefix: '/api/v1', pool, config });
  await app.register(restorationRoutes, { prefix: '/api/v1', pool });
  const exports = new ExportService(pool, config);
  await app.register(exportRoutes, { prefix: '/api/v1', pool, exports });

  app.addHook('onClose', async () => {
    await exports.idle().catch(() => {});
    await imports.stop();
    if (ownsPool) await pool.end();
  });
  return Object.assign(app, { imports, exports }) as unknown as App;
}
