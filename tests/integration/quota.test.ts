/**
 * Quota: the 500 亩 rule on provincial-reserve parcels (seeded in SQL with chosen areas of record),
 * the provincial pool's priority, draws (also 20 at once against one balance), deductions after the
 * annual re-inspection, idle uses, lapse at the end of the pilot period, and the ledgers as JSON,
 * CSV and XLSX with Chinese headers.
 *
 * Areas of record are multiples of 0.01 m² = 0.000015 亩, so 499.99, 500 and 1 730 亩 themselves are
 * not areas any parcel set can have; the rule is tested here at the nearest areas of record on either
 * side (333 333.33 m² = 499.999995 亩, 333 333.34 m² = 500.00001 亩) and at 0 and 500.01 亩
 * (333 340 m², exact); tests/unit/quota proves it at exactly 0, 499.99, 500, 500.01 and 1 730 亩.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestUser, type TestUser } from '../helpers/auth.js';
import { serviceDatabaseUrl, testPool } from '../helpers/db.js';
import { recordNationalAllocation, seedReserve, resetSeeded, tableSnapshot } from '../helpers/procedure.js';
import { expectProblem, injectAs, ok, requestsTo } from '../helpers/http.js';

const pool = testPool(8);
let app: App;
const u = {} as Record<string, TestUser>;

/** County → its 2022 provincial reserve (m² of record per parcel) and what the rule must give (亩, exact). */
const CASES = {
  '361123': { parcels: [] as string[], county: '0.000000', pool: '0.000000', label: '0 亩' },
  '361102': { parcels: ['333326.67'], county: '499.990005', pool: '0.000000', label: '499.99 亩（333 326.67 m²）' },
  '361125': { parcels: ['200000.00', '133333.33'], county: '499.999995', pool: '0.000000', label: 'just below 500 亩 (499.999995)' },
  '361127': { parcels: ['333333.34'], county: '500.000000', pool: '0.000010', label: 'just above 500 亩 (500.00001)' },
  '361128': { parcels: ['333340.00'], county: '500.000000', pool: '0.010000', label: '500.01 亩 exactly' },
  '360111': { parcels: ['400000.00', '400000.00', '353333.33'], county: '500.000000', pool: '1229.999995', label: '1 730 亩（1 153 333.33 m²）' },
  '361124': { parcels: ['6666.67', '13333.33'], county: '30.000000', pool: '0.000000', label: '30 亩 (for deductions)' },
} as const;
type County = keyof typeof CASES;
const seeded = {} as Record<County, string[]>;

const clean = () => resetSeeded(pool);

beforeAll(async () => {
  await clean();
  app = await buildTestApp();
  u.admin = await createTestUser(pool, 'province-admin', '36');
  u.reviewer = await createTestUser(pool, 'province-reviewer', '36');
  u.city = await createTestUser(pool, 'city', '361100');
  for (const c of Object.keys(CASES) as County[]) {
    u[c] = await createTestUser(pool, 'county-forestry', c);
    seeded[c] = await seedReserve(pool, c, 2022, [...CASES[c].parcels]);
  }
  u.government = await createTestUser(pool, 'county-government', '361124');
});
afterAll(async () => {
  await app?.close();
  await clean();
  await pool.end();
});

const { get, post } = requestsTo(() => app);
const quotaOf = async (county: string) => ok(await get(u[county]!, `/api/v1/counties/${county}/quota`));
interface Amount {
  muExact: string;
}
/** The fields of a county's quota year (GET /counties/:c/quota) that these tests read. */
interface QuotaYear {
  quotaYear: number;
  validUntil: string;
  county: { issued: Amount; balance: Amount; allocatedIn: Amount; drawn: Amount; deducted: Amount; lapsed: Amount };
  pool: { pooled: Amount; balance: Amount };
}
const yearOf = (q: { years: QuotaYear[] }, y: number) => q.years.find((x) => x.quotaYear === y)!;

