/**
 * Quota: issuance by the 500 亩 rule, the provincial pool, draws by construction projects,
 * deductions after the annual re-inspection, lapse at the end of the pilot period, idle uses.
 * Every figure is an append-only ledger entry (quota.entry) linked to what it derives from.
 */
import { notFoundInScope } from '../http/errors.js';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { requireCounty, requireRole, PERMISSIONS } from '../auth/plugin.js';
import { withScope, type AuthUser, type Scoped } from '../auth/scope.js';
import { KeyedBatcher, type Settled } from '../db/keyed-batcher.js';
import { isIdleUse, isIsoDate, todayInChina, yearOf } from '../domain/procedure/deadlines.js';
import { RESERVE_STATES } from '../domain/procedure/state-machine.js';
import { FIVE_HUNDRED_MU, incrementalSplit } from '../domain/quota/five-hundred-mu.js';
import { dateInPeriod, lapsedOn, lastValidDay, quotaYearInPeriod, type PilotPeriod } from '../domain/quota/pilot-period.js';
import { hectareToMicroMu, m2ToMicroMu, muToMicroMu, quotaArea, type MicroMu } from '../domain/units.js';
import { serveDraws } from '../domain/quota/draws.js';
import { allocatePool } from '../domain/quota/pool.js';
import { deduction, OUTCOME_EFFECTS, OUTCOME_LABELS, settleDebts, type Outcome } from '../domain/quota/inspection.js';
import { Problem } from '../http/problem.js';
import * as procedures from '../procedure/repository.js';
import { planOrThrow, procedureNotFound, type DocumentRef } from '../procedure/service.js';
import * as repo from './repository.js';

const invalid = (detail: string, code = 'request-invalid') => new Problem(422, code, 'Invalid request', detail);

function dateParam(field: string, v: string | undefined, today: string): string {
  const d = v ?? today;
  if (!isIsoDate(d)) throw new Problem(400, 'request-invalid', 'Invalid date', `${field}应为YYYY-MM-DD格式的有效日期，实际为“${d}”`);
  if (d > today) throw invalid(`${field}（${d}）晚于今天（${today}）`, 'date-in-future');
  return d;
}

export interface AreaInput {
  unit: 'm2' | 'mu' | 'hectare';
  value: number | string;
}

/** An area as given (m² ≤ 2 decimals, 亩 or 公顷 ≤ 6 decimals) as exact µ亩. */
export function parseArea(a: AreaInput): MicroMu {
  try {
    const v = a.unit === 'm2' ? m2ToMicroMu(a.value) : a.unit === 'mu' ? muToMicroMu(a.value) : hectareToMicroMu(a.value);
    if (v <= 0n) throw new RangeError('not positive');
    return v;
  } catch {
    throw invalid(`面积“${a.value}”（${a.unit}）无效：须为正数，平方米最多2位小数，亩和公顷最多6位小数`, 'area-invalid');
  }
}

async function lapseExecuted(tx: Scoped, pilot: PilotPeriod): Promise<boolean> {
  return (await repo.lapses(tx)).some((l) => l.period_end === pilot.endYear);
}

// ---------------------------------------------------------------- issuance (500 亩 rule)

// ---------------------------------------------------------------- national allocations (国家下达新增林地定额)

/**
 * The state's allocation of new forest-land quota for a year, as the province administrator enters
 * it from the document (number and date). Issuance follows it: "国家下达新增林地定额后，林地储备库中的
 * 补充林地面积小于500亩的……" (001 §三(三)3).
 */
export async function recordNationalAllocation(
  pool: pg.Pool,
  user: AuthUser,
  input: { quotaYear: number; documentNo: string; documentDate: string; issuer?: string; area?: AreaInput; note?: string },
) {
  requireRole(user, PERMISSIONS.issueQuota, '登记国家下达林地定额');
  const today = todayInChina();
  const documentDate = dateParam('documentDate', input.documentDate, today);
  const documentNo = input.documentNo.trim();
  if (!documentNo) throw invalid('须填写国家下达林地定额的文件文号（documentNo）', 'document-no-required');
  if (yearOf(documentDate) > input.quotaYear) throw invalid(`文件日期${documentDate}晚于定额年度${input.quotaYear}年`, 'document-date-after-year');
  const amount = input.area ? parseArea(input.area) : null;
  return withScope(pool, user, async (tx) => {
    const id = await repo.insertNationalAllocation(tx, {
      province: user.prefix.slice(0, 2),
      quotaYear: input.quotaYear,
      documentNo,
      documentDate,
      issuer: input.issuer?.trim() || '国家林业和草原局',
      amount,
      note: input.note?.trim() || null,
    });
    if (!id) throw new Problem(409, 'national-allocation-exists', 'National allocation already recorded', `国家下达林地定额文件${documentNo}已登记`);
    return (await repo.nationalAllocations(tx, { id }))[0]!;
  });
}

