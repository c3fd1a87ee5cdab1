/**
 * The HTTP surface as an outsider sees it (issue 8, items 1, 8, 12 and 14). Authentication is decided
 * on the matched route, so every route of the OpenAPI document is walked with no token, a bad token
 * and the odd path forms a router decodes or normalises (`/%61pi/`, `//api/`, `/api/./v1/`, a
 * trailing slash, `/API/`) over a real socket, where the raw path reaches the server as written.
 * Uploads are refused for a missing token or a wrong role before a byte reaches the work folder.
 * Malformed ids, NUL characters, out-of-range integers and deep or huge bodies are 400/413
 * problem+json with a Chinese detail, never 500. Security headers, no-store, and a /health that
 * says only up or down.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestUser, deleteTestUsers, type TestUser, testAdmin } from '../helpers/auth.js';
import { testDatabaseUrl, testPool } from '../helpers/db.js';
import { multipart } from '../helpers/multipart.js';
import { ANONYMOUS, expectProblem, injectAs } from '../helpers/http.js';

const pool = testPool();
const workDir = mkdtempSync(join(tmpdir(), 'zhanbu-sec-http-'));
let app: App;
let admin: TestUser;
let base: { host: string; port: number };
const u = {} as Record<'township' | 'city' | 'county' | 'resources' | 'neighbour', TestUser>;
const AAA = 'a'.repeat(36);

beforeAll(async () => {
  await deleteTestUsers(pool);
  app = await buildApp({ config: { ...loadConfig({ DATABASE_URL: testDatabaseUrl() }), workDir }, pool });
  admin = await testAdmin(pool);
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = { host: '127.0.0.1', port: (app.server.address() as AddressInfo).port };
  u.township = await createTestUser(pool, 'township', '361123100');
  u.city = await createTestUser(pool, 'city', '361100');
  u.county = await createTestUser(pool, 'county-forestry', '361123');
  u.resources = await createTestUser(pool, 'county-natural-resources', '361123');
  u.neighbour = await createTestUser(pool, 'county-forestry', '361102');
});
afterAll(async () => {
  await app?.close();
  await deleteTestUsers(pool);
  await pool.end();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request over the socket with the path exactly as written (like `curl --path-as-is`). */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...base, method, path, headers: { ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Declares a body of `declared` bytes and streams it 1 MiB at a time until the server answers:
 * returns the answer and how much had been sent by then (the rest is never sent).
 */
function streamUntilAnswered(path: string, headers: Record<string, string>, declared: number, fields: Record<string, string> = {}): Promise<Answer & { sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const boundary = 'zhanbuBOUNDARY';
    const req = http.request({
      ...base,
      method: 'POST',
      path,
      headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(declared) },
    });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString(), sent });
        req.destroy();
      });
    });
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const formFields = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('');
    const head = Buffer.from(`${formFields}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.zip"\r\nContent-Type: application/zip\r\n\r\n`);
    const chunk = Buffer.alloc(1024 * 1024, 0x50);
    const pump = () => {
      while (!answered && sent < declared) {
        const piece = sent === 0 ? head : chunk.subarray(0, Math.min(chunk.length, declared - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
    };
    pump();
  });
}

/** Every file under a folder (the work folder of this app). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

interface Route {
  method: string;
  path: string;
  isPublic: boolean;
  multipart: boolean;
}

/** Every operation of the OpenAPI document, its path parameters filled with well-formed values. */
async function routes(): Promise<Route[]> {
  const doc = (await injectAs(app, ANONYMOUS, { url: '/openapi.json' })).json<{
    paths: Record<string, Record<string, { security?: unknown[]; requestBody?: { content?: Record<string, unknown> } }>>;
  }>();
  return Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([m, op]) => ({
      method: m.toUpperCase(),
      path: p
        .replace(/\{(id|objectionId)\}/g, () => randomUUID())
        .replace('{county}', '361123')
        .replace('{year}', '2023')
        .replace('{collectionId}', 'dltb-361123-2023')
        .replace('{featureId}', '1')
        .replace(/\{[xyz]\}/g, '0'),
      isPublic: Array.isArray(op.security) && op.security.length === 0,
      multipart: Boolean(op.requestBody?.content?.['multipart/form-data']),
    })),
  );
}

