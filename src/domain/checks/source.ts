/**
 * Source (来源可靠) across the surveys. Jiangxi scheme (seeds/001) §三(二)1: "对第三次全国国土调查及
 * 年度国土变更调查中确定的采矿用地实施生态修复" — land is eligible when the base survey (三调) OR an
 * annual change survey (年度国土变更调查) determined it as mining land (0602). Reading: a piece of the
 * parcel counts once, from the first survey year that shows it as 0602; the parcel is eligible from
 * the first year in which the pieces counted so far reach the minimum share (the same rule as the
 * base survey alone: sourceStatus). That year is the one "that made it eligible".
 */
import type { CheckParameters } from './parameters.js';
import { sourceStatus, type CheckStatus } from './status.js';

export interface MiningByYear {
  year: number;
  /** Area of record first shown as 0602 in this year's survey (not in any earlier one), m². */
  newM2: number;
}

export interface SourceAcrossSurveys {
  status: CheckStatus;
  /** The first survey year whose 0602 (with the earlier years') reaches the minimum share; null when none does. */
  eligibleYear: number | null;
  /** Mining land of all years together (each piece once), m². */
  miningM2: number;
  /** Per year: the new 0602 and the running total, in year order. */
  years: { year: number; newM2: number; cumulativeM2: number; status: CheckStatus }[];
}

/** Accumulates the years in order; `years` must hold each year once (a year without 0602 with newM2 0). */
export function sourceAcrossSurveys(parcelM2: number, byYear: MiningByYear[], p: CheckParameters): SourceAcrossSurveys {
  let cumulative = 0;
  let eligibleYear: number | null = null;
  const years = [...byYear]
    .sort((a, b) => a.year - b.year)
    .map((y) => {
      cumulative += y.newM2;
      const status = sourceStatus(parcelM2, cumulative, p);
      if (status === 'pass' && eligibleYear === null) eligibleYear = y.year;
      return { year: y.year, newM2: y.newM2, cumulativeM2: cumulative, status };
    });
  return { status: eligibleYear === null ? 'fail' : 'pass', eligibleYear, miningM2: cumulative, years };
}