export async function listNationalAllocations(pool: pg.Pool, user: AuthUser, f: { quotaYear?: number }) {
  return withScope(pool, quotaReader(user, '查看国家下达林地定额'), (tx) => repo.nationalAllocations(tx, f));
}

/**
 * The national allocation an issuance follows: the one named, else the latest of the quota year
 * dated on or before the issuance. None: the issuance is refused.
 */
async function nationalAllocationFor(tx: Scoped, quotaYear: number, issuedOn: string, id?: string): Promise<repo.NationalAllocationRow> {
  const all = await repo.nationalAllocations(tx, { quotaYear });
  const missing = (why: string) =>
    new Problem(422, 'national-allocation-missing', 'National allocation missing', `新增定额在国家下达林地定额后下达（赣林规〔2022〕1号 三(三)3“国家下达新增林地定额后”）：${why}`, { quotaYear });
  if (id !== undefined) {
    const named = all.find((a) => a.id === id);
    if (!named) throw missing(`未找到${quotaYear}年度的国家下达林地定额记录${id}`);
    if (named.document_date > issuedOn) throw missing(`国家下达文件${named.document_no}日期${named.document_date}晚于下达日期${issuedOn}`);
    return named;
  }
  const before = all.filter((a) => a.document_date <= issuedOn);
  if (before.length === 0) throw missing(`尚未登记${issuedOn}前国家下达的${quotaYear}年度林地定额（文号和日期）`);
  return before[before.length - 1]!;
}

// ---------------------------------------------------------------- issuance (500 亩 rule)

export async function issue(
  pool: pg.Pool,
  user: AuthUser,
  pilot: PilotPeriod,
  input: { reserveYear: number; county?: string; issuedOn?: string; nationalAllocationId?: string },
) {
  requireRole(user, PERMISSIONS.issueQuota, '下达新增林地定额');
  if (input.county) requireCounty(user, input.county);
  const today = todayInChina();
  const issuedOn = dateParam('issuedOn', input.issuedOn, today);
  const quotaYear = input.reserveYear + 1;
  if (!quotaYearInPeriod(pilot, quotaYear)) {
    throw invalid(`${input.reserveYear}年度储备库对应${quotaYear}年定额，不在试点期（${pilot.startYear}–${pilot.endYear}年）内，不下达新增定额`, 'quota-year-outside-pilot');
  }
  if (!dateInPeriod(pilot, issuedOn)) throw invalid(`下达日期${issuedOn}不在试点期（${pilot.startYear}–${pilot.endYear}年）内`, 'quota-lapsed');
  return withScope(pool, user, async (tx) => {
    if (await lapseExecuted(tx, pilot)) throw invalid(`试点期已结束，新增定额已作废，不能再下达`, 'quota-lapsed');
    const national = await nationalAllocationFor(tx, quotaYear, issuedOn, input.nationalAllocationId);
    const counties = input.county ? [input.county] : await repo.countiesToIssue(tx, input.reserveYear);
    const out: repo.IssuanceRow[] = [];
    for (const county of counties) {
      await repo.lockIssuance(tx, county, input.reserveYear);
      const parcels = await repo.unissuedReserve(tx, county, input.reserveYear);
      if (parcels.length === 0) continue;
      const prior = await repo.issuances(tx, { county, reserveYear: input.reserveYear });
      const already = prior.reduce((s, i) => ({ county: s.county + i.county_umu, pooled: s.pooled + i.pooled_umu }), { county: 0n, pooled: 0n });
      const added = parcels.reduce((s, p) => s + m2ToMicroMu(p.area_m2), 0n);
      const cumulative = already.county + already.pooled + added;
      const split = incrementalSplit(cumulative, already);
      const batch = prior.length + 1;
      const rule = {
        name: '500亩规则（赣林规〔2022〕1号 三(三)3）',
        thresholdMicroMu: FIVE_HUNDRED_MU.toString(),
        cumulativeReserveMicroMu: cumulative.toString(),
        alreadyIssued: { countyMicroMu: already.county.toString(), pooledMicroMu: already.pooled.toString() },
        thisBatch: { addedMicroMu: added.toString(), countyMicroMu: split.county.toString(), pooledMicroMu: split.pooled.toString() },
        text: cumulative < FIVE_HUNDRED_MU ? '储备库面积小于500亩，全部下达给县' : '储备库面积不小于500亩，下达给县500亩，其余纳入省级统筹',
        nationalAllocation: { documentNo: national.document_no, documentDate: national.document_date },
      };
      const issuanceId = await repo.insertIssuance(
        tx,
        {
          county,
          reserveYear: input.reserveYear,
          quotaYear,
          batch,
          reserve: cumulative,
          toCounty: split.county,
          toPool: split.pooled,
          rule,
          issuedOn,
          nationalAllocationId: national.id,
        },
        parcels.map((p) => ({ id: p.id, area_m2: p.area_m2, umu: m2ToMicroMu(p.area_m2) })),
      );
      await repo.lockAccount(tx, county, quotaYear);
      await repo.insertEntry(tx, { county, account: 'county', quotaYear, kind: 'issued', amount: split.county, reserveYear: input.reserveYear, issuanceId });
      // Deductions the county's balance could not cover are settled from its next issuance first.
      await repo.lockDebts(tx, county);
      const owed = await repo.debts(tx, { county });
      const byId = new Map(owed.map((d) => [d.id, d]));
      for (const settled of settleDebts(split.county, owed.map((d) => ({ id: d.id, outstanding: d.outstanding_umu })))) {
        const d = byId.get(settled.id)!;
        await repo.insertEntry(tx, {
          county,
          account: 'county',
          quotaYear,
          kind: 'deducted',
          amount: -settled.amount,
          reserveYear: input.reserveYear,
          issuanceId,
          inspectionId: d.inspection_id,
          note: `抵扣${d.inspection_year}年度核查欠扣（地块${d.parcel_no}）`,
        });
      }
      if (split.pooled > 0n) {
        await repo.insertEntry(tx, { county, account: 'pool', quotaYear, kind: 'pooled', amount: split.pooled, reserveYear: input.reserveYear, issuanceId });
      }
      out.push((await repo.issuances(tx, { id: issuanceId }))[0]!);
    }
    return out;
  });
}