const send = (r: Route, path: string, headers: Record<string, string>) => {
  if (r.method === 'GET') return raw('GET', path, headers);
  if (r.multipart) {
    const m = multipart({ layer: 'xzq', county: '361123', year: 2019 }, { content: Buffer.from('PK'), name: 'x.zip' });
    return raw(r.method, path, { ...headers, ...m.headers }, m.payload);
  }
  return raw(r.method, path, { ...headers, 'content-type': 'application/json' }, '{}');
};

const isProblem = (a: Answer) => /application\/problem\+json/.test(String(a.headers['content-type']));
const chinese = /[\u4e00-\u9fff]/;

describe('authentication is decided on the matched route (item 1)', () => {
  it('walks every route of the OpenAPI document: no token or a bad token → 401; odd path forms → 401 or 404, never 2xx or 500', async () => {
    const all = await routes();
    expect(all.length).toBeGreaterThan(50);
    const checked: string[] = [];
    for (const r of all) {
      if (r.isPublic) continue;
      // Under /api/ or /ogc (the OGC API): `head` is that first segment, `tail` the rest ('' or '/…').
      const head = r.path.startsWith('/ogc') ? '/ogc' : '/api';
      const tail = r.path.slice(head.length);
      expect(r.path.startsWith('/api/') || r.path === '/ogc' || r.path.startsWith('/ogc/'), `${r.method} ${r.path} is neither public nor under /api/ or /ogc`).toBe(true);
      for (const headers of [{}, { authorization: 'Bearer zb_not-a-token' }, { 'x-api-key': 'nope' }] as Record<string, string>[]) {
        const a = await send(r, r.path, headers);
        expect({ route: `${r.method} ${r.path}`, status: a.status }).toEqual({ route: `${r.method} ${r.path}`, status: 401 });
        expect(isProblem(a)).toBe(true);
      }
      // The router decodes %61 to "a": the route is matched, so it is authenticated like any other.
      const hex = head.charCodeAt(1).toString(16);
      const encoded = await send(r, `/%${hex}${head.slice(2)}${tail}`, {});
      expect({ route: `${r.method} /%${hex}${head.slice(2)}${tail}`, status: encoded.status }).toEqual({ route: `${r.method} /%${hex}${head.slice(2)}${tail}`, status: 401 });
      const variants = [`/${head}${tail}`, `${head}/.${tail}`, `${head}${tail}/`, `${head.toUpperCase()}${tail}`, `${head}/v1/..${tail}`, `/%25${hex}${head.slice(2)}${tail}`, `${head}%2F${tail.slice(1)}`];
      for (const variant of variants) {
        for (const headers of [{}, { authorization: 'Bearer zb_not-a-token' }] as Record<string, string>[]) {
          const a = await send(r, variant, headers);
          expect([401, 404], `${r.method} ${variant} answered ${a.status}: ${a.body.slice(0, 200)}`).toContain(a.status);
          expect(isProblem(a)).toBe(true);
        }
      }
      checked.push(`${r.method} ${r.path}`);
    }
    expect(checked.length).toBeGreaterThan(50);
  });

  it('the OpenAPI document states the rule: public routes without security, role-restricted ones name their roles', async () => {
    const doc = (await injectAs(app, ANONYMOUS, { url: '/openapi.json' })).json();
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.paths['/api/v1/imports'].post.description).toMatch(/仅限：县级林业主管部门、省级林业主管部门（管理）/);
    expect(doc.paths['/api/v1/health'].get.description).toMatch(/仅限：省级林业主管部门（管理）/);
    expect(doc.paths['/api/v1/me'].get.security).toBeUndefined(); // the document's default: bearer
  });

  it('a GET route asked with HEAD is authenticated too', async () => {
    expect((await raw('HEAD', '/api/v1/me')).status).toBe(401);
    expect((await raw('HEAD', '/%61pi/v1/me')).status).toBe(401);
  });

  it('keeps /health, /openapi.json and the docs public, however the path is spelled', async () => {
    for (const p of ['/health', '/%68ealth', '/openapi.json', '/docs', '/docs/json', '/docs/static/swagger-initializer.js']) {
      const a = await raw('GET', p);
      expect([200, 302], `${p}: ${a.status}`).toContain(a.status);
    }
  });

  it('reproduction: POST /%61pi/v1/exports and GET /%61pi/v1/exports/<id>/file are 401 and create nothing', async () => {
    const before = (await pool.query('SELECT count(*)::int AS n FROM public.export_job')).rows[0].n;
    const body = JSON.stringify({ county: '361123', year: 2023, layer: 'reserve', format: 'geojson', parcels: 'candidates' });
    const post = await raw('POST', '/%61pi/v1/exports', { 'content-type': 'application/json' }, body);
    expect(post.status).toBe(401);
    expect(JSON.parse(post.body).code).toBe('unauthenticated');
    expect((await pool.query('SELECT count(*)::int AS n FROM public.export_job')).rows[0].n).toBe(before);
    const { rows } = await pool.query(
      `INSERT INTO public.export_job (county_code, survey_year, layer, format, crs_epsg, parcels, state, requested_by)
       VALUES ('361123', 2023, 'reserve', 'geojson', 4490, 'candidates', 'failed', 'security-http-test') RETURNING id`,
    );
    try {
      for (const p of [`/%61pi/v1/exports/${rows[0].id}/file`, `/%61pi/v1/exports/${rows[0].id}`]) expect((await raw('GET', p)).status).toBe(401);
    } finally {
      await pool.query('DELETE FROM public.export_job WHERE id = $1', [rows[0].id]);
    }
  });

  it('reproduction: POST /%61pi/v1/imports with a 300 MB body is refused before it is written', async () => {
    const before = filesUnder(workDir);
    const declared = 300 * 1024 * 1024;
    const a = await streamUntilAnswered('/%61pi/v1/imports', {}, declared);
    expect(a.status).toBe(401);
    expect(a.sent).toBeLessThan(declared / 2); // answered while the body was still coming
    expect(filesUnder(workDir)).toEqual(before);
  });

  it('a wrong role is refused before the upload is read: township importing, city uploading candidates (403, nothing written)', async () => {
    const before = filesUnder(workDir);
    const declared = 300 * 1024 * 1024;
    for (const [path, user] of [
      ['/api/v1/imports', u.township],
      ['/%61pi/v1/imports', u.city],
      ['/api/v1/candidate-uploads', u.city],
    ] as const) {
      const a = await streamUntilAnswered(path, user.headers, declared);
      expect({ path, status: a.status, code: JSON.parse(a.body).code }).toEqual({ path, status: 403, code: 'role-not-permitted' });
      expect(JSON.parse(a.body).detail).toMatch(chinese);
      expect(a.sent).toBeLessThan(declared / 2);
    }
    expect(filesUnder(workDir)).toEqual(before);
    // Control: the county forestry bureau's upload is read (and refused only for what it contains).
    const ok = await streamUntilAnswered('/api/v1/imports', u.county.headers, 3 * 1024 * 1024);
    expect(ok.status).not.toBe(403);
    expect(ok.sent).toBe(3 * 1024 * 1024);
  });

  it('a county outside the jurisdiction is refused as its form field arrives, before the file is written (403)', async () => {
    const before = filesUnder(workDir);
    const declared = 300 * 1024 * 1024;
    for (const [path, fields] of [
      ['/api/v1/candidate-uploads', { county: '361123' }],
      ['/api/v1/imports', { layer: 'xzq', county: '361123', year: '2019' }],
    ] as const) {
      const a = await streamUntilAnswered(path, u.neighbour.headers, declared, fields);
      expect({ path, status: a.status, code: JSON.parse(a.body).code }).toEqual({ path, status: 403, code: 'out-of-jurisdiction' });
      expect(a.sent).toBeLessThan(declared / 2);
    }
    expect(filesUnder(workDir)).toEqual(before);
  });

  it('unknown routes are 404 problem+json with or without a token, and echo nothing back', async () => {
    for (const headers of [{}, u.county.headers]) {
      const a = await raw('GET', '/api/v1/no-such-route/%3Cscript%3E', headers);
      expect(a.status).toBe(404);
      expect(isProblem(a)).toBe(true);
      expect(JSON.parse(a.body).detail).not.toMatch(/script|no-such-route/);
    }
  });
});