describe('issuance by the 500 亩 rule', () => {
  it('is for the province administrator only, and only for quota years inside the pilot period', async () => {
    expectProblem(await post(u['361123']!, '/api/v1/quota/issuances', { reserveYear: 2022, issuedOn: '2023-03-01' }), 403, 'role-not-permitted');
    expectProblem(await post(u.reviewer!, '/api/v1/quota/issuances', { reserveYear: 2022, issuedOn: '2023-03-01' }), 403, 'role-not-permitted');
    expectProblem(await post(u.admin!, '/api/v1/quota/issuances', { reserveYear: 2024, issuedOn: '2024-03-01' }), 422, 'quota-year-outside-pilot');
  });

  it('国家下达新增林地定额后: refused without the national allocation it follows, which the province records (number and date)', async () => {
    const before = await tableSnapshot(pool);
    const refused = expectProblem(await post(u.admin!, '/api/v1/quota/issuances', { reserveYear: 2022, issuedOn: '2023-03-01' }), 422, 'national-allocation-missing');
    expect(refused.detail).toContain('国家下达新增林地定额后');
    expect(await tableSnapshot(pool)).toEqual(before);
    // Only the province administrator records it; its date is a real date not in the future; one document once.
    const body = { quotaYear: 2023, documentNo: '林资发〔2023〕12号', documentDate: '2023-02-20', area: { unit: 'hectare', value: 14667 } };
    expectProblem(await post(u.reviewer!, '/api/v1/quota/national-allocations', body), 403, 'role-not-permitted');
    expectProblem(await post(u['361123']!, '/api/v1/quota/national-allocations', body), 403, 'role-not-permitted');
    expectProblem(await post(u.admin!, '/api/v1/quota/national-allocations', { ...body, documentDate: '2099-01-01' }), 422, 'date-in-future');
    const na = await ok(await post(u.admin!, '/api/v1/quota/national-allocations', body), 201);
    expect(na).toMatchObject({ quotaYear: 2023, documentNo: '林资发〔2023〕12号', documentDate: '2023-02-20', issuer: '国家林业和草原局', area: { mu: 220005 } });
    expectProblem(await post(u.admin!, '/api/v1/quota/national-allocations', body), 409, 'national-allocation-exists');
    // An issuance dated before the document does not follow it.
    expectProblem(await post(u.admin!, '/api/v1/quota/issuances', { reserveYear: 2022, issuedOn: '2023-02-19' }), 422, 'national-allocation-missing');
    expectProblem(await post(u.admin!, '/api/v1/quota/issuances', { reserveYear: 2022, issuedOn: '2023-02-19', nationalAllocationId: na.id }), 422, 'national-allocation-missing');
    // Counties read it; a township does not.
    expect((await ok(await get(u['361123']!, '/api/v1/quota/national-allocations?quotaYear=2023'))).items.map((x: { id: string }) => x.id)).toEqual([na.id]);
  });

  it('gives each county exactly what the rule says, at 0, 499.99, either side of 500, 500.01 and 1 730 亩', async () => {
    const zero = await ok(await post(u.admin!, '/api/v1/quota/issuances', { reserveYear: 2022, county: '361123', issuedOn: '2023-03-01' }));
    expect(zero.items).toEqual([]); // no reserve, nothing issued
    const res = await ok(await post(u.admin!, '/api/v1/quota/issuances', { reserveYear: 2022, issuedOn: '2023-03-01' }), 201);
    const by = Object.fromEntries(res.items.map((i: { countyCode: string }) => [i.countyCode, i]));
    // Each issuance records the national allocation it follows.
    for (const i of res.items) expect(i.nationalAllocation).toMatchObject({ documentNo: '林资发〔2023〕12号', documentDate: '2023-02-20' });
    expect(res.items[0].rule.nationalAllocation).toEqual({ documentNo: '林资发〔2023〕12号', documentDate: '2023-02-20' });
    for (const [county, c] of Object.entries(CASES)) {
      const i = by[county];
      if (c.parcels.length === 0) {
        expect(i, county).toBeUndefined();
        expect((await quotaOf(county)).balance.muExact).toBe('0.000000');
        continue;
      }
      expect({ county, toCounty: i.toCounty.muExact, toPool: i.toPool.muExact }, c.label).toEqual({ county, toCounty: c.county, toPool: c.pool });
      expect(i).toMatchObject({ reserveYear: 2022, quotaYear: 2023, batch: 1, parcels: c.parcels.length });
      const q = await quotaOf(county);
      const y = yearOf(q, 2023);
      expect(y.county.issued.muExact).toBe(c.county);
      expect(y.pool.pooled.muExact).toBe(c.pool);
      expect(y.county.balance.muExact).toBe(c.county);
      expect(y.validUntil).toBe('2024-12-31');
    }
    // Both units shown, each rounded from the exact value: 1 229.999995 亩 → 1230.0000 亩, 81.9999997 公顷 → 82.0000.
    expect(by['360111'].toPool).toEqual({ m2: 820000, mu: 1230, hectare: 82, muExact: '1229.999995' });
    expect(by['361127'].rule).toMatchObject({ thresholdMicroMu: '500000000', cumulativeReserveMicroMu: '500000010', text: expect.stringContaining('不小于500亩') });
    expect(by['361125'].rule.text).toContain('小于500亩，全部下达');
  });

  it('applies the rule to the cumulative reserve when more parcels of the year arrive later', async () => {
    // 361102 had 499.990005 亩; 0.02 亩 more (13.34 m² = 0.02001 亩) crosses 500: the county gets 0.009995, the pool 0.010015.
    const more = await seedReserve(pool, '361102', 2022, ['13.34']);
    const res = await ok(await post(u.admin!, '/api/v1/quota/issuances', { reserveYear: 2022, county: '361102', issuedOn: '2023-04-01' }), 201);
    expect(res.items[0]).toMatchObject({ batch: 2, parcels: 1, toCounty: { muExact: '0.009995' }, toPool: { muExact: '0.010015' } });
    const y = yearOf(await quotaOf('361102'), 2023);
    expect(y.county.issued.muExact).toBe('500.000000');
    expect(y.pool.pooled.muExact).toBe('0.010015');
    const detail = await ok(await get(u['361102']!, `/api/v1/quota/issuances/${res.items[0].id}`));
    expect(detail.parcelItems.map((p: { parcelId: string }) => p.parcelId)).toEqual(more);
    expect(detail.parcelItems[0].areaM2OfRecord).toBe('13.34');
  });
});

