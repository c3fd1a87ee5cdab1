/**
 * The workspace's static files (src/web/routes.ts): index never cached, hashed assets cached for a
 * year and gzipped, a page policy that loads nothing from elsewhere (the configured base map aside),
 * and a Chinese answer when the workspace has not been built. The browser scenarios are in
 * tests/browser/workspace.test.ts.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildCandidateApp } from '../helpers/candidates.js';
import { ANONYMOUS, injectAs } from '../helpers/http.js';

const apps: App[] = [];
afterAll(async () => {
  for (const a of apps) await a.close();
});

/** A built workspace of two files, in a folder of its own. */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zhanbu-web-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>林地占补平衡工作台</title><script type="module" src="/assets/index-abc123.js"></script>');
  writeFileSync(join(dir, 'assets/index-abc123.js'), `console.log(${JSON.stringify('工作台'.repeat(200))});`);
  return dir;
}

async function app(overrides: Parameters<typeof buildCandidateApp>[0]) {
  const a = await buildCandidateApp(overrides);
  apps.push(a);
  return a;
}

describe('the workspace’s files', () => {
  it('serves index.html uncached and hashed assets for a year, gzipped when asked, with a policy allowing only this origin', async () => {
    const a = await app({ webDir: fakeBuild() });
    const index = await injectAs(a, ANONYMOUS, '/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    const csp = String(index.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/worker-src 'self' blob:/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/https?:/);
    const js = await injectAs(a, ANONYMOUS, { url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-encoding']).toBe('gzip');
    // MapLibre's worker is an asset, and a worker runs under the policy its script came with.
    expect(js.headers['content-security-policy']).toBe(csp);
    expect(gunzipSync(js.rawPayload).toString()).toContain('工作台');
    const plain = await injectAs(a, ANONYMOUS, '/assets/index-abc123.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-type']).toMatch(/text\/javascript/);
    expect((await injectAs(a, ANONYMOUS, { method: 'HEAD', url: '/' })).statusCode).toBe(200);
    expect(await injectAs(a, ANONYMOUS, '/workspace.json').then((r) => r.json())).toEqual({ basemapUrl: null });
  });

  it('answers unknown or traversing asset names 404, and serves no page for API-looking paths', async () => {
    const a = await app({ webDir: fakeBuild() });
    for (const url of ['/assets/nope.js', '/assets/..%2Findex.html', '/assets/%2E%2E/index.html', '/assets/', '/index.html', '/upload', '/api']) {
      const r = await injectAs(a, ANONYMOUS, url);
      expect({ url, status: r.statusCode }).toEqual({ url, status: 404 });
      expect(r.headers['content-type']).toMatch(/problem\+json/);
    }
  });

  it('names the configured base map host in the page policy, and nothing else', async () => {
    const basemapUrl = 'https://t0.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY';
    const a = await app({ webDir: fakeBuild(), basemapUrl });
    const csp = String((await injectAs(a, ANONYMOUS, '/')).headers['content-security-policy']);
    expect(csp).toMatch(/img-src 'self' data: blob: https:\/\/t0\.tianditu\.gov\.cn/);
    expect(csp).toMatch(/connect-src 'self' https:\/\/t0\.tianditu\.gov\.cn/);
    expect((await injectAs(a, ANONYMOUS, '/workspace.json')).json()).toEqual({ basemapUrl });
  });

  it('says in Chinese how to build the workspace when it has not been built', async () => {
    const a = await app({ webDir: mkdtempSync(join(tmpdir(), 'zhanbu-web-empty-')) });
    const r = await injectAs(a, ANONYMOUS, '/');
    expect(r.statusCode).toBe(503);
    expect(r.body).toContain('工作台尚未构建');
    expect(r.body).toContain('npm run build:web');
  });
});
