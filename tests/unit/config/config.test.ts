import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_DATABASE_URL, loadConfig } from '../../../src/config.js';
import { JIANGXI_PILOT } from '../../../src/domain/quota/pilot-period.js';

describe('configuration from the environment', () => {
  it('takes defaults for unset or empty variables and reads well-formed ones', () => {
    expect(loadConfig({})).toMatchObject({ databaseUrl: DEFAULT_DATABASE_URL, host: '127.0.0.1', port: 3000, workDir: '/tmp/zhanbu', maxCandidateParcels: 10_000 });
    expect(loadConfig({ PORT: '', HOST: ' ' }).port).toBe(3000);
    expect(loadConfig({ PORT: '8080', ZHANBU_MAX_UPLOAD_BYTES: '1048576', ZHANBU_WORK_DIR: '/srv/zhanbu' })).toMatchObject({ port: 8080, maxUploadBytes: 1048576, workDir: '/srv/zhanbu' });
  });

  it('refuses a malformed value instead of silently defaulting (PORT=abc was port 3000)', () => {
    const bad: Record<string, string>[] = [
      { PORT: 'abc' },
      { PORT: '70000' },
      { PORT: '0' },
      { PORT: '3000x' },
      { PORT: '-1' },
      { ZHANBU_MAX_UPLOAD_BYTES: '2GB' },
      { ZHANBU_MAX_CANDIDATE_PARCELS: '1e4' },
      { DATABASE_URL: 'mysql://x@y/z' },
      { ZHANBU_WORK_DIR: 'relative/dir' },
      { ZHANBU_SESSION_HOURS: '0' },
      { ZHANBU_LOGIN_MAX_FAILURES: 'many' },
      { ZHANBU_WEB_DIR: 'web/dist' },
      { ZHANBU_BASEMAP_URL: 'ftp://tiles.example/{z}/{x}/{y}.png' },
    ];
    for (const env of bad) {
      const name = Object.keys(env)[0]!;
      expect(() => loadConfig(env), name).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(new RegExp(name));
    }
  });

  it('reads the workspace settings: session lifetime, sign-in limits, base map (none by default: nothing reaches the internet)', () => {
    expect(loadConfig({})).toMatchObject({ sessionHours: 8, loginMaxFailuresPerLogin: 5, loginMaxFailuresPerAddress: 20, loginWindowMinutes: 15, basemapUrl: undefined });
    expect(loadConfig({}).webDir).toMatch(/\/web\/dist$/);
    const url = 'https://t0.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY';
    expect(loadConfig({ ZHANBU_BASEMAP_URL: url, ZHANBU_SESSION_HOURS: '12' })).toMatchObject({ basemapUrl: url, sessionHours: 12 });
  });

  it('holds every tunable of the service: pilot period, body limit, pool size, expansion limits, work folder', () => {
    expect(loadConfig({})).toMatchObject({
      pilotPeriod: JIANGXI_PILOT,
      bodyLimitBytes: 10 * 1024 ** 2,
      dbPoolSize: 10,
      exportRetentionHours: 72,
      maxExpandedBytes: 8 * 1024 ** 3,
      maxCandidateExpandedBytes: 512 * 1024 ** 2,
      workDir: '/tmp/zhanbu',
    });
    expect(
      loadConfig({ ZHANBU_PILOT_START: '2022', ZHANBU_PILOT_END: '2027', ZHANBU_BODY_LIMIT_BYTES: '1048576', ZHANBU_DB_POOL_SIZE: '4', ZHANBU_MAX_EXPANDED_BYTES: '1024' }),
    ).toMatchObject({ pilotPeriod: { startYear: 2022, endYear: 2027 }, bodyLimitBytes: 1048576, dbPoolSize: 4, maxExpandedBytes: 1024 });
  });

  it('refuses a malformed pilot period, body limit or pool size (a malformed year was silently the default)', () => {
    for (const env of [
      { ZHANBU_PILOT_START: '20x2' },
      { ZHANBU_PILOT_END: '1900' },
      { ZHANBU_PILOT_START: '2025', ZHANBU_PILOT_END: '2024' },
      { ZHANBU_BODY_LIMIT_BYTES: '10MB' },
      { ZHANBU_DB_POOL_SIZE: '0' },
      { ZHANBU_DB_POOL_SIZE: '5000' },
    ] as Record<string, string>[]) {
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(ConfigError);
    }
    expect(() => loadConfig({ ZHANBU_PILOT_START: '2025', ZHANBU_PILOT_END: '2024' })).toThrow(/ZHANBU_PILOT_END=“2024”无效/);
  });

  it('lists every malformed variable at once', () => {
    try {
      loadConfig({ PORT: 'abc', ZHANBU_MAX_EXPANDED_BYTES: 'lots' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toHaveLength(2);
      expect((err as ConfigError).message).toMatch(/PORT=“abc”无效/);
      expect((err as ConfigError).message).toMatch(/ZHANBU_MAX_EXPANDED_BYTES=“lots”无效/);
    }
  });

  it('the server does not start on a malformed value: exit 1 with the message, no stack trace', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, PORT: 'abc' }, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PORT=“abc”无效/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
