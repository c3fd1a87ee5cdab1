/**
 * Dates the scheme sets (赣林规〔2022〕1号 §三(三)2, 5, §四(三)). Dates are ISO 'YYYY-MM-DD' strings in
 * China Standard Time; comparing them as strings compares them as dates.
 */

/** A county's year-N reserve goes to the city "于次年9月15日前": by 15 September of N+1. */
export const reserveSubmissionDue = (reserveYear: number): string => `${reserveYear + 1}-09-15`;

/** Late when submitted after the due day (the due day itself is on time). */
export const isLateSubmission = (reserveYear: number, submittedOn: string): boolean => submittedOn > reserveSubmissionDue(reserveYear);

/**
 * The county's summary of year Y is due "每年1月初" (early January of Y+1). We read 月初 as the
 * first ten days: due 10 January of Y+1. (Cities report to the province "2月初": 10 February.)
 */
export const annualSummaryDue = (year: number): string => `${year + 1}-01-10`;

/**
 * The county's arrangement for year Y ("对本年度拟使用林地的项目、面积和补充林地作出统筹安排", 000 §五, made
 * with the summary of Y−1 "每年1月初"): due 10 January of Y.
 */
export const annualArrangementDue = (year: number): string => `${year}-01-10`;

/** The city's report of year Y to the province, "设区市林业部门梳理汇总2月初报省级林业部门" (001 §三(三)5): due 10 February of Y+1. */
export const cityReportDue = (year: number): string => `${year + 1}-02-10`;

/** The same day `years` years later (29 February → 28 February in a common year). */
export function addYears(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const ny = y + years;
  const leap = (ny % 4 === 0 && ny % 100 !== 0) || ny % 400 === 0;
  const day = m === 2 && d === 29 && !leap ? 28 : d;
  return `${String(ny).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * Approved forest-land use left idle "两年以上" is to be recovered (§四(三)): idle when nothing was
 * started within two years of the approval, i.e. on a date after the second anniversary of the approval.
 */
export function isIdleUse(use: { approvedOn: string; useStartedOn: string | null; recoveredOn: string | null }, asOf: string): boolean {
  if (use.recoveredOn !== null) return false;
  const limit = addYears(use.approvedOn, 2);
  if (use.useStartedOn !== null && use.useStartedOn <= limit) return false;
  return asOf > limit;
}

/** A valid calendar date 'YYYY-MM-DD'. */
export function isIsoDate(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** Today in China (UTC+8), as 'YYYY-MM-DD'. */
export function todayInChina(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

export const yearOf = (date: string): number => Number(date.slice(0, 4));