describe('bad input is a 400 problem+json, never a 500 (item 12)', () => {
  const expect400 = async (what: string, res: { statusCode: number; headers: Record<string, unknown>; body: string }, code?: string) => {
    expect({ what, status: res.statusCode }, res.body.slice(0, 300)).toEqual({ what, status: 400 });
    expect(String(res.headers['content-type'])).toMatch(/application\/problem\+json/);
    const p = JSON.parse(res.body);
    expect(p.detail, what).toMatch(chinese);
    if (code) expect(p.code, what).toBe(code);
  };
  const get = (url: string) => injectAs(app, admin, { method: 'GET', url });
  // A procedure action is refused to a role that may not take it before its body is read: those go as a role that may.
  const post = (url: string, payload: unknown, as: TestUser = admin) => injectAs(app, as, { method: 'POST', url, payload: payload as object });

  it('a malformed UUID (36 a’s, urn:uuid:…, NUL) → 400 on imports, uploads, parcels, procedures, exports, issuances, draws, audits', async () => {
    const urls = [
      `/api/v1/imports/${AAA}`,
      `/api/v1/imports/${AAA}/rejects`,
      `/api/v1/imports/${AAA}/repairs`,
      `/api/v1/candidate-uploads/${AAA}`,
      `/api/v1/candidate-uploads/${AAA}/check-runs`,
      `/api/v1/candidate-uploads/${AAA}/report`,
      `/api/v1/candidate-uploads/${randomUUID()}/report?run=${AAA}`,
      `/api/v1/candidate-parcels/${AAA}/report`,
      `/api/v1/procedures/${AAA}`,
      `/api/v1/procedures?submissionId=urn:uuid:${randomUUID()}`,
      `/api/v1/exports/${AAA}`,
      `/api/v1/exports/${AAA}/file`,
      `/api/v1/quota/issuances/${AAA}`,
      `/api/v1/reserve-submissions/${AAA}`,
      `/api/v1/audits/${AAA}`,
      `/api/v1/audit-log?parcelId=${AAA}`,
      `/api/v1/imports/%00`,
    ];
    for (const url of urls) await expect400(`GET ${url}`, await get(url));
    await expect400('check-runs', await post(`/api/v1/candidate-uploads/${AAA}/check-runs`, {}));
    await expect400('draw use', await post(`/api/v1/quota/draws/${AAA}/use`, { useStartedOn: '2023-06-01' }));
    await expect400('apply', await post('/api/v1/procedures', { candidateParcelId: AAA }, u.township));
    await expect400('objection decision', await post(`/api/v1/procedures/${randomUUID()}/objections/${AAA}/decision`, { decision: 'dismissed', reason: 'x' }, u.county));
    await expect400('holder removal', await post(`/api/v1/procedures/${randomUUID()}/rights-holders/${AAA}/removal`, { reason: '登记有误，删除' }, u.county));
    await expect400('survey-change', await post(`/api/v1/procedures/${randomUUID()}/survey-change`, { changeYear: 2023, checkRunId: AAA }, u.resources));
    await expect400('inspection', await post('/api/v1/quota/inspections', { parcelId: AAA, year: 2023, outcome: 'intact' }));
  });

  it('a NUL character in a query parameter, path or JSON text field → 400 nul-character', async () => {
    for (const url of ['/api/v1/imports?layer=a%00b', '/api/v1/audit-log?table=%00', '/api/v1/imports?state=%00', `/api/v1/counties/36%001123/quota`]) {
      await expect400(`GET ${url}`, await get(url));
    }
    await expect400('audit-log table', await get('/api/v1/audit-log?table=x%00'), 'nul-character');
    await expect400('export parcels', await post('/api/v1/exports', { county: '361123', year: 2023, layer: 'reserve', format: 'geojson', parcels: 'changed\u0000' }), 'nul-character');
    await expect400('pool request', await post('/api/v1/quota/pool/requests', { county: '361123', quotaYear: 2023, area: { unit: 'mu', value: 1 }, purpose: 'x\u0000y' }), 'nul-character');
    await expect400('draw', await post('/api/v1/counties/361123/quota/draws', { projectName: '项目\u0000', approvalNo: 'y', approvedOn: '2023-05-01', area: { unit: 'mu', value: 1 } }), 'nul-character');
    await expect400('publicize', await post(`/api/v1/procedures/${randomUUID()}/publicize`, { naturalVillage: { name: '村\u0000', from: '2022-03-01', to: '2022-03-10' } }, u.county), 'nul-character');
    await expect400('key', await post('/api/v1/quota/issuances', { reserveYear: 2022, ['is\u0000suedOn']: '2023-03-01' }), 'nul-character');
  });

  it('a NUL character in a multipart form field or file name → 400 before the file is stored (imports, candidate uploads)', async () => {
    const before = filesUnder(workDir);
    const cases: [string, Record<string, string>, string][] = [
      ['/api/v1/imports', { layer: 'xzq', county: '361123', year: '2019', layerName: 'XZQ\u0000' }, 'x.zip'],
      ['/api/v1/imports', { layer: 'xzq', county: '361123', year: '2019' }, 'x\u0000.zip'],
      ['/api/v1/candidate-uploads', { county: '361123', applicant: '某村\u0000' }, 'c.geojson'],
      ['/api/v1/candidate-uploads', { county: '361123', encoding: 'GBK\u0000' }, 'c.geojson'],
    ];
    for (const [url, fields, name] of cases) {
      const m = multipart(fields, { content: Buffer.from('{}'), name });
      await expect400(`${url} ${JSON.stringify(fields)} ${JSON.stringify(name)}`, await injectAs(app, admin, { method: 'POST', url, ...m }), 'nul-character');
    }
    expect(filesUnder(workDir)).toEqual(before);
  });

  it('a path parameter over the router’s 100 characters → 414 problem+json (uri-too-long), with or without a token, the path not echoed', async () => {
    const long = 'a'.repeat(101);
    for (const [url, who] of [[`/api/v1/imports/${long}`, admin], [`/api/v1/imports/${long}`, undefined], [`/ogc/collections/${long}/items`, admin], [`/ogc/collections/dltb-361123-2023/items/${long}`, admin]] as const) {
      const res = who ? await injectAs(app, who, { method: 'GET', url }) : await app.inject({ method: 'GET', url });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 414 });
      expect(String(res.headers['content-type'])).toMatch(/application\/problem\+json/);
      expect(res.headers['cache-control']).toBe('no-store');
      const p = JSON.parse(res.body);
      expect(p).toMatchObject({ status: 414, code: 'uri-too-long' });
      expect(p.detail).toMatch(chinese);
      expect(res.body).not.toContain(long);
    }
    // 100 characters are still routed (and answered by the route).
    expect((await injectAs(app, admin, { method: 'GET', url: `/api/v1/imports/${'a'.repeat(100)}` })).statusCode).toBe(400);
  });

  it('integers out of range (year=99999999999, after=1e20, offset, limit, areas) → 400 by schema bounds', async () => {
    const urls = [
      '/api/v1/imports?year=99999999999',
      '/api/v1/imports?offset=1e20',
      `/api/v1/imports/${randomUUID()}/rejects?limit=99999999999`,
      '/api/v1/procedures?reserveYear=99999999999',
      '/api/v1/procedures?offset=1e20',
      '/api/v1/reserve-submissions?year=-99999999999',
      '/api/v1/counties/361123/reserve?year=1e20',
      '/api/v1/quota/issuances?reserveYear=99999999999',
      '/api/v1/quota/inspections?year=1e20',
      '/api/v1/quota/pool?quotaYear=99999999999',
      '/api/v1/ledger/province?quotaYear=1e20',
      '/api/v1/ledger/province/map?quotaYear=1e20',
      '/api/v1/audit-log?after=1e20',
      '/api/v1/counties/361123/dltb/99999999999/land-classes',
      '/api/v1/counties/361123/annual-summary/99999999999',
      '/api/v1/counties/361123/restorable-mining-land?after=1e20',
      '/api/v1/counties/361123/restorable-mining-land?year=99999999999',
      '/api/v1/counties/361123/restorable-mining-land/summary?minAreaM2=1e300',
      '/api/v1/counties/361123/restorable-mining-land?bbox=1..2,3,4,5',
    ];
    for (const url of urls) await expect400(`GET ${url}`, await get(url));
    await expect400('export year', await post('/api/v1/exports', { county: '361123', year: 99999999999, layer: 'reserve', format: 'geojson' }));
    await expect400('issuance', await post('/api/v1/quota/issuances', { reserveYear: 99999999999 }));
    await expect400('allocations', await post('/api/v1/quota/pool/allocations', { quotaYear: 1e300 }));
    await expect400('pool request', await post('/api/v1/quota/pool/requests', { county: '361123', quotaYear: -1e300, area: { unit: 'mu', value: 1 }, purpose: 'x' }));
    await expect400('draw area', await post('/api/v1/counties/361123/quota/draws', { projectName: 'p', approvalNo: 'y', approvedOn: '2023-05-01', area: { unit: 'mu', value: 1e300 } }));
    await expect400('draw area text', await post('/api/v1/counties/361123/quota/draws', { projectName: 'p', approvalNo: 'y', approvedOn: '2023-05-01', area: { unit: 'mu', value: '9'.repeat(30) } }));
    await expect400('draw year', await post('/api/v1/counties/361123/quota/draws', { quotaYear: 99999999999, projectName: 'p', approvalNo: 'y', approvedOn: '2023-05-01', area: { unit: 'mu', value: 1 } }));
    await expect400('afforest area', await post(`/api/v1/procedures/${randomUUID()}/afforest`, { forestClass: '0301', species: ['杉木'], plantedOn: '2022-04-01', areaM2: 1e300, restorer: { name: 'x', kind: '企业' } }, u.county));
    await expect400('verify years', await post(`/api/v1/procedures/${randomUUID()}/verify`, { rerunChecks: { baseYear: 99999999999 } }, u.county));
    await expect400('impossible date', await post(`/api/v1/procedures/${randomUUID()}/publicize`, { naturalVillage: { name: '村', from: '2022-02-30', to: '2022-03-10' } }, u.county));
    await expect400('check-run years', await post(`/api/v1/candidate-uploads/${randomUUID()}/check-runs`, { baseYear: 99999999999 }));
    const m = multipart({ county: '361123', changeYear: '99999999999' }, { content: Buffer.from('{}'), name: 'c.geojson' });
    await expect400('candidate changeYear', await injectAs(app, admin, { method: 'POST', url: '/api/v1/candidate-uploads', ...m }));
  });

  it('a 200,000-deep JSON body → 400 request-too-deep; a body over the limit → 413', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    for (const [url, as] of [['/api/v1/exports', admin], ['/api/v1/quota/issuances', admin], [`/api/v1/procedures/${randomUUID()}/verify`, u.county]] as [string, TestUser][]) {
      const res = await injectAs(app, as, { method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: `{"county":"361123","x":${deep}}` });
      await expect400(url, res, 'request-too-deep');
    }
    const huge = await injectAs(app, admin, { method: 'POST', url: '/api/v1/exports', headers: { 'content-type': 'application/json' }, payload: `{"parcels":"${'x'.repeat(11 * 1024 * 1024)}"}` });
    expect(huge.statusCode).toBe(413);
    expect(huge.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});

