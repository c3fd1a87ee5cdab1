/**
 * The pilot period (Jiangxi: 2022–2024, 赣林规〔2022〕1号 §二(一)): extra quota is valid only within
 * it and lapses unused at its end ("试点期结束未使用的自动作废"). Configurable for other provinces or
 * an extended pilot: ZHANBU_PILOT_START / ZHANBU_PILOT_END, read and checked by src/config.ts.
 */
export interface PilotPeriod {
  startYear: number;
  endYear: number;
}

export const JIANGXI_PILOT: PilotPeriod = { startYear: 2022, endYear: 2024 };

/** The last day quota can be used: 31 December of the period's last year. */
export const lastValidDay = (p: PilotPeriod): string => `${p.endYear}-12-31`;

/** Whether quota for this year exists at all under the period. */
export const quotaYearInPeriod = (p: PilotPeriod, quotaYear: number): boolean => quotaYear >= p.startYear && quotaYear <= p.endYear;

/** Whether a date (YYYY-MM-DD) is within the period (quota may be used on it). */
export const dateInPeriod = (p: PilotPeriod, date: string): boolean => date >= `${p.startYear}-01-01` && date <= lastValidDay(p);

/** Whether the period is over on this date: unused quota has lapsed. */
export const lapsedOn = (p: PilotPeriod, date: string): boolean => date > lastValidDay(p);