describe('the provincial pool: priority to the origin county, then its city', () => {
  it('serves 360111’s own request first, then same-city pools for Shangrao counties, then the rest of the province', async () => {
    // Pools for 2023: 360111 1229.999995, 361102 0.010015, 361127 0.00001, 361128 0.01. Requests in this order: 361123, 360111, 361102.
    expectProblem(await post(u['361123']!, '/api/v1/quota/pool/requests', { county: '361102', quotaYear: 2023, area: { unit: 'mu', value: 1 }, purpose: 'x' }), 403, 'out-of-jurisdiction');
    const r1 = await ok(await post(u['361123']!, '/api/v1/quota/pool/requests', { county: '361123', quotaYear: 2023, area: { unit: 'mu', value: 100 }, purpose: '玉山县重点项目' }), 201);
    const r2 = await ok(await post(u['360111']!, '/api/v1/quota/pool/requests', { county: '360111', quotaYear: 2023, area: { unit: 'mu', value: 1000 }, purpose: '青山湖区项目' }), 201);
    const r3 = await ok(await post(u['361102']!, '/api/v1/quota/pool/requests', { county: '361102', quotaYear: 2023, area: { unit: 'mu', value: '0.005' }, purpose: '信州区项目' }), 201);
    expectProblem(await post(u.reviewer!, '/api/v1/quota/pool/allocations', { quotaYear: 2023 }), 403, 'role-not-permitted');
    const round = await ok(await post(u.admin!, '/api/v1/quota/pool/allocations', { quotaYear: 2023 }), 201);
    const got = round.allocations.map((a: { requestId: string; origin: string; tier: string; amount: Amount }) => [a.requestId, a.origin, a.tier, a.amount.muExact]);
    // 361102's own (later) request is served from its own pool before 361123 gets the rest of it.
    expect(got).toEqual([
      [r2.id, '360111', 'same-county', '1000.000000'],
      [r3.id, '361102', 'same-county', '0.005000'],
      [r1.id, '361102', 'same-city', '0.005015'],
      [r1.id, '361127', 'same-city', '0.000010'],
      [r1.id, '361128', 'same-city', '0.010000'],
      [r1.id, '360111', 'province', '99.984975'],
    ]);
    expect(yearOf(await quotaOf('361123'), 2023).county.allocatedIn.muExact).toBe('100.000000');
    expect(yearOf(await quotaOf('360111'), 2023).pool.balance.muExact).toBe('130.015020');
    const pool = await ok(await get(u.admin!, '/api/v1/quota/pool?quotaYear=2023'));
    expect(pool.requests.every((r: { outstanding: Amount }) => r.outstanding.muExact === '0.000000')).toBe(true);
    // A second round has nothing left to do.
    expect((await ok(await post(u.admin!, '/api/v1/quota/pool/allocations', { quotaYear: 2023 }), 201)).allocations).toEqual([]);
  });
});

