/**
 * The web workspace (web/, built into web/dist by `npm run build:web`, which the set-up step runs),
 * served by this process at `/`: index.html never cached (a new build is seen at once), hashed
 * assets cached for a year. Files are read once at start and gzipped in memory (a few MB).
 * The workspace routes by URL hash (#/upload), so no catch-all route shadows an API path.
 * Public: the files hold no data; the data comes from /api and /ogc under the session cookie.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { routeNotFound } from '../http/errors.js';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

interface Asset {
  type: string;
  raw: Buffer;
  gz: Buffer | null;
}

function load(path: string): Asset {
  const raw = readFileSync(path);
  const ext = /\.[a-z0-9]+$/.exec(path)?.[0] ?? '';
  const type = TYPES[ext] ?? 'application/octet-stream';
  return { type, raw, gz: /^(text|application\/json|image\/svg)/.test(type) ? gzipSync(raw, { level: 9 }) : null };
}

function send(req: FastifyRequest, reply: FastifyReply, a: Asset, cache: string) {
  void reply.type(a.type).header('cache-control', cache).header('vary', 'accept-encoding');
  if (a.gz && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(a.gz);
  return reply.send(a.raw);
}

/** The workspace page's policy: its own scripts only; inline styles (Element Plus sets them); map workers from blob: URLs; the base-map host if configured. */
function contentSecurityPolicy(basemapUrl: string | undefined) {
  const basemap = basemapUrl ? [new URL(basemapUrl.replace(/[{}]/g, '')).origin] : [];
  return {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'blob:', ...basemap],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'", ...basemap],
      workerSrc: ["'self'", 'blob:'],
      childSrc: ["'self'", 'blob:'],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
    },
  };
}

export const webRoutes: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const dir = config.webDir;
  const built = existsSync(join(dir, 'index.html'));
  const index = built ? load(join(dir, 'index.html')) : null;
  const assets = new Map<string, Asset>();
  if (built && existsSync(join(dir, 'assets'))) for (const name of readdirSync(join(dir, 'assets'))) assets.set(name, load(join(dir, 'assets', name)));
  const page = { public: true, helmet: { contentSecurityPolicy: contentSecurityPolicy(config.basemapUrl) } };

  app.get('/', { config: page, schema: { hide: true } }, async (req, reply) => {
    if (!index) {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send('工作台尚未构建：请运行 npm run build:web（npm run setup 会自动构建），然后重启服务。API 仍可使用：/docs');
    }
    return send(req, reply, index, 'no-cache');
  });

  // Names carry a content hash (Vite), so a name never changes meaning: cached for a year.
  // The page's policy on the assets too: MapLibre's worker is one of them, and a worker is governed by
  // the policy its own script arrived with (the API's `default-src 'none'` would forbid its tile fetches).
  app.get<{ Params: { file: string } }>('/assets/:file', { config: page, schema: { hide: true } }, async (req, reply) => {
    const a = assets.get(req.params.file);
    if (!a) return reply.status(404).type('application/problem+json').send(routeNotFound().toBody(req.url));
    return send(req, reply, a, 'public, max-age=31536000, immutable');
  });

  // The workspace's settings: the optional base map (ZHANBU_BASEMAP_URL, its key included: the browser sends it anyway).
  app.get('/workspace.json', { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
    reply.header('cache-control', 'no-cache').send({ basemapUrl: config.basemapUrl ?? null }),
  );
};