/** Quota is not a township's business (README, What a township sees); row-level security hides it too. */
function quotaReader(user: AuthUser, what: string): AuthUser {
  requireRole(user, PERMISSIONS.readQuota, what);
  return user;
}

export async function listIssuances(pool: pg.Pool, user: AuthUser, f: { county?: string; reserveYear?: number }) {
  return withScope(pool, quotaReader(user, '查看定额下达记录'), (tx) => repo.issuances(tx, f));
}

/** One issuance and the parcels it counted (each traceable). */
export async function issuance(pool: pg.Pool, user: AuthUser, id: string) {
  return withScope(pool, quotaReader(user, '查看定额下达记录'), async (tx) => {
    const i = (await repo.issuances(tx, { id }))[0];
    if (!i) throw notFoundInScope('定额下达记录', id, 'issuance-not-found');
    return { issuance: i, parcels: await repo.issuanceParcels(tx, i.id) };
  });
}

// ---------------------------------------------------------------- balances

export interface AccountYear {
  quotaYear: number;
  reserveYear: number;
  county: Record<'issued' | 'allocatedIn' | 'drawn' | 'deducted' | 'lapsed' | 'balance', MicroMu>;
  pool: Record<'pooled' | 'allocatedOut' | 'lapsed' | 'balance', MicroMu>;
}

export function accountYears(sums: repo.SumRow[], county: string): AccountYear[] {
  const years = new Map<number, AccountYear>();
  const zero = () => ({ issued: 0n, allocatedIn: 0n, drawn: 0n, deducted: 0n, lapsed: 0n, balance: 0n });
  for (const s of sums.filter((x) => x.county_code === county)) {
    const y = years.get(s.quota_year) ?? { quotaYear: s.quota_year, reserveYear: s.quota_year - 1, county: zero(), pool: { pooled: 0n, allocatedOut: 0n, lapsed: 0n, balance: 0n } };
    years.set(s.quota_year, y);
    if (s.account === 'county') {
      y.county.balance += s.umu;
      if (s.kind === 'issued') y.county.issued += s.umu;
      if (s.kind === 'allocated-in') y.county.allocatedIn += s.umu;
      if (s.kind === 'drawn') y.county.drawn -= s.umu;
      if (s.kind === 'deducted') y.county.deducted -= s.umu;
      if (s.kind === 'lapsed') y.county.lapsed -= s.umu;
    } else {
      y.pool.balance += s.umu;
      if (s.kind === 'pooled') y.pool.pooled += s.umu;
      if (s.kind === 'allocated-out') y.pool.allocatedOut -= s.umu;
      if (s.kind === 'lapsed') y.pool.lapsed -= s.umu;
    }
  }
  return [...years.values()].sort((a, b) => a.quotaYear - b.quotaYear);
}

