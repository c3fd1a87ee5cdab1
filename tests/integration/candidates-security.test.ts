/**
 * Candidate checks attacked from inside the service (issue 8): a township relaxing the eligibility
 * thresholds (item 3), a neighbouring county or township reading other parcels through the overlap
 * check (item 5), and a township receiving another township's upload as a "duplicate" (item 16).
 * Real survey layers of the sample county 361123, real checks, real row-level security.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Polygon } from 'geojson';
import type { App } from '../../src/app.js';
import { DEFAULT_CHECK_PARAMETERS } from '../../src/domain/checks/parameters.js';
import { createTestUser, deleteTestUsers, type TestUser, testAdmin } from '../helpers/auth.js';
import {
  COUNTY,
  GK39,
  buildCandidateApp,
  checkOf,
  deleteCandidates,
  importSurveyLayers,
  surveyPolygons,
  tempDir,
  translate,
  writeGeoJson,
  type SurveyPolygon,
} from '../helpers/candidates.js';
import { resetCounty, testPool } from '../helpers/db.js';
import { multipart } from '../helpers/multipart.js';
import { resetProcedure, uploadAs } from '../helpers/procedure.js';
import { expectProblem, injectAs, requestsTo } from '../helpers/http.js';

/** 核实 is organised with 林业、自然资源等部门: who of each took part. */
const JOINT = { forestry: [{ name: '张林' }], naturalResources: [{ name: '李资' }] };
const NEIGHBOUR = '361124';
const pool = testPool();
let app: App;
let admin: TestUser;
let farmland: SurveyPolygon[];
let mining: SurveyPolygon[];
const u = {} as Record<'township' | 'forestry' | 'admin' | 'neighbour', TestUser>;

async function clean() {
  await resetProcedure(pool);
  await deleteCandidates(pool);
  await deleteCandidates(pool, NEIGHBOUR);
  await pool.query(`DELETE FROM public.import_job WHERE source_name = 'candidates-security-test'`);
  await resetCounty(pool, COUNTY);
  await deleteTestUsers(pool);
}

