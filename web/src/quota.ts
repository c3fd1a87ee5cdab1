/**
 * The 年度总结 and 省级统筹 views' answers (src/ledger/schemas.ts AnnualSummary, src/quota/schemas.ts
 * PoolView) and the bodies their forms send; `tests/unit/web-quota-forms.test.ts` checks each body
 * against its route's request schema. Imports only plain modules (no Vue): the unit test loads it under Node.
 */
import { todayInChina } from './procedure.js';

export interface Area { m2: number; mu: number; hectare: number; muExact?: string }
interface Counted { parcels: number; area: Area }
export interface Draw { id: string; projectName: string; approvalNo: string; approvedOn: string; area: Area; useStartedOn: string | null; recoveredOn: string | null }
export interface LedgerLine {
  countyCode: string;
  issued: Area;
  allocatedIn: Area;
  drawn: Area;
  deducted: Area;
  lapsed: Area;
  balance: Area;
  pooled: Area;
  poolBalance: Area;
  overdrawn: boolean;
}
export interface FailedParcel { parcelId: string; parcelNo: string; levelLabel: string; reason: string | null; inspectedOn: string | null; area: Area }
export interface ReserveSubmission extends Counted {
  id: string;
  reserveYear: number;
  submittedOn: string;
  dueOn: string;
  late: boolean;
  stateLabel: string;
  approvedOn: string | null;
  returned: { returnedOn: string; reason: string } | null;
  failedParcels: FailedParcel[];
}
export interface AnnualSummary {
  countyCode: string;
  year: number;
  dueOn: string;
  submission: { submittedOn: string; dueOn: string; late: boolean; submittedAt: string } | null;
  pilotPeriod: { startYear: number; endYear: number };
  procedure: { actions: ({ action: string; actionLabel: string } & Counted)[]; states: ({ state: string; stateLabel: string } & Counted)[] };
  reserve: { reserveYear: number; parcels: number; countyReserve: Area; provincialReserve: Area; submissions: ReserveSubmission[] };
  quota: LedgerLine;
  draws: Draw[];
  inspections: { total: number; intact: number; inadequateCare: number; qualityDeclined: number; degraded: number; lost: number; deducted: Area; debt: Area };
  idleUses: Draw[];
}
export interface SubmittedSummary { id: string; countyCode: string; year: number; submittedOn: string; dueOn: string; late: boolean }

export interface PoolRequest { id: string; countyCode: string; quotaYear: number; purpose: string; requested: Area; allocated: Area; outstanding: Area; requestedAt: string }
export interface PoolAllocation { id: string; roundId: string; quotaYear: number; countyCode: string; originCounty: string; requestId: string; tier: string; amount: Area; allocatedAt: string }
export interface Pool { balances: { originCounty: string; quotaYear: number; balance: Area }[]; requests: PoolRequest[]; allocations: PoolAllocation[] }
export interface AllocationRound { roundId: string; quotaYear: number; allocations: { id: string; county: string; origin: string; tier: string; amount: Area }[] }

/** The pool's priority (src/domain/quota/pool.ts): the origin county, then its city, then the province. */
export const TIER_LABELS: Record<string, string> = { 'same-county': '本县调剂', 'same-city': '本市调剂', province: '省内调剂' };

/** Who may act (src/domain/permissions.ts: annualSummary, requestPool, allocatePool); the API refuses others anyway. */
type Who = { role: string } | null;
export const canSubmitSummary = (me: Who) => me?.role === 'county-forestry';
export const canRequestPool = (me: Who) => me?.role === 'county-forestry' || me?.role === 'province-admin';
export const canAllocatePool = (me: Who) => me?.role === 'province-admin';

/** The last year that has ended: the summary a county reports next (due 10 January of the year after). */
export const lastEndedYear = (): number => Number(todayInChina().slice(0, 4)) - 1;

/** 上报: the date when one is given (a report handed in earlier and recorded now), else none (today). */
export function submitBody(submittedOn: string | null | undefined): { submittedOn?: string } {
  return submittedOn ? { submittedOn } : {};
}

export interface PoolRequestForm { county: string; quotaYear: number; mu: string; purpose: string }

/** 申请省级统筹定额: the area as typed, in 亩 (a decimal string keeps it exact); the purpose trimmed. */
export function poolRequestBody(f: PoolRequestForm) {
  return { county: f.county.trim(), quotaYear: f.quotaYear, area: { unit: 'mu' as const, value: f.mu.trim() }, purpose: f.purpose.trim() };
}

/** 亩 of several amounts, summed exactly (µ亩 from `muExact`) before rounding, as the ledger sums. */
export function sumMu(areas: Area[]): number {
  const micro = areas.reduce((s, a) => s + (a.muExact !== undefined ? BigInt(a.muExact.replace('.', '')) : BigInt(Math.round(a.mu * 1e6))), 0n);
  return Number(micro) / 1e6;
}

export const allocateBody = (quotaYear: number) => ({ quotaYear });