export async function countyQuota(pool: pg.Pool, user: AuthUser, pilot: PilotPeriod, county: string) {
  requireCounty(user, county);
  requireRole(user, PERMISSIONS.readQuota, '查看定额');
  return withScope(pool, user, async (tx) => {
    const years = accountYears(await repo.sums(tx, { county }), county);
    return {
      countyCode: county,
      pilot,
      lapsed: await lapseExecuted(tx, pilot),
      years,
      balance: years.reduce((s, y) => s + y.county.balance, 0n),
      debt: (await repo.debts(tx, { county })).reduce((s, d) => s + d.outstanding_umu, 0n),
    };
  });
}

// ---------------------------------------------------------------- draws

export interface DrawInput {
  quotaYear?: number;
  projectName: string;
  approvalNo: string;
  approvedOn: string;
  area: AreaInput;
}

interface QueuedDraw extends repo.NewDraw {
  user: AuthUser;
  county: string;
  quotaYear: number;
  periodEnd: number;
}

type DrawResult =
  | { kind: 'drawn'; draw: repo.DrawRow; balanceAfter: MicroMu }
  | { kind: 'insufficient'; balance: MicroMu }
  | { kind: 'approval-no-exists'; drawId?: string }
  | { kind: 'lapsed' };

/**
 * Applies queued draws of one account-year (and one user, whose scope the transaction runs in) in
 * one transaction: lock the balance row, read what the outcome depends on, serve the draws in order
 * (domain/quota/draws.ts) and write the ones that fit in one statement. The row stays locked from
 * the first statement to the commit, so the balance read is the balance written against; the
 * entries' trigger checks every draw again (never below zero).
 */
async function applyDraws(pool: pg.Pool, items: QueuedDraw[]): Promise<DrawResult[]> {
  const { user, county, quotaYear, periodEnd } = items[0]!;
  return withScope(pool, user, async (tx) => {
    const balance = await repo.lockBalance(tx, county, 'county', quotaYear);
    const { lapsed, used } = await repo.drawState(tx, county, periodEnd, items.map((i) => i.approvalNo));
    if (lapsed) return items.map((): DrawResult => ({ kind: 'lapsed' }));
    const outcomes = serveDraws(balance, items, new Set(used.keys()));
    const fit = items.filter((_, i) => outcomes[i]!.kind === 'drawn');
    const made = new Map((fit.length ? await repo.insertDraws(tx, county, quotaYear, fit) : []).map((m) => [m.draw.approval_no, m]));
    return outcomes.map((o, i): DrawResult => {
      const no = items[i]!.approvalNo;
      if (o.kind === 'drawn') return { kind: 'drawn', ...made.get(no)! };
      if (o.kind === 'approval-no-exists') return { kind: o.kind, drawId: used.get(no) ?? made.get(no)?.draw.id };
      return o;
    });
  });
}

/** A batch, or (if the database refused it: a race no read could foresee) each of its draws on its own. */
async function flushDraws(pool: pg.Pool, items: QueuedDraw[]): Promise<Settled<DrawResult>[]> {
  try {
    return (await applyDraws(pool, items)).map((value) => ({ ok: true, value }));
  } catch (error) {
    if (items.length === 1) return [{ ok: false, error }];
    const out: Settled<DrawResult>[] = [];
    for (const item of items) out.push(...(await flushDraws(pool, [item])));
    return out;
  }
}

/**
 * Draws wait here per account-year and user, holding no connection, and are applied a batch at a
 * time (src/db/keyed-batcher.ts): one pooled connection and one commit for all the draws that
 * arrived while the previous batch ran, instead of one connection waiting per draw.
 */
