/**
 * The 500 亩 rule (Jiangxi scheme §三(三)3) with exact arithmetic.
 *
 * Rule: the supplementary forest land a county's reserve accepted in year N (the provincial reserve,
 * reserve year N) yields extra quota for year N+1. Below 500 亩 the county receives all of it; at or
 * above 500 亩 it receives 500 亩 and the rest goes to the provincial pool. (The scheme says
 * "小于500亩 … 大于500亩"; at exactly 500 亩 both readings give the county 500 亩 and the pool 0.)
 *
 * The threshold is compared on the exact amount in integer µ亩 (src/domain/units.ts), never on a
 * rounded or floating-point figure.
 */
import { MICRO_MU_PER_MU, type MicroMu } from '../units.js';

export const FIVE_HUNDRED_MU: MicroMu = 500n * MICRO_MU_PER_MU;

export interface Split {
  /** quota to the county */
  county: MicroMu;
  /** to the provincial pool */
  pooled: MicroMu;
}

/** The rule on a county's whole reserve of one year. */
export function fiveHundredMuRule(reserve: MicroMu): Split {
  if (reserve < 0n) throw new RangeError('reserve area cannot be negative');
  const county = reserve < FIVE_HUNDRED_MU ? reserve : FIVE_HUNDRED_MU;
  return { county, pooled: reserve - county };
}

/**
 * The rule applied again when more parcels of the same reserve year reach the provincial reserve
 * after an issuance: the new batch gets what the rule gives on the new cumulative total minus what
 * earlier batches already gave, so the county never receives more than 500 亩 for one reserve year
 * and county + pool always equals the whole reserve.
 */
export function incrementalSplit(cumulativeReserve: MicroMu, already: Split): Split {
  const whole = fiveHundredMuRule(cumulativeReserve);
  const county = whole.county - already.county;
  const pooled = whole.pooled - already.pooled;
  if (county < 0n || pooled < 0n) throw new RangeError('reserve shrank below what was already issued');
  return { county, pooled };
}
