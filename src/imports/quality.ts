import type pg from 'pg';
import { officialAreaOfPlane, zoneOfEpsg } from '../domain/area/plane-geometry.js';
import { QUALITY_RULE_CODES, TBMJ_TOLERANCE_M2, beyond, totalTolerance, type QualityRule } from '../domain/survey-quality.js';
import { roundTo } from '../domain/units.js';
import * as q from './quality-repository.js';

export interface QualitySummary {
  /** Findings per rule (every rule listed, 0 when clean). */
  findings: Record<QualityRule, number>;
  total: number;
  /** Whether a county XZQ of the same year was there to check gaps and sums against. */
  xzq: boolean;
}

/** Polygons per batch of the area check (keyset paging: the county never sits in memory). */
const AREA_BATCH = 2000;

/**
 * Runs the layer-level checks on an import's DLTB rows, inside the import's write transaction (the
 * findings commit with the data). They warn: the import goes ahead whatever they find. Everything
 * is SQL except the official ellipsoidal area, computed in TypeScript batch by batch.
 */
export async function runQualityChecks(
  db: pg.PoolClient,
  job: { id: string; county_code: string; survey_year: number },
  sourceEpsg: number,
): Promise<QualitySummary> {
  const { county_code: county, survey_year: year, id } = job;
  const zoneEpsg = await q.qualityZoneEpsg(db, sourceEpsg, county, year, id);
  const zone = zoneOfEpsg(zoneEpsg);
  const findings = Object.fromEntries(QUALITY_RULE_CODES.map((r) => [r, 0])) as Record<QualityRule, number>;

  let after = '-1';
  let n = 0;
  let tbmjSum = 0;
  let officialSum = 0;
  for (;;) {
    const rows = await q.areaBatch(db, county, year, id, zoneEpsg, after, AREA_BATCH);
    if (!rows.length) break;
    const bad: q.AreaFinding[] = [];
    for (const r of rows) {
      const official = officialAreaOfPlane(r.plane, zone);
      if (r.tbmj !== null) {
        const tbmj = Number(r.tbmj);
        n++;
        tbmjSum += tbmj;
        officialSum += official;
        if (beyond(tbmj, roundTo(official, 2), TBMJ_TOLERANCE_M2)) bad.push({ fid: r.fid, bsm: r.bsm, tbmj, official: roundTo(official, 2) });
      }
    }
    findings['tbmj-area'] += await q.insertAreaFindings(db, county, year, id, bad);
    after = rows[rows.length - 1]!.fid;
  }
  const tolerance = totalTolerance(n);
  if (n > 0 && beyond(tbmjSum, officialSum, tolerance)) {
    findings['tbmj-total'] += await q.insertTotalFinding(db, id, { n, tbmj: tbmjSum, official: officialSum, tolerance });
  }
  Object.assign(findings, await q.checkDeductions(db, county, year, id));
  Object.assign(findings, await q.checkIdentifiers(db, county, year, id));
  Object.assign(findings, await q.checkCoverage(db, county, year, id, zoneEpsg));
  // Overlaps and gaps are found in the plane; their areas are reported as areas of record.
  for (let seq = 0; ; ) {
    const rows = await q.coverageFindingsBatch(db, id, zoneEpsg, seq, AREA_BATCH);
    if (!rows.length) break;
    await q.setFindingAreas(db, id, rows.map((r) => ({ seq: r.seq, m2: roundTo(officialAreaOfPlane(r.plane, zone), 4) })));
    seq = rows[rows.length - 1]!.seq;
  }
  findings['xzq-sum'] = await q.checkXzqSums(db, county, year, id);
  const total = Object.values(findings).reduce((a, b) => a + b, 0);
  return { findings, total, xzq: await q.hasCountyXzq(db, county, year) };
}