export const DRAW_BATCH_MAX = 100; // most draws applied in one transaction
const drawQueues = new WeakMap<pg.Pool, KeyedBatcher<QueuedDraw, DrawResult>>();
function drawQueue(pool: pg.Pool): KeyedBatcher<QueuedDraw, DrawResult> {
  let q = drawQueues.get(pool);
  if (!q) drawQueues.set(pool, (q = new KeyedBatcher((_key, items) => flushDraws(pool, items), DRAW_BATCH_MAX)));
  return q;
}
/**
 * A construction project draws quota from a county's account for a quota year. Draws of one
 * account-year are applied one after the other under the lock of its balance row, in batches
 * (above), so parallel draws never overdraw, an approval number draws once, and a storm of draws
 * on one county holds one connection, not the pool.
 */
export async function draw(pool: pg.Pool, user: AuthUser, pilot: PilotPeriod, county: string, input: DrawInput) {
  requireCounty(user, county);
  requireRole(user, PERMISSIONS.drawQuota, '建设项目使用定额');
  const today = todayInChina();
  const approvedOn = dateParam('approvedOn', input.approvedOn, today);
  const amount = parseArea(input.area);
  const quotaYear = input.quotaYear ?? yearOf(approvedOn);
  if (!input.projectName.trim() || !input.approvalNo.trim()) throw invalid('须填写项目名称和审核同意书文号');
  if (lapsedOn(pilot, approvedOn)) {
    throw invalid(`试点期（${pilot.startYear}–${pilot.endYear}年）已于${lastValidDay(pilot)}结束，新增定额已自动作废（审核日期${approvedOn}）`, 'quota-lapsed');
  }
  if (!quotaYearInPeriod(pilot, quotaYear) || !dateInPeriod(pilot, approvedOn)) {
    throw invalid(`${quotaYear}年定额或审核日期${approvedOn}不在试点期（${pilot.startYear}–${pilot.endYear}年）内`, 'quota-year-outside-pilot');
  }
  if (quotaYear > yearOf(approvedOn)) throw invalid(`${quotaYear}年定额在${quotaYear}年才能使用（审核日期${approvedOn}）`, 'quota-not-yet-valid');
  const approvalNo = input.approvalNo.trim();
  const item: QueuedDraw = {
    user,
    county,
    quotaYear,
    periodEnd: pilot.endYear,
    projectName: input.projectName.trim(),
    approvalNo,
    approvedOn,
    amount,
    input: { unit: input.area.unit, value: String(input.area.value) },
  };
  let r: DrawResult;
  try {
    r = await drawQueue(pool).submit(`${county}:${quotaYear}:${user.id}`, item);
  } catch (err) {
    // Refused by the database itself, on a draw applied on its own (see flushDraws).
    const refusal = repo.drawRefusal(err);
    if (!refusal) throw err;
    r = refusal.reason === 'insufficient' ? { kind: 'insufficient', balance: refusal.balance } : { kind: 'approval-no-exists' };
  }
  switch (r.kind) {
    case 'drawn':
      return { draw: r.draw, balance: r.balanceAfter };
    case 'lapsed':
      throw invalid('试点期已结束，新增定额已作废', 'quota-lapsed');
    case 'insufficient':
      throw new Problem(409, 'quota-insufficient', 'Quota balance insufficient', `${county}县${quotaYear}年新增定额结余${quotaArea(r.balance).mu}亩，不足本次使用${quotaArea(amount).mu}亩`, {
        balance: quotaArea(r.balance),
        requested: quotaArea(amount),
      });
    case 'approval-no-exists': {
      const drawId = r.drawId ?? (await withScope(pool, user, (tx) => repo.draws(tx, { county, approvalNo })))[0]?.id;
      throw new Problem(409, 'approval-no-exists', 'Approval number already used', `审核同意书文号${approvalNo}已使用定额${drawId ? `（${drawId}）` : ''}`, drawId ? { drawId } : {});
    }
  }
}

export async function listDraws(pool: pg.Pool, user: AuthUser, county: string) {
  return withScope(pool, quotaReader(user, '查看建设项目使用定额记录'), (tx) => repo.draws(tx, { county }));
}

export async function recordUse(pool: pg.Pool, user: AuthUser, drawId: string, input: { useStartedOn?: string; recoveredOn?: string; recoveryNote?: string }) {
  requireRole(user, PERMISSIONS.recordUse, '登记项目用地');
  const today = todayInChina();
  if (input.useStartedOn) dateParam('useStartedOn', input.useStartedOn, today);
  if (input.recoveredOn) dateParam('recoveredOn', input.recoveredOn, today);
  return withScope(pool, user, async (tx) => {
    const d = (await repo.draws(tx, { id: drawId }))[0];
    if (!d) throw notFoundInScope('定额使用记录', drawId, 'draw-not-found');
    if (input.recoveredOn && !input.recoveryNote?.trim()) throw invalid('收回闲置林地须写明说明（recoveryNote）');
    for (const [k, v] of [['useStartedOn', input.useStartedOn], ['recoveredOn', input.recoveredOn]] as const) {
      if (v && v < d.approved_on) throw invalid(`${k}（${v}）早于审核日期${d.approved_on}`);
    }
    return (await repo.updateDraw(tx, d.id, input))!;
  });
}