describe('draws against a balance', () => {
  it('refuses a draw above the balance, a repeated approval number, a future quota year, and a county outside the user’s jurisdiction', async () => {
    const c = u['361125']!;
    const url = '/api/v1/counties/361125/quota/draws';
    const big = expectProblem(await post(c, url, { projectName: '某高速公路', approvalNo: '赣林地审〔2023〕1号', approvedOn: '2023-05-01', area: { unit: 'hectare', value: 40 } }), 409, 'quota-insufficient');
    expect(big.balance.muExact).toBe('499.999995');
    expect(big.requested.muExact).toBe('600.000000');
    const d = await ok(await post(c, url, { projectName: '某高速公路', approvalNo: '赣林地审〔2023〕1号', approvedOn: '2023-05-01', area: { unit: 'm2', value: 6666.67 } }), 201);
    expect(d).toMatchObject({ quotaYear: 2023, area: { muExact: '10.000005' }, balanceAfter: { muExact: '489.999990' } });
    expectProblem(await post(c, url, { projectName: '又一项目', approvalNo: '赣林地审〔2023〕1号', approvedOn: '2023-05-02', area: { unit: 'mu', value: 1 } }), 409, 'approval-no-exists');
    expectProblem(await post(c, url, { projectName: 'x', approvalNo: 'y', approvedOn: '2023-05-02', quotaYear: 2024, area: { unit: 'mu', value: 1 } }), 422, 'quota-not-yet-valid');
    expectProblem(await post(c, url, { projectName: 'x', approvalNo: 'y', approvedOn: '2023-05-02', area: { unit: 'm2', value: 1.005 } }), 422, 'area-invalid');
    expectProblem(await post(u['361123']!, url, { projectName: 'x', approvalNo: 'z', approvedOn: '2023-05-02', area: { unit: 'mu', value: 1 } }), 403, 'out-of-jurisdiction');
    expectProblem(await post(u.government!, '/api/v1/counties/361124/quota/draws', { projectName: 'x', approvalNo: 'z', approvedOn: '2023-05-02', area: { unit: 'mu', value: 1 } }), 403, 'role-not-permitted');
  });

  it('20 draws at the same moment against one balance: exactly as many succeed as the balance allows, nothing overdrawn', async () => {
    // 361128 has exactly 500 亩 for 2023; 20 parallel draws of 30 亩: 16 fit (480 亩), 4 must be refused.
    const url = '/api/v1/counties/361128/quota/draws';
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(u['361128']!, url, { projectName: `并发项目${i + 1}`, approvalNo: `赣林地审〔2023〕${100 + i}号`, approvedOn: '2023-07-01', area: { unit: 'mu', value: 30 } }),
      ),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(16);
    expect(codes.filter((c) => c === 409)).toHaveLength(4);
    for (const r of results.filter((x) => x.statusCode === 409)) expect(r.json().code).toBe('quota-insufficient');
    const y = yearOf(await quotaOf('361128'), 2023);
    expect(y.county.drawn.muExact).toBe('480.000000');
    expect(y.county.balance.muExact).toBe('20.000000');
    const { rows } = await pool.query(`SELECT count(*)::int AS n, sum(amount_umu)::text AS s FROM quota.entry WHERE county_code = '361128' AND kind = 'drawn'`);
    expect(rows[0]).toEqual({ n: 16, s: '-480000000' });
    // The balances the successful draws reported are all different: they were served one at a time.
    const after = results.filter((r) => r.statusCode === 201).map((r) => r.json().balanceAfter.muExact).sort();
    expect(new Set(after).size).toBe(16);
  });

  it('flags approved uses idle for more than two years, until construction starts', async () => {
    const d = await ok(await post(u['361127']!, '/api/v1/counties/361127/quota/draws', { projectName: '某工业园', approvalNo: '赣林地审〔2023〕9号', approvedOn: '2023-01-05', area: { unit: 'mu', value: 5 } }), 201);
    const idle = async (asOf: string) => (await ok(await get(u['361127']!, `/api/v1/quota/idle-uses?county=361127&asOf=${asOf}`))).items.map((i: { id: string }) => i.id);
    expect(await idle('2025-01-05')).toEqual([]);
    expect(await idle('2025-01-06')).toEqual([d.id]);
    await ok(await post(u['361127']!, `/api/v1/quota/draws/${d.id}/use`, { useStartedOn: '2024-06-01' }));
    expect(await idle('2025-06-01')).toEqual([]);
  });
});