/** Publishes a parameter set as the province administrator (201 expected). */
async function publish(parameters: object, reason: string) {
  const res = await injectAs(app, u.admin, { method: 'POST', url: '/api/v1/check-parameters/versions', payload: { parameters, reason } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

beforeAll(async () => {
  await clean();
  app = await buildCandidateApp();
  admin = await testAdmin(pool);
  await importSurveyLayers(app, admin);
  farmland = await surveyPolygons(pool, '01%', '01%', 2);
  mining = await surveyPolygons(pool, '0602', '0602', 6);
  expect(farmland.length).toBeGreaterThanOrEqual(1);
  expect(mining.length).toBeGreaterThanOrEqual(4);
  u.township = await createTestUser(pool, 'township', farmland[0]!.township);
  u.forestry = await createTestUser(pool, 'county-forestry', COUNTY);
  u.admin = await createTestUser(pool, 'province-admin', '36');
  u.neighbour = await createTestUser(pool, 'county-forestry', NEIGHBOUR);
});
afterAll(async () => {
  // Leave the defaults in force for the files that follow (the table is append-only: a new version).
  if (u.admin) await publish(DEFAULT_CHECK_PARAMETERS, '测试结束：恢复默认检查参数');
  await app?.close();
  await clean();
  await pool.end();
});

const { get, post } = requestsTo(() => app);
const inForce = async () => (await get(u.township, '/api/v1/check-parameters')).json();

describe('item 3: eligibility thresholds are the province’s, versioned and audited', () => {
  let uploadId: string;
  let candidateParcelId: string;
  let procedureId: string;

  it('a township cannot relax a threshold in a check run (400), and farmland fails the source check', async () => {
    const f = farmland[0]!;
    const view = await uploadAs(app, u.township, [{ geometry: f.geometry, properties: { DKBH: 'FARM-1', SQDW: '某村委会' } }], {
      county: COUNTY,
      township: f.township,
      runChecks: false,
    });
    uploadId = view.id;
    const url = `/api/v1/candidate-uploads/${uploadId}/check-runs`;
    for (const payload of [{ sourceMinShare: 0 }, { changeMinShare: 0, changeYear: 2023 }, { boundaryToleranceM2: 1e9 }, { declaredAreaTolerance: 1 }]) {
      const body = expectProblem(await post(u.township, url, payload), 400, 'check-parameters-not-accepted');
      expect(body.detail).toMatch(/省级统一发布/);
    }
    expect(expectProblem(await post(u.township, url, { sourceMinShareX: 0 }), 400, 'unknown-property').detail).toContain('未知的字段：body.sourceMinShareX');
    // Nor look at an older survey, where land that is forest today was not yet.
    expectProblem(await post(u.township, url, { latestYear: 2019 }), 403, 'survey-years-not-permitted');
    expectProblem(await post(u.township, url, { baseYear: 2019 }), 403, 'survey-years-not-permitted');
    expect((await pool.query('SELECT count(*)::int AS n FROM candidate.check_run WHERE upload_id = $1', [uploadId])).rows[0].n).toBe(0);

    const run = await post(u.township, url, {});
    expect(run.statusCode, run.body).toBe(201);
    const report = run.json();
    const current = await inForce();
    expect(report.run.parameterSetVersion).toBe(current.version);
    expect(report.run.parameters).toMatchObject(current.parameters);
    expect(checkOf(report, 'FARM-1', 'source').status).toBe('fail');
    candidateParcelId = report.parcels[0].parcelId;
  });

  it('verification refuses the farmland parcel without an override, and refuses a run made with relaxed thresholds whatever it says', async () => {
    const p = await post(u.township, '/api/v1/procedures', { candidateParcelId });
    expect(p.statusCode, p.body).toBe(201);
    procedureId = p.json().id;
    const refused = expectProblem(await post(u.forestry, `/api/v1/procedures/${procedureId}/verify`, { participants: JOINT }), 422, 'guard-failed');
    // Not mining land: 来源可靠 fails, which no one may override (issue 10 point 4).
    expect(refused.failedGuards.map((g: { guard: string }) => g.guard)).toEqual(['source-not-overridable']);
    expect(refused.detail).toMatch(/来源可靠/);
    // Nor can a re-run at verification carry a threshold.
    expectProblem(await post(u.forestry, `/api/v1/procedures/${procedureId}/verify`, { rerunChecks: { sourceMinShare: 0 } }), 400, 'check-parameters-not-accepted');

    // A run as one carrying {"sourceMinShare":0} would have been stored before this fix: every check
    // passed, no parameter-set version. It is never a basis for verification, override or not.
    const forged = (await pool.query(
      `INSERT INTO candidate.check_run (upload_id, parameters, layers, finished_at) VALUES ($1, $2, '{}', now()) RETURNING id`,
      [uploadId, { ...DEFAULT_CHECK_PARAMETERS, sourceMinShare: 0 }],
    )).rows[0].id as string;
    await pool.query(
      `INSERT INTO candidate.check_result (run_id, parcel_id, check_code, status, message, figures)
       SELECT $1, parcel_id, check_code, 'pass', message, figures FROM candidate.check_result
        WHERE run_id = (SELECT id FROM candidate.check_run WHERE upload_id = $2 AND parameter_set_version IS NOT NULL ORDER BY started_at DESC LIMIT 1)`,
      [forged, uploadId],
    );
    for (const payload of [{ checkRunId: forged, participants: JOINT }, { checkRunId: forged, override: { reason: '按放宽的阈值核实通过' }, participants: JOINT }]) {
      const stale = expectProblem(await post(u.forestry, `/api/v1/procedures/${procedureId}/verify`, payload), 422, 'guard-failed');
      expect(stale.failedGuards.map((g: { guard: string }) => g.guard)).toEqual(['check-parameters-current']);
    }
    const state = (await pool.query('SELECT state FROM procedure.parcel WHERE id = $1', [procedureId])).rows[0].state;
    expect(state).toBe('applied');
  });

  it('everyone reads the parameter set in force; only a province administrator publishes one (403, and refused by the database too)', async () => {
    const current = await inForce();
    expect(current).toMatchObject({ inForce: true, parameters: expect.objectContaining({ sourceMinShare: expect.any(Number) }) });
    const versions = (await get(u.township, '/api/v1/check-parameters/versions')).json().items;
    expect(versions[0]).toMatchObject({ version: current.version, inForce: true });
    expect(versions.at(-1)).toMatchObject({ version: 1, parameters: DEFAULT_CHECK_PARAMETERS });

    const attempt = { parameters: { ...DEFAULT_CHECK_PARAMETERS, sourceMinShare: 0 }, reason: '县里想放宽来源检查' };
    for (const user of [u.forestry, u.township, u.neighbour]) {
      expectProblem(await post(user, '/api/v1/check-parameters/versions', attempt), 403, 'role-not-permitted');
    }
    // Whatever the route, the table's policy admits only a province administrator's insert.
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `SELECT set_config('role', 'zhanbu_app', true), set_config('zhanbu.scope_prefix', '361123', true),
                set_config('zhanbu.user_role', 'county-forestry', true), set_config('zhanbu.user_login', $1, true)`,
        [u.forestry.login],
      );
      await expect(client.query(`INSERT INTO candidate.check_parameter_set (parameters, reason) VALUES ($1, '县级直接写入')`, [attempt.parameters])).rejects.toThrow(
        /row-level security/,
      );
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    // Append-only, even for the owner.
    await expect(pool.query(`UPDATE candidate.check_parameter_set SET parameters = parameters || '{"sourceMinShare": 0}'`)).rejects.toThrow(/append-only/);
    await expect(pool.query(`DELETE FROM candidate.check_parameter_set`)).rejects.toThrow(/append-only/);
    expect((await inForce()).version).toBe(current.version);
  });

  it('a publication is validated against the parameter names and bounds (400)', async () => {
    const bad: object[] = [
      { parameters: { ...DEFAULT_CHECK_PARAMETERS, sourceMinShare: 1.5 }, reason: '超出范围的比例' },
      { parameters: { ...DEFAULT_CHECK_PARAMETERS, boundaryToleranceM2: -1 }, reason: '负的容差不成立' },
      { parameters: { sourceMinShare: 0.9 }, reason: '只给了一项阈值' },
      { parameters: DEFAULT_CHECK_PARAMETERS, reason: '短' },
    ];
    const before = (await inForce()).version;
    for (const payload of bad) expectProblem(await post(u.admin, '/api/v1/check-parameters/versions', payload), 400, 'request-invalid');
    // A misspelt threshold or an extra property is named.
    for (const [payload, path] of [
      [{ parameters: { ...DEFAULT_CHECK_PARAMETERS, sourceMinShareTypo: 0 }, reason: '拼错的阈值名称' }, 'body.parameters.sourceMinShareTypo'],
      [{ parameters: DEFAULT_CHECK_PARAMETERS, reason: '额外的属性', version: 99 }, 'body.version'],
    ] as const) {
      expect(expectProblem(await post(u.admin, '/api/v1/check-parameters/versions', payload), 400, 'unknown-property').path).toBe(path);
    }
    expect((await inForce()).version).toBe(before);
  });

  it('the province publishes a new version: audited with who and why; earlier runs no longer count; the next run uses it', async () => {
    const before = await inForce();
    const published = await publish({ ...DEFAULT_CHECK_PARAMETERS, sourceMinShare: 0 }, '测试：省林业局通知放宽来源检查');
    expect(published).toMatchObject({ version: before.version + 1, inForce: true, setBy: u.admin.login, reason: '测试：省林业局通知放宽来源检查' });
    expect((await inForce()).version).toBe(published.version);
    const events = (await pool.query(
      `SELECT actor_login, actor_role, operation, data FROM audit.event WHERE table_name = 'candidate.check_parameter_set' AND (data->>'version')::int = $1`,
      [published.version],
    )).rows;
    expect(events).toEqual([
      expect.objectContaining({ actor_login: u.admin.login, actor_role: 'province-admin', operation: 'INSERT', data: expect.objectContaining({ set_by: u.admin.login }) }),
    ]);

    // The run made under the previous version is not a basis any more, not even with an override.
    const stale = expectProblem(
      await post(u.forestry, `/api/v1/procedures/${procedureId}/verify`, { override: { reason: '县级核实认为可以补充' }, participants: JOINT }),
      422,
      'guard-failed',
    );
    expect(stale.failedGuards.map((g: { guard: string }) => g.guard)).toEqual(['check-parameters-current']);
    expect(stale.detail).toContain(`第${published.version}版`);

    // Re-running applies the new version: the source check passes under the province's new rule.
    const v = await post(u.forestry, `/api/v1/procedures/${procedureId}/verify`, { rerunChecks: {}, participants: JOINT });
    expect(v.statusCode, v.body).toBe(200);
    expect(v.json().state).toBe('verified');
    const run = (await pool.query(
      `SELECT r.parameter_set_version, r.parameters FROM procedure.parcel p JOIN candidate.check_run r ON r.id = p.verification_run_id WHERE p.id = $1`,
      [procedureId],
    )).rows[0];
    expect(run.parameter_set_version).toBe(published.version);
    expect(run.parameters.sourceMinShare).toBe(0);
  });
});

// ---------------------------------------------------------------- item 5

/** The plane bounding box of some polygons, grown by a margin (m). */
function boxAround(polys: Polygon[], margin: number): Polygon {
  const pts = polys.flatMap((p) => p.coordinates[0]!);
  const xs = pts.map((p) => p[0]!);
  const ys = pts.map((p) => p[1]!);
  const [x0, y0, x1, y1] = [Math.min(...xs) - margin, Math.min(...ys) - margin, Math.max(...xs) + margin, Math.max(...ys) + margin];
  return { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] };
}

/** Uploads (with checks) and returns the upload view, its JSON report and its GeoJSON report as text. */
async function uploadChecked(user: TestUser, features: { geometry: Polygon; properties: Record<string, string> }[], fields: Record<string, string>, name: string) {
  const file = writeGeoJson(tempDir(), name, features, { epsg: GK39 });
  const body = multipart(fields, { path: file });
  const res = await injectAs(app, user, { method: 'POST', url: '/api/v1/candidate-uploads', ...body });
  expect(res.statusCode, res.body).toBe(201);
  const view = res.json();
  const json = await get(user, `/api/v1/candidate-uploads/${view.id}/report`);
  const geojson = await get(user, `/api/v1/candidate-uploads/${view.id}/report?format=geojson`);
  expect(json.statusCode, json.body).toBe(200);
  expect(geojson.statusCode, geojson.body).toBe(200);
  return { view, report: json.json(), jsonText: json.body, geojsonText: geojson.body, geojson: geojson.json() };
}

describe('item 5: the overlap check does not disclose parcels outside the reader’s jurisdiction', () => {
  let victims: { uploadId: string; parcelIds: string[]; geometries: Polygon[] };
  const SECRET = ['VICTIM-A', 'VICTIM-B', 'victim-parcels.geojson', '某某矿业有限公司'];

  beforeAll(async () => {
    // 361123's township files two parcels (its applicant, numbers and file name are what must not leak).
    const [a, b] = [mining[0]!, mining[1]!];
    const t = await createTestUser(pool, 'township', a.township);
    const up = await uploadChecked(
      t,
      [
        { geometry: a.geometry as Polygon, properties: { DKBH: 'VICTIM-A', SQDW: '某某矿业有限公司' } },
        { geometry: b.geometry as Polygon, properties: { DKBH: 'VICTIM-B', SQDW: '某某矿业有限公司' } },
      ],
      { county: COUNTY, township: a.township },
      'victim-parcels.geojson',
    );
    const ids = (await pool.query('SELECT id FROM candidate.parcel WHERE upload_id = $1', [up.view.id])).rows.map((r) => r.id as string);
    victims = { uploadId: up.view.id, parcelIds: ids, geometries: [a.geometry as Polygon, b.geometry as Polygon] };
    // The neighbouring county has its own survey imported (recorded here only: its layers are empty).
    await pool.query(
      `INSERT INTO public.import_job (layer, county_code, survey_year, source_name, content_sha256, state, finished_at)
       VALUES ('dltb', $1, 2019, 'candidates-security-test', repeat('b', 64), 'succeeded', now())`,
      [NEIGHBOUR],
    );
  });

  const expectNothingOf = (text: string) => {
    for (const s of [...SECRET, victims.uploadId, ...victims.parcelIds]) expect(text.includes(s), `report discloses ${s}`).toBe(false);
  };

  it('a neighbouring county’s box over them: overlap flagged with its area; no ids, numbers, file, applicant or geometry, in JSON or GeoJSON', async () => {
    const box = boxAround([victims.geometries[0]!], 20);
    const { report, jsonText, geojsonText, geojson } = await uploadChecked(u.neighbour, [{ geometry: box, properties: { DKBH: 'BOX-1' } }], { county: NEIGHBOUR }, 'box.geojson');
    const o = checkOf(report, 'BOX-1', 'overlap');
    expect(o.status).toBe('fail');
    expect(o.figures.others).toEqual([]);
    expect(o.figures.outsideJurisdiction.area.m2).toBeGreaterThan(100);
    expect(o.message).toMatch(/管辖范围外/);
    expect(o.problems).toBeNull();
    expectNothingOf(jsonText);
    expectNothingOf(geojsonText);
    const overlapFeatures = geojson.features.filter((f: { properties: { check?: string } }) => f.properties.check === 'overlap');
    expect(overlapFeatures).toEqual([]);
    // The parcel's own report too.
    const one = await get(u.neighbour, `/api/v1/candidate-parcels/${report.parcels[0].parcelId}/report?format=geojson`);
    expect(one.statusCode).toBe(200);
    expectNothingOf(one.body);
  });

  it('another township of the same county: the same; the county itself still sees whose parcel it is', async () => {
    const other = [...farmland, ...mining].map((p) => p.township).find((t) => t !== mining[0]!.township) ?? `${COUNTY}999`;
    const t2 = await createTestUser(pool, 'township', other);
    const cover = translate(victims.geometries[1]!, 3, 3);
    const mine = await uploadChecked(t2, [{ geometry: cover, properties: { DKBH: 'T2-OVER' } }], { county: COUNTY, township: other }, 't2.geojson');
    const o = checkOf(mine.report, 'T2-OVER', 'overlap');
    expect(o.status).toBe('fail');
    expect(o.figures.others).toEqual([]);
    expect(o.figures.outsideJurisdiction.area.m2).toBeGreaterThan(100);
    expectNothingOf(mine.jsonText);
    expectNothingOf(mine.geojsonText);

    // Control: a county-level upload of the county's own bureau names the parcel and draws the overlap.
    const county = await uploadChecked(u.forestry, [{ geometry: translate(victims.geometries[1]!, -3, -3), properties: { DKBH: 'CTY-OVER' } }], { county: COUNTY }, 'county.geojson');
    const c = checkOf(county.report, 'CTY-OVER', 'overlap');
    expect(c.status).toBe('fail');
    expect(c.figures.others.map((x: { parcelNo: string }) => x.parcelNo)).toContain('VICTIM-B');
    expect(c.problems!.features.length).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------- item 16

describe('item 16: duplicate detection stays within the uploader’s scope', () => {
  it('township B uploading township A’s very file gets its own upload (201), and nothing of A’s', async () => {
    const m = mining[2]!;
    const townshipA = m.township;
    const townshipB = [...farmland, ...mining].map((p) => p.township).find((t) => t !== townshipA) ?? `${COUNTY}998`;
    const a = await createTestUser(pool, 'township', townshipA);
    const b = await createTestUser(pool, 'township', townshipB);
    const file = writeGeoJson(tempDir(), 'same-bytes.geojson', [{ geometry: m.geometry, properties: { DKBH: 'SAME-1', SQDW: 'A乡申请单位' } }], { epsg: GK39 });
    const send = (user: TestUser, fields: Record<string, string>) => {
      const body = multipart(fields, { path: file });
      return injectAs(app, user, { method: 'POST', url: '/api/v1/candidate-uploads', ...body });
    };
    const first = await send(a, { county: COUNTY });
    expect(first.statusCode, first.body).toBe(201);
    const aId = first.json().id as string;

    const second = await send(b, { county: COUNTY });
    expect(second.statusCode, second.body).toBe(201);
    const bView = second.json();
    expect(bView).toMatchObject({ duplicate: false, townshipCode: townshipB, parcelCount: 1 });
    expect(bView.id).not.toBe(aId);
    expect(second.body.includes(aId)).toBe(false);
    // B's own check summary, and its overlap with A's parcel reported without naming it.
    const bReport = (await get(b, `/api/v1/candidate-uploads/${bView.id}/report`));
    expect(bReport.body.includes(aId)).toBe(false);
    expect(checkOf(bReport.json(), 'SAME-1', 'overlap').figures.others).toEqual([]);
    expect((await get(b, `/api/v1/candidate-uploads/${aId}`)).statusCode).toBe(404);

    // Within one scope the same file is still the same upload.
    const again = await send(a, { county: COUNTY });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ id: aId, duplicate: true });
    const againB = await send(b, { county: COUNTY });
    expect(againB.json()).toMatchObject({ id: bView.id, duplicate: true });
    // A county-level upload of the same bytes is the county's own, too.
    const county = await send(u.forestry, { county: COUNTY });
    expect(county.statusCode, county.body).toBe(201);
    expect(county.json().townshipCode).toBeNull();
    expect((await pool.query('SELECT count(*)::int AS n FROM candidate.upload WHERE content_sha256 = $1', [bView.source.sha256])).rows[0].n).toBe(3);
  });
});