/** Approved uses idle for more than two years (nothing started, not recovered), as of a date. */
export async function idleUses(pool: pg.Pool, user: AuthUser, f: { county?: string; asOf?: string }) {
  quotaReader(user, '查看闲置用地');
  const asOf = f.asOf ?? todayInChina();
  if (!isIsoDate(asOf)) throw new Problem(400, 'request-invalid', 'Invalid date', `asOf应为YYYY-MM-DD，实际为“${asOf}”`);
  return withScope(pool, user, async (tx) => {
    const all = await repo.draws(tx, { county: f.county });
    return { asOf, items: all.filter((d) => isIdleUse({ approvedOn: d.approved_on, useStartedOn: d.use_started_on, recoveredOn: d.recovered_on }, asOf)) };
  });
}

// ---------------------------------------------------------------- annual re-inspection

export interface InspectionInput {
  parcelId: string;
  year: number;
  inspectedOn?: string;
  outcome: Outcome;
  /** The area found affected (管护不到位, 林分质量下降, 退化); default the whole parcel. */
  affectedArea?: AreaInput;
  rectifyBy?: string;
  findings?: string;
  documents?: DocumentRef[];
}

/**
 * One parcel's annual re-inspection by the city or the province (src/domain/quota/inspection.ts says
 * what each outcome does). The deduction takes from the inspection year's county balance what it
 * holds, under the balance row's lock; the rest is a debt against the county's next issuance.
 */
export async function inspect(pool: pg.Pool, user: AuthUser, input: InspectionInput) {
  requireRole(user, PERMISSIONS.inspect, '补充林地年度核查');
  const today = todayInChina();
  const inspectedOn = dateParam('inspectedOn', input.inspectedOn, today);
  if (yearOf(inspectedOn) !== input.year) throw invalid(`核查日期${inspectedOn}不在核查年度${input.year}内`, 'inspection-date-outside-year');
  const effect = OUTCOME_EFFECTS[input.outcome];
  const label = OUTCOME_LABELS[input.outcome];
  if (effect.deducts && !input.findings?.trim()) throw invalid(`${label}须写明核查情况（findings）`, 'findings-required');
  if (input.affectedArea && (!effect.deducts || effect.wholeParcel)) {
    throw invalid(`${label}不填写受影响面积（${effect.wholeParcel ? '按地块全部面积扣减' : '不扣减'}）`, 'affected-area-not-applicable');
  }
  let rectifyBy: string | null = null;
  if (effect.rectify) {
    if (!input.rectifyBy) throw invalid(`${label}须规定整改期限（rectifyBy）`, 'rectify-by-required');
    if (!isIsoDate(input.rectifyBy)) throw new Problem(400, 'request-invalid', 'Invalid date', `rectifyBy应为YYYY-MM-DD格式的有效日期，实际为“${input.rectifyBy}”`);
    if (input.rectifyBy <= inspectedOn) throw invalid(`整改期限${input.rectifyBy}应晚于核查日期${inspectedOn}`, 'rectify-by-invalid');
    rectifyBy = input.rectifyBy;
  } else if (input.rectifyBy) {
    throw invalid(`${label}不设整改期限`, 'rectify-by-not-applicable');
  }
  const affectedInput = input.affectedArea ? parseArea(input.affectedArea) : undefined;
  return withScope(pool, user, async (tx) => {
    const p = await procedures.getProcedure(tx, input.parcelId, { forUpdate: true });
    if (!p) throw procedureNotFound(input.parcelId);
    if (!(RESERVE_STATES).includes(p.state)) {
      throw new Problem(409, 'not-in-reserve', 'Parcel not in the reserve', `地块${p.parcel_no}不在储备库中（当前状态：${p.state}），无需年度核查`);
    }
    const area = m2ToMicroMu(p.area_m2!);
    if (affectedInput !== undefined && affectedInput > area) {
      throw invalid(`受影响面积${quotaArea(affectedInput).mu}亩大于地块面积${quotaArea(area).mu}亩`, 'affected-area-too-large');
    }
    await repo.lockAccount(tx, p.county_code, input.year);
    // Under the balance row's lock: no draw can take what this deduction counts on.
    const balanceBefore = await repo.lockBalance(tx, p.county_code, 'county', input.year);
    const d = deduction(input.outcome, area, affectedInput, await repo.deductedForParcel(tx, p.id), balanceBefore);
    const inspectionId = await repo.insertInspection(tx, {
      parcelId: p.id,
      county: p.county_code,
      year: input.year,
      inspectedOn,
      outcome: input.outcome,
      findings: input.findings?.trim() || null,
      documents: input.documents ?? [],
      area,
      affected: d.affected,
      deducted: d.loss,
      rectifyBy,
    });
    if (!inspectionId) throw new Problem(409, 'inspection-exists', 'Already inspected', `地块${p.parcel_no}${input.year}年度已核查`);
    if (d.fromBalance > 0n) {
      await repo.insertEntry(tx, {
        county: p.county_code,
        account: 'county',
        quotaYear: input.year,
        kind: 'deducted',
        amount: -d.fromBalance,
        reserveYear: p.reserve_year ?? undefined,
        inspectionId,
        note: `${label}：${input.findings!.trim()}`,
      });
    }
    if (d.debt > 0n) await repo.insertDebt(tx, { county: p.county_code, inspectionId, quotaYear: input.year, amount: d.debt });
    if (effect.removes) {
      planOrThrow('inspection-lost', p.state, user);
      await procedures.recordTransition(tx, p, {
        action: 'inspection-lost',
        to: 'removed',
        effectiveOn: inspectedOn,
        notes: input.findings,
        documents: input.documents,
        evidence: { inspectionId, year: input.year, outcome: input.outcome, deductedMicroMu: d.loss.toString(), debtMicroMu: d.debt.toString() },
        fields: { end_reason: `${input.year}年度核查${label}：${input.findings!.trim()}` },
      });
    }
    const balance = await repo.balance(tx, p.county_code, 'county', input.year);
    return { inspection: (await repo.inspections(tx, { id: inspectionId }))[0]!, deduction: d, balance };
  });
}