describe('annual re-inspection: 对管护不到位、林分质量下降，甚至退化、灭失的，扣减当年度使用林地指标', () => {
  const inspect = (who: TestUser, body: object) => post(who, '/api/v1/quota/inspections', body);
  it('省、市将集中组织核查考评: the city and the province inspect, not the county on itself; each outcome states what it needs', async () => {
    const [a] = seeded['361124'];
    expectProblem(await inspect(u['361124']!, { parcelId: a, year: 2023, inspectedOn: '2023-11-01', outcome: 'degraded', findings: 'x', rectifyBy: '2024-06-30' }), 403, 'role-not-permitted');
    expectProblem(await inspect(u.city!, { parcelId: a, year: 2023, inspectedOn: '2023-11-01', outcome: 'inadequate-care', rectifyBy: '2024-06-30' }), 422, 'findings-required');
    // The outcomes that leave the parcel in the reserve come with a rectification deadline; 灭失 has none and no partial area.
    expectProblem(await inspect(u.city!, { parcelId: a, year: 2023, inspectedOn: '2023-11-01', outcome: 'quality-declined', findings: '郁闭度下降' }), 422, 'rectify-by-required');
    expectProblem(await inspect(u.city!, { parcelId: a, year: 2023, inspectedOn: '2023-11-01', outcome: 'quality-declined', findings: 'x', rectifyBy: '2023-10-01' }), 422, 'rectify-by-invalid');
    expectProblem(await inspect(u.city!, { parcelId: a, year: 2023, inspectedOn: '2023-11-01', outcome: 'lost', findings: 'x', rectifyBy: '2024-06-30' }), 422, 'rectify-by-not-applicable');
    expectProblem(await inspect(u.city!, { parcelId: a, year: 2023, inspectedOn: '2023-11-01', outcome: 'lost', findings: 'x', affectedArea: { unit: 'mu', value: 1 } }), 422, 'affected-area-not-applicable');
    expectProblem(
      await inspect(u.city!, { parcelId: a, year: 2023, inspectedOn: '2023-11-01', outcome: 'degraded', findings: 'x', rectifyBy: '2024-06-30', affectedArea: { unit: 'mu', value: 11 } }),
      422,
      'affected-area-too-large',
    );
    expect(await pool.query(`SELECT 1 FROM quota.inspection WHERE parcel_id = $1`, [a]).then((r) => r.rowCount)).toBe(0);
  });

  it('管护不到位 deducts the affected area and keeps the parcel (with a deadline); 灭失 deducts the whole parcel and removes it', async () => {
    const [a, b] = seeded['361124'];
    const d1 = await ok(
      await inspect(u.city!, { parcelId: a, year: 2023, inspectedOn: '2023-11-01', outcome: 'inadequate-care', findings: '未及时抚育，部分死株未补植', rectifyBy: '2024-03-31', affectedArea: { unit: 'mu', value: 4 } }),
      201,
    );
    expect(d1).toMatchObject({ outcome: 'inadequate-care', outcomeLabel: '管护不到位', rectifyBy: '2024-03-31', affected: { muExact: '4.000000' }, loss: { muExact: '4.000000' } });
    expect(d1).toMatchObject({ deducted: { muExact: '4.000000' }, debt: { muExact: '0.000000' }, balanceAfter: { muExact: '26.000000' }, overdrawn: false });
    expect(d1.effect).toContain('限期整改');
    expectProblem(await inspect(u.city!, { parcelId: a, year: 2023, inspectedOn: '2023-11-02', outcome: 'intact' }), 409, 'inspection-exists');
    expect((await ok(await get(u['361124']!, `/api/v1/procedures/${a}`))).state).toBe('provincial-reserve');
    const d2 = await ok(await inspect(u.city!, { parcelId: b, year: 2023, inspectedOn: '2023-11-02', outcome: 'lost', findings: '被开挖，林木灭失' }), 201);
    expect(d2).toMatchObject({ outcomeLabel: '灭失', rectifyBy: null, deducted: { muExact: '19.999995' }, balanceAfter: { muExact: '6.000005' } });
    const lost = await ok(await get(u['361124']!, `/api/v1/procedures/${b}`));
    expect(lost).toMatchObject({ state: 'removed', endReason: '2023年度核查灭失：被开挖，林木灭失' });
    expectProblem(await inspect(u.city!, { parcelId: b, year: 2024, inspectedOn: '2024-11-01', outcome: 'intact' }), 409, 'not-in-reserve');
    const y = yearOf(await quotaOf('361124'), 2023);
    expect(y.county.deducted.muExact).toBe('23.999995');
    expect(y.county.balance.muExact).toBe('6.000005');
  });

  it('a parcel’s loss is deducted once: the same finding next year deducts nothing more', async () => {
    const [a] = seeded['361124'];
    const again = await ok(
      await inspect(u.reviewer!, { parcelId: a, year: 2024, inspectedOn: '2024-11-01', outcome: 'inadequate-care', findings: '仍未整改', rectifyBy: '2025-03-31', affectedArea: { unit: 'mu', value: 4 } }),
      201,
    );
    expect(again).toMatchObject({ affected: { muExact: '4.000000' }, loss: { muExact: '0.000000' }, deducted: { muExact: '0.000000' }, debt: { muExact: '0.000000' } });
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM quota.entry WHERE inspection_id IN (SELECT id FROM quota.inspection WHERE parcel_id = $1)`, [a]);
    expect(rows[0].n).toBe(1); // the 2023 deduction only
  });

  it('a deduction larger than the year’s balance is a debt against the next issuance, never a negative balance', async () => {
    // A 2023-reserve parcel of 361124 (19.999995 亩), not yet issued; 361124 has no 2024 quota.
    const [c] = await seedReserve(pool, '361124', 2023, ['13333.33']);
    const d = await ok(
      await inspect(u.reviewer!, { parcelId: c, year: 2024, inspectedOn: '2024-10-01', outcome: 'quality-declined', findings: '林分郁闭度明显下降', rectifyBy: '2025-06-30', affectedArea: { unit: 'mu', value: 15 } }),
      201,
    );
    expect(d).toMatchObject({ loss: { muExact: '15.000000' }, deducted: { muExact: '0.000000' }, debt: { muExact: '15.000000' }, balanceAfter: { muExact: '0.000000' }, overdrawn: false });
    expect((await quotaOf('361124')).debt.muExact).toBe('15.000000');
    const { rows } = await pool.query(`SELECT balance_umu::text AS b FROM quota.balance WHERE county_code = '361124' AND account = 'county' AND quota_year = 2024`);
    expect(rows.every((r) => BigInt(r.b) >= 0n)).toBe(true);
    // The balance row refuses any entry that would take it below zero, whoever writes it.
    await expect(
      pool.query(`INSERT INTO quota.entry (county_code, account, quota_year, kind, amount_umu, inspection_id, actor_login)
                  SELECT '361124', 'county', 2023, 'deducted', -100000000, id, 'x' FROM quota.inspection WHERE parcel_id = $1`, [c]),
    ).rejects.toMatchObject({ code: 'ZQ001' });
    // The next issuance to 361124 (its 2023 reserve → 2024 quota) settles the debt first.
    await recordNationalAllocation(app, u.admin!, 2024, '2024-02-10');
    const res = await ok(await post(u.admin!, '/api/v1/quota/issuances', { reserveYear: 2023, county: '361124', issuedOn: '2024-03-01' }), 201);
    expect(res.items[0]).toMatchObject({ toCounty: { muExact: '19.999995' }, debtSettled: { muExact: '15.000000' } });
    const q = await quotaOf('361124');
    expect(q.debt.muExact).toBe('0.000000');
    expect(yearOf(q, 2024).county).toMatchObject({ issued: { muExact: '19.999995' }, deducted: { muExact: '15.000000' }, balance: { muExact: '4.999995' } });
    // Traceable: the ledger entries name the parcels and say which deduction was settled from an issuance.
    const ledger = await ok(await get(u['361124']!, '/api/v1/counties/361124/ledger'));
    const deductions = ledger.entries.filter((e: { kind: string }) => e.kind === 'deducted').map((e: { reference: string }) => e.reference);
    expect(deductions).toEqual([
      expect.stringMatching(/^2023年度核查：地块S361124-\d+管护不到位$/),
      expect.stringMatching(/^2023年度核查：地块S361124-\d+灭失$/),
      expect.stringMatching(/^2024年度核查：地块S361124-\d+林分质量下降（欠扣，由下达抵扣）$/),
    ]);
    const list = await ok(await get(u.city!, '/api/v1/quota/inspections?county=361124'));
    expect(list.items.map((i: { outcomeLabel: string; debt: Amount }) => [i.outcomeLabel, i.debt.muExact])).toEqual(
      expect.arrayContaining([['林分质量下降', '15.000000'], ['灭失', '0.000000']]),
    );
  });
});

describe('ledgers and reports', () => {
  it('the county ledger reproduces the rule line by line, as JSON, CSV (BOM) and XLSX with Chinese headers', async () => {
    const l = await ok(await get(u['360111']!, '/api/v1/counties/360111/ledger'));
    expect(l.lines).toHaveLength(1);
    expect(l.lines[0]).toMatchObject({
      reserveYear: 2022,
      quotaYear: 2023,
      reserveParcels: 3,
      countyReserve: { muExact: '1729.999995' },
      issuedBasis: { muExact: '1729.999995' },
      issued: { muExact: '500.000000' },
      pooled: { muExact: '1229.999995' },
      allocatedOut: { muExact: '1099.984975' },
      allocatedIn: { muExact: '1000.000000' }, // its own pooled quota, requested back
      balance: { muExact: '1500.000000' },
      poolBalance: { muExact: '130.015020' },
    });
    expect(l.rounding).toMatch(/微亩/);
    expect(l.entries.map((e: { kindLabel: string }) => e.kindLabel)).toEqual(expect.arrayContaining(['下达县级定额', '纳入省级统筹', '省级统筹调出']));
    expect(l.parcels).toHaveLength(3);
    const csv = await get(u['360111']!, '/api/v1/counties/360111/ledger?format=csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/filename\*=UTF-8''360111_/);
    expect(csv.body.charCodeAt(0)).toBe(0xfeff);
    const [header, row] = csv.body.slice(1).split('\r\n');
    expect(header).toContain('储备年度,定额年度');
    expect(header).toContain('下达县级定额（亩）,下达县级定额（公顷）');
    expect(row).toContain('360111,2022,2023,3,1730,115.3333');
    const xlsx = await injectAs(app, u['360111']!, { method: 'GET', url: '/api/v1/counties/360111/ledger?format=xlsx' });
    expect(xlsx.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['台账', '明细', '地块']);
    const ws = wb.getWorksheet('台账')!;
    const headers = (ws.getRow(1).values as unknown[]).slice(1);
    expect(headers).toContain('纳入省级统筹（亩）');
    expect(headers).toContain('县级结余（公顷）');
    const col = headers.indexOf('纳入省级统筹（亩）') + 1;
    expect(ws.getRow(2).getCell(col).value).toBe(1230);
    expect(ws.getRow(3).getCell(2).value).toBe('合计');
  });

  it('the provincial summary adds up the counties exactly, with city subtotals; a city sees only its counties', async () => {
    const s = await ok(await get(u.admin!, '/api/v1/ledger/province?quotaYear=2023'));
    const counties = s.counties.map((c: { countyCode: string }) => c.countyCode);
    expect(counties).toEqual(expect.arrayContaining(['360111', '361102', '361124', '361125', '361127', '361128']));
    type Years = { reserveYear: number | null; quotaYear: number | null };
    const years = (x: { counties: Years[]; cities: Years[]; total: Years }) => new Set([...x.counties, ...x.cities, x.total].map((l) => `${l.reserveYear}/${l.quotaYear}`));
    expect(years(s)).toEqual(new Set(['2022/2023']));
    // Without quotaYear the summary is over every year: no year on any line (was quotaYear 0, reserveYear -1).
    const all = await ok(await get(u.admin!, '/api/v1/ledger/province'));
    expect(all.quotaYear).toBeNull();
    expect(years(all)).toEqual(new Set(['null/null']));
    const allXlsx = await injectAs(app, u.admin!, { method: 'GET', url: '/api/v1/ledger/province?format=xlsx' });
    const allWb = new ExcelJS.Workbook();
    await allWb.xlsx.load(allXlsx.rawPayload as unknown as ArrayBuffer);
    expect(allWb.getWorksheet('汇总')!.getRow(2).getCell(3).value).toBe('全部');
    // A county ledger's total is likewise of every year.
    const ledger = await ok(await get(u.admin!, '/api/v1/counties/361124/ledger'));
    expect(ledger.total).toMatchObject({ reserveYear: null, quotaYear: null });
    expect(ledger.lines.every((l: Years) => l.quotaYear !== null && l.reserveYear === l.quotaYear - 1)).toBe(true);
    const sum = (k: string) => s.counties.reduce((t: bigint, c: Record<string, Amount>) => t + BigInt(c[k]!.muExact.replace('.', '')), 0n);
    expect(BigInt(s.total.issued.muExact.replace('.', ''))).toBe(sum('issued'));
    expect(BigInt(s.total.pooled.muExact.replace('.', ''))).toBe(sum('pooled'));
    expect(s.total.allocatedIn.muExact).toBe(s.total.allocatedOut.muExact); // the pool only moves quota
    expect(s.cities.map((c: { cityCode: string }) => c.cityCode)).toEqual(['360100', '361100']);
    const city = await ok(await get(u.city!, '/api/v1/ledger/province?quotaYear=2023'));
    expect(city.counties.every((c: { countyCode: string }) => c.countyCode.startsWith('3611'))).toBe(true);
    const xlsx = await injectAs(app, u.admin!, { method: 'GET', url: '/api/v1/ledger/province?quotaYear=2023&format=xlsx' });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('汇总')!;
    expect((ws.getRow(1).values as unknown[]).slice(1, 4)).toEqual(['设区市代码', '县级代码', '定额年度']);
    expect(ws.getRow(ws.rowCount).getCell(2).value).toBe('合计');
  });

  it('the annual summary (due early January) and forest-land stock per county', async () => {
    const a = await ok(await get(u['361124']!, '/api/v1/counties/361124/annual-summary/2023'));
    expect(a).toMatchObject({ dueOn: '2024-01-10', submission: null, inspections: { total: 2, inadequateCare: 1, degraded: 0, lost: 1, deducted: { muExact: '23.999995' } } });
    expectProblem(await post(u.government!, '/api/v1/counties/361124/annual-summary/2023/submit', { submittedOn: '2024-01-08' }), 403, 'role-not-permitted');
    const s = await ok(await post(u['361124']!, '/api/v1/counties/361124/annual-summary/2023/submit', { submittedOn: '2024-01-12' }), 201);
    expect(s).toMatchObject({ late: true, dueOn: '2024-01-10' });
    expectProblem(await post(u['361124']!, '/api/v1/counties/361124/annual-summary/2023/submit', { submittedOn: '2024-01-12' }), 409, 'summary-submitted');
    const csv = await get(u['361124']!, '/api/v1/counties/361124/annual-summary/2023?format=csv');
    expect(csv.body.split('\r\n')[0]).toBe('\uFEFF项目,数量,面积（亩）,面积（公顷）,说明');
    const stock = await ok(await get(u['361128']!, '/api/v1/counties/361128/forest-stock'));
    expect(stock.years).toEqual([
      expect.objectContaining({ year: 2022, addedByReserve: expect.objectContaining({ muExact: '500.010000' }), occupiedByProjects: expect.objectContaining({ muExact: '0.000000' }) }),
      expect.objectContaining({ year: 2023, occupiedByProjects: expect.objectContaining({ muExact: '480.000000' }), cumulativeNet: expect.objectContaining({ muExact: '20.010000' }), balanced: true }),
    ]);
    const lost = await ok(await get(u['361124']!, '/api/v1/counties/361124/forest-stock'));
    expect(lost.years.find((y: { year: number }) => y.year === 2023).removedFromReserve.muExact).toBe('19.999995');
  });
});

describe('lapse at the end of the pilot period (2022–2024)', () => {
  it('cannot run before the period ends (a pilot extended to 2030)', async () => {
    const config = { ...loadConfig({ DATABASE_URL: serviceDatabaseUrl() }) };
    const extended = await buildApp({ config, pilotPeriod: { startYear: 2022, endYear: 2030 } });
    try {
      expectProblem(await injectAs(extended, u.admin!, { method: 'POST', url: '/api/v1/quota/lapse' }), 422, 'pilot-not-ended');
    } finally {
      await extended.close();
    }
  });

  it('refuses draws dated after 2024, then voids every unused balance in the ledger; nothing can be drawn afterwards', async () => {
    expectProblem(
      await post(u['361127']!, '/api/v1/counties/361127/quota/draws', { projectName: 'x', approvalNo: '赣林地审〔2025〕1号', approvedOn: '2025-01-02', quotaYear: 2023, area: { unit: 'mu', value: 1 } }),
      422,
      'quota-lapsed',
    );
    const before = yearOf(await quotaOf('361127'), 2023);
    expectProblem(await post(u.reviewer!, '/api/v1/quota/lapse'), 403, 'role-not-permitted');
    const l = await ok(await post(u.admin!, '/api/v1/quota/lapse'), 201);
    expect(l.period).toEqual({ startYear: 2022, endYear: 2024 });
    const mine = l.lapsed.filter((x: { countyCode: string }) => x.countyCode === '361127');
    expect(mine.map((x: { account: string; amount: Amount }) => [x.account, x.amount.muExact])).toEqual([['county', before.county.balance.muExact]]);
    const after = yearOf(await quotaOf('361127'), 2023);
    expect(after.county.lapsed.muExact).toBe(before.county.balance.muExact);
    expect(after.county.balance.muExact).toBe('0.000000');
    expect(yearOf(await quotaOf('360111'), 2023).pool.balance.muExact).toBe('0.000000');
    expectProblem(await post(u.admin!, '/api/v1/quota/lapse'), 409, 'already-lapsed');
    expectProblem(
      await post(u['361102']!, '/api/v1/counties/361102/quota/draws', { projectName: 'x', approvalNo: 'late-1', approvedOn: '2024-06-01', area: { unit: 'mu', value: 1 } }),
      422,
      'quota-lapsed',
    );
    expectProblem(await post(u.admin!, '/api/v1/quota/issuances', { reserveYear: 2022, issuedOn: '2024-06-01' }), 422, 'quota-lapsed');
    // Province total: everything issued or pooled is now drawn, deducted, allocated or lapsed.
    const s = await ok(await get(u.admin!, '/api/v1/ledger/province'));
    expect(s.total.balance.muExact).toBe('0.000000');
    expect(s.total.poolBalance.muExact).toBe('0.000000');
  });
});
