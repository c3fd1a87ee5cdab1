import Fastify, { type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { loadConfig, type Config } from './config.js';
import { createPool } from './db/pool.js';
import { frameworkErrors, registerProblemHandler } from './http/problem.js';
import { registerInputGuards } from './http/input-guards.js';
import { registerStrictBodies } from './http/strict-body.js';
import { hardenGdal } from './gdal/open-upload.js';
import { healthRoutes } from './health/routes.js';
import { importRoutes } from './imports/routes.js';
import { ImportService, type ImportHooks } from './imports/service.js';
import { layerRoutes } from './layers/routes.js';
import { candidateRoutes } from './candidates/routes.js';
import { checkParameterRoutes } from './check-parameters/routes.js';
import { restorationRoutes } from './restoration/routes.js';
import { exportRoutes } from './exports/routes.js';
import { ExportService } from './exports/service.js';
import { registerAuth } from './auth/plugin.js';
import { authRoutes } from './auth/routes.js';
import { procedureRoutes } from './procedure/routes.js';
import { reserveRoutes } from './reserve/routes.js';
import { quotaRoutes } from './quota/routes.js';
import { ledgerRoutes } from './ledger/routes.js';
import { reportRoutes } from './reports/routes.js';
import { ogcRoutes } from './ogc/routes.js';
import type { PilotPeriod } from './domain/quota/pilot-period.js';
import { webRoutes } from './web/routes.js';

/** The OpenAPI document's tags: one per capability, in the order the API explorer lists them. */
const OPENAPI_TAGS: Record<string, string> = {
  health: '运行状态',
  imports: '图层导入（三调地类图斑、一张图小班、行政区）',
  layers: '已导入的图层',
  candidates: '拟补充林地地块上传与检查（核实、验收的依据）',
  restoration: '可修复采矿用地摸排',
  exports: '更新后的地类图层导出（地类图斑、一张图、储备库）',
  auth: '当前用户与管辖范围（令牌由 npm run users 生成）',
  procedure: '补充林地调查确认程序：申请、核实、公示、确认、造林、验收、变更、入库',
  reserve: '储备库报送与市级（≥30%面积）、省级（≥15%面积）抽查',
  quota: '新增定额：500亩规则、省级统筹、项目使用、核查扣减、试点期满作废',
  ledger: '台账与报表（JSON、CSV、XLSX，中文表头）、审计日志',
  reports: '方案要求的报告：县级年度统筹安排、设区市年度报告（2月初报省）、试点评估报告（核查考评）',
  ogc: 'OGC API – Features与矢量瓦片：供GDAL、QGIS、ArcGIS Pro与地图工作台按管辖范围读取各图层',
};

export interface AppOptions {
  config?: Config;
  pool?: pg.Pool;
  logger?: boolean;
  importHooks?: ImportHooks;
  /** Quota pilot period (default: the configuration's, i.e. ZHANBU_PILOT_START/END, else Jiangxi 2022–2024). */
  pilotPeriod?: PilotPeriod;
}

export type App = FastifyInstance & { imports: ImportService; exports: ExportService };

/** Builds the service: one plugin per capability; tests drive it with app.inject(). */
export async function buildApp(opts: AppOptions = {}): Promise<App> {
  const config = opts.config ?? loadConfig();
  const pool = opts.pool ?? createPool(config.databaseUrl, config.dbPoolSize, { acquireTimeoutMs: config.dbAcquireTimeoutMs });
  const ownsPool = !opts.pool;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: config.bodyLimitBytes,
    frameworkErrors,
    // An unknown property of a JSON body is refused, not dropped (http/strict-body.ts closes the body schemas).
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerProblemHandler(app);
  // Before any route and before the OpenAPI plugin, which documents the closed body schemas.
  registerStrictBodies(app);
  // Security headers on every answer (registered first, so refusals carry them too); the API returns data, never pages, so its CSP allows nothing.
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } },
  });
  registerAuth(app, pool);
  registerInputGuards(app);
  // Answers of authenticated routes carry data of someone's jurisdiction: no cache keeps them —
  // unless the route says otherwise itself (vector tiles: private, revalidated with their ETag).
  app.addHook('onSend', async (req, reply) => {
    if (req.routeOptions.config?.public !== true && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'zhanbu 占补 — 林地占补平衡 API',
        description: '三调与森林资源一张图图层导入、补充林地候选地块检查、储备库与指标管理。错误均以RFC 9457 problem+json返回：code为稳定的英文代码，detail为中文说明。',
        version: '0.1.0',
      },
      tags: Object.entries(OPENAPI_TAGS).map(([name, description]) => ({ name, description })),
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: '每个用户的访问令牌' } } },
      security: [{ bearer: [] }],
    },
  });
  // The API explorer is public, and its page needs scripts, styles and images of its own origin
  // (helmet's default policy; no upgrade-insecure-requests, which breaks the page on a plain-HTTP intranet host).
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), public: true, helmet: { contentSecurityPolicy: { useDefaults: true, directives: { upgradeInsecureRequests: null } } } } as typeof route.config;
    });
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });
  await app.register(multipart, {
    limits: { fileSize: config.maxUploadBytes, files: 1, fields: 20, fieldSize: 1024 },
  });

  hardenGdal();
  const imports = new ImportService(pool, config, opts.importHooks);
  await imports.start();
  // Uploads and extractions go to this instance's private folder; exports (kept for download
  // across restarts) stay in the shared work folder.
  const instanceConfig: Config = { ...config, workDir: imports.workDir };
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes, { pool });
  await app.register(importRoutes, { prefix: '/api/v1', pool, imports, config: instanceConfig });
  await app.register(layerRoutes, { prefix: '/api/v1', pool });
  await app.register(candidateRoutes, { prefix: '/api/v1', pool, config: instanceConfig });
  await app.register(checkParameterRoutes, { prefix: '/api/v1', pool });
  await app.register(restorationRoutes, { prefix: '/api/v1', pool });
  const exports = new ExportService(pool, config);
  exports.startRetention();
  await app.register(exportRoutes, { prefix: '/api/v1', exports });
  const pilot = opts.pilotPeriod ?? config.pilotPeriod;
  await app.register(authRoutes, { prefix: '/api/v1', pool, config });
  await app.register(procedureRoutes, { prefix: '/api/v1', pool, checkBounds: config });
  await app.register(reserveRoutes, { prefix: '/api/v1', pool });
  await app.register(quotaRoutes, { prefix: '/api/v1', pool, pilot });
  await app.register(ledgerRoutes, { prefix: '/api/v1', pool, pilot });
  await app.register(reportRoutes, { prefix: '/api/v1', pool });
  await app.register(ogcRoutes, { pool });
  // Last: the workspace's files and its fallback to index.html for the app's own paths.
  await app.register(webRoutes, { config });

  app.addHook('onClose', async () => {
    exports.stopRetention();
    await exports.idle().catch(() => {});
    await imports.stop();
    if (ownsPool) await pool.end();
  });
  return Object.assign(app, { imports, exports });
}