export async function listInspections(pool: pg.Pool, user: AuthUser, f: { county?: string; year?: number }) {
  return withScope(pool, quotaReader(user, '查看年度核查记录'), (tx) => repo.inspections(tx, f));
}

// ---------------------------------------------------------------- provincial pool

export async function requestPool(pool: pg.Pool, user: AuthUser, input: { county: string; quotaYear: number; area: AreaInput; purpose: string }) {
  requireCounty(user, input.county);
  requireRole(user, PERMISSIONS.requestPool, '申请省级统筹定额');
  const amount = parseArea(input.area);
  if (!input.purpose.trim()) throw invalid('须说明用途（purpose）');
  return withScope(pool, user, async (tx) => {
    const id = await repo.insertPoolRequest(tx, { county: input.county, quotaYear: input.quotaYear, amount, purpose: input.purpose.trim() });
    return (await repo.poolRequests(tx, input.quotaYear)).find((r) => r.id === id)!;
  });
}

export interface AllocationRoundResult {
  roundId: string;
  quotaYear: number;
  allocations: { id: string; requestId: string; county: string; origin: string; tier: string; amount: MicroMu }[];
}

/** One allocation round for a quota year (see src/domain/quota/pool.ts for the priority rule). */
export async function allocate(pool: pg.Pool, user: AuthUser, pilot: PilotPeriod, input: { quotaYear: number }): Promise<AllocationRoundResult> {
  requireRole(user, PERMISSIONS.allocatePool, '省级统筹定额分配');
  return withScope(pool, user, async (tx) => {
    await repo.lockPoolRound(tx, user.prefix, input.quotaYear);
    if (await lapseExecuted(tx, pilot)) throw invalid('试点期已结束，新增定额已作废', 'quota-lapsed');
    const sums = await repo.sums(tx, { quotaYear: input.quotaYear });
    const balances = new Map<string, MicroMu>();
    for (const s of sums.filter((x) => x.account === 'pool')) balances.set(s.county_code, (balances.get(s.county_code) ?? 0n) + s.umu);
    const requests = (await repo.poolRequests(tx, input.quotaYear)).map((r) => ({
      id: r.id,
      county: r.county_code,
      need: r.amount_umu - r.allocated_umu,
      requestedAt: r.requested_at.toISOString(),
    }));
    const plan = allocatePool([...balances].map(([county, available]) => ({ county, available })), requests);
    const roundId = randomUUID();
    const made: AllocationRoundResult['allocations'] = [];
    // Every account-year touched, locked in one (sorted) order, so no other writer can deadlock with us.
    for (const county of [...new Set(plan.flatMap((a) => [a.county, a.origin]))].sort()) await repo.lockAccount(tx, county, input.quotaYear);
    for (const a of plan) {
      const allocationId = await repo.insertAllocation(tx, { roundId, quotaYear: input.quotaYear, ...a });
      await repo.insertEntry(tx, { county: a.origin, account: 'pool', quotaYear: input.quotaYear, kind: 'allocated-out', amount: -a.amount, allocationId, counterparty: a.county });
      await repo.insertEntry(tx, { county: a.county, account: 'county', quotaYear: input.quotaYear, kind: 'allocated-in', amount: a.amount, allocationId, counterparty: a.origin });
      made.push({ id: allocationId, requestId: a.requestId, county: a.county, origin: a.origin, tier: a.tier, amount: a.amount });
    }
    return { roundId, quotaYear: input.quotaYear, allocations: made };
  });
}

