/**
 * The provincial pool (Jiangxi scheme §三(三)3): reserve above a county's 500 亩 goes to the pool,
 * "由省级林业部门统筹安排，优先支持所在市、县(区)使用" — arranged by the province with priority for the
 * county it came from, then that county's city.
 *
 * An allocation round serves open requests from the pool balances of one quota year in three tiers:
 *   1. same-county: each request from the county's own pooled quota;
 *   2. same-city: remaining requests from pooled quota of other counties of the same city;
 *   3. province: remaining requests from any other county's pooled quota.
 * Within a tier requests are served first come, first served (requested time, then id), and a
 * request takes origins in code order. So quota pooled from county X goes to X first, then to X's
 * city, and only then elsewhere — the priority is a property of the algorithm, not a convention.
 * All amounts are exact integer µ亩.
 */
import { cityOf } from '../procedure/actors.js';
import type { MicroMu } from '../units.js';

export interface PoolBalance {
  /** origin county of the pooled quota */
  county: string;
  available: MicroMu;
}

export interface PoolRequest {
  id: string;
  county: string;
  /** still unserved */
  need: MicroMu;
  requestedAt: string; // ISO timestamp; ties broken by id
}

export type Tier = 'same-county' | 'same-city' | 'province';

export interface PoolAllocation {
  requestId: string;
  county: string;
  origin: string;
  tier: Tier;
  amount: MicroMu;
}

export function allocatePool(balances: readonly PoolBalance[], requests: readonly PoolRequest[]): PoolAllocation[] {
  const available = new Map<string, MicroMu>();
  for (const b of balances) if (b.available > 0n) available.set(b.county, (available.get(b.county) ?? 0n) + b.available);
  const origins = [...available.keys()].sort();
  const queue = [...requests]
    .filter((r) => r.need > 0n)
    .sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : a.requestedAt > b.requestedAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => ({ ...r }));
  const out: PoolAllocation[] = [];
  const tiers: [Tier, (req: string, origin: string) => boolean][] = [
    ['same-county', (req, origin) => req === origin],
    ['same-city', (req, origin) => req !== origin && cityOf(req) === cityOf(origin)],
    ['province', (req, origin) => cityOf(req) !== cityOf(origin)],
  ];
  for (const [tier, eligible] of tiers) {
    for (const r of queue) {
      for (const origin of origins) {
        if (r.need === 0n) break;
        if (!eligible(r.county, origin)) continue;
        const a = available.get(origin) ?? 0n;
        if (a === 0n) continue;
        const amount = a < r.need ? a : r.need;
        available.set(origin, a - amount);
        r.need -= amount;
        out.push({ requestId: r.id, county: r.county, origin, tier, amount });
      }
    }
  }
  return out;
}