describe('headers and disclosure (item 14)', () => {
  it('API answers carry the security headers and Cache-Control: no-store; so do refusals', async () => {
    for (const [url, headers, status] of [
      ['/api/v1/me', u.county.headers, 200],
      ['/api/v1/me', {}, 401],
      ['/api/v1/counties/360111/quota', u.county.headers, 403],
    ] as const) {
      const a = await raw('GET', url, headers);
      expect(a.status).toBe(status);
      expect(a.headers['cache-control'], url).toBe('no-store');
      expect(a.headers['x-content-type-options']).toBe('nosniff');
      expect(a.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(a.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(a.headers['content-security-policy']).toMatch(/default-src 'none'/);
      expect(a.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('the docs page gets a CSP that lets it load its own scripts, styles and the OpenAPI document, and has no inline script', async () => {
    const page = await raw('GET', '/docs/');
    const html = page.status === 200 ? page : await raw('GET', '/docs/static/index.html');
    expect(html.status).toBe(200);
    const csp = String(html.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).not.toMatch(/default-src 'none'/);
    expect(csp).not.toMatch(/upgrade-insecure-requests/); // the page must load over plain HTTP on an intranet host
    // Every <script> has a src (a strict 'self' script policy would block inline code).
    const scripts = [...html.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, inner] of scripts) {
      expect(attrs).toMatch(/src=/);
      expect((inner ?? '').trim()).toBe('');
    }
    for (const p of ['/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js', '/docs/static/swagger-ui.css', '/docs/json']) {
      expect((await raw('GET', p)).status, p).toBe(200);
    }
  });

  it('public /health answers only {status}; versions and database errors go to a province administrator', async () => {
    const h = await raw('GET', '/health');
    expect(h.status).toBe(200);
    expect(JSON.parse(h.body)).toEqual({ status: 'ok' });
    const detail = await injectAs(app, admin, '/api/v1/health'); // a province administrator
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({ status: 'ok', database: { ok: true, postgis: expect.any(String) }, gdal: expect.stringMatching(/^3\./) });
    for (const user of [u.county, u.city]) {
      const r = await injectAs(app, user, { url: '/api/v1/health' });
      expect({ status: r.statusCode, code: r.json().code }).toEqual({ status: 403, code: 'role-not-permitted' });
    }
    expect((await raw('GET', '/api/v1/health')).status).toBe(401);
  });

  it('when the database is down, /health says "down" and nothing of the error', async () => {
    const query = vi.spyOn(pool, 'query').mockRejectedValue(new Error('password authentication failed for user "zhanbu" at 10.1.2.3:5432'));
    try {
      const h = await raw('GET', '/health');
      expect(h.status).toBe(503);
      expect(JSON.parse(h.body)).toEqual({ status: 'down' });
    } finally {
      query.mockRestore();
    }
  });

  it('when the database is down, the administrator\'s /api/v1/health is 503 with database.ok=false and the error', async () => {
    // Only the probe fails: the administrator's token is still looked up (a database down for every
    // query would refuse the token look-up first).
    const through = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    let probed = 0;
    const failProbe = (...args: unknown[]) => {
      const sql = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string }).text ?? '');
      if (!sql.includes('postgis_lib_version')) return through(...args);
      probed++;
      return Promise.reject(new Error('connect ECONNREFUSED 10.1.2.3:5432'));
    };
    // An own property over Pool.prototype.query, removed afterwards.
    Object.assign(pool, { query: failProbe });
    try {
      const detail = await injectAs(app, admin, '/api/v1/health');
      expect(detail.statusCode, detail.body).toBe(503);
      expect(detail.json()).toEqual({ status: 'degraded', database: { ok: false, error: 'connect ECONNREFUSED 10.1.2.3:5432' }, gdal: expect.stringMatching(/^3\./) });
      expect(probed).toBe(1);
      // The public /health at the same moment: down, and nothing of the error.
      const h = await raw('GET', '/health');
      expect({ status: h.status, body: JSON.parse(h.body) }).toEqual({ status: 503, body: { status: 'down' } });
    } finally {
      Reflect.deleteProperty(pool, 'query');
    }
  });

  it('when no query reaches the database at all, an authenticated request is 503 database-unavailable with Retry-After, not 500', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
    Object.assign(pool, { query: () => Promise.reject(refused), connect: () => Promise.reject(refused) });
    try {
      // (The administrator's own /api/v1/health answers its 503 degraded report instead, tested above.)
      for (const url of ['/api/v1/counties/361123/quota', '/api/v1/procedures']) {
        const res = await injectAs(app, admin, url);
        const body = expectProblem(res, 503, 'database-unavailable');
        expect(res.headers['retry-after']).toBe('10');
        expect(JSON.stringify(body)).not.toContain('10.1.2.3');
      }
    } finally {
      Reflect.deleteProperty(pool, 'query');
      Reflect.deleteProperty(pool, 'connect');
    }
  });
});