export interface PoolState {
  balances: { originCounty: string; quotaYear: number; balance: MicroMu }[];
  requests: repo.PoolRequestRow[];
  allocations: repo.AllocationRow[];
}

/** The provincial pool: balances by origin county and year, requests and allocations. */
export async function poolState(pool: pg.Pool, user: AuthUser, quotaYear?: number): Promise<PoolState> {
  return withScope(pool, quotaReader(user, '查看省级统筹定额'), async (tx) => {
    const sums = (await repo.sums(tx, { quotaYear })).filter((s) => s.account === 'pool');
    const by = new Map<string, MicroMu>();
    for (const s of sums) by.set(`${s.county_code}|${s.quota_year}`, (by.get(`${s.county_code}|${s.quota_year}`) ?? 0n) + s.umu);
    return {
      balances: [...by].map(([k, v]) => ({ originCounty: k.split('|')[0]!, quotaYear: Number(k.split('|')[1]), balance: v })),
      requests: await repo.poolRequests(tx, quotaYear),
      allocations: await repo.allocations(tx, quotaYear),
    };
  });
}

// ---------------------------------------------------------------- lapse at the end of the pilot period

export interface LapseResult {
  lapseId: string;
  period: PilotPeriod;
  lapsed: { countyCode: string; account: repo.Account; quotaYear: number; amount: MicroMu }[];
}

export async function lapse(pool: pg.Pool, user: AuthUser, pilot: PilotPeriod): Promise<LapseResult> {
  requireRole(user, PERMISSIONS.lapse, '试点期结束定额作废');
  const today = todayInChina();
  if (!lapsedOn(pilot, today)) {
    throw invalid(`试点期（${pilot.startYear}–${pilot.endYear}年）至${lastValidDay(pilot)}结束，今天（${today}）尚未结束`, 'pilot-not-ended');
  }
  return withScope(pool, user, async (tx) => {
    const province = user.prefix.slice(0, 2);
    await repo.lockLapse(tx, province, pilot.endYear);
    if (await lapseExecuted(tx, pilot)) throw new Problem(409, 'already-lapsed', 'Already lapsed', `试点期${pilot.startYear}–${pilot.endYear}年的定额已作废`);
    const lapseId = await repo.insertLapse(tx, { periodStart: pilot.startYear, periodEnd: pilot.endYear, province });
    const sums = await repo.sums(tx);
    const accounts = new Set(sums.filter((s) => s.quota_year <= pilot.endYear).map((s) => `${s.county_code}|${s.account}|${s.quota_year}`));
    const lapsed: LapseResult['lapsed'] = [];
    for (const k of [...accounts].sort()) {
      const [county, account, year] = k.split('|') as [string, repo.Account, string];
      await repo.lockAccount(tx, county, Number(year));
      // What is left now, under the balance row's lock: a draw that committed since the sums were
      // read is counted, and none can commit until this transaction does.
      const v = await repo.lockBalance(tx, county, account, Number(year));
      if (v <= 0n) continue; // nothing left (a balance below zero exists only from before migration 0016)
      await repo.insertEntry(tx, { county, account, quotaYear: Number(year), kind: 'lapsed', amount: -v, lapseId, note: `试点期${pilot.startYear}–${pilot.endYear}年结束未使用，自动作废` });
      lapsed.push({ countyCode: county, account, quotaYear: Number(year), amount: v });
    }
    return { lapseId, period: pilot, lapsed };
  });
}
