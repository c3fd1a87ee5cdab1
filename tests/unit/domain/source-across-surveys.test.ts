import { describe, expect, it } from 'vitest';
import { DEFAULT_CHECK_PARAMETERS } from '../../../src/domain/checks/parameters.js';
import { sourceAcrossSurveys } from '../../../src/domain/checks/source.js';

const p = DEFAULT_CHECK_PARAMETERS; // all of the parcel on mining land, less 1 m² or 0.1 %

describe('来源可靠 across the surveys: "第三次全国国土调查及年度国土变更调查中确定的采矿用地"', () => {
  it('is eligible from the base survey when the 三调 alone shows the whole parcel as 0602', () => {
    expect(sourceAcrossSurveys(1000, [{ year: 2019, newM2: 1000 }, { year: 2023, newM2: 0 }], p)).toMatchObject({ status: 'pass', eligibleYear: 2019, miningM2: 1000 });
  });

  it('counts each piece once, from the first year that shows it as 0602, and names the year the total reaches the share', () => {
    const r = sourceAcrossSurveys(1000, [{ year: 2023, newM2: 300 }, { year: 2019, newM2: 500 }, { year: 2021, newM2: 199.5 }], p);
    expect(r).toMatchObject({ status: 'pass', eligibleYear: 2023, miningM2: 999.5 });
    expect(r.years.map((y) => [y.year, y.cumulativeM2, y.status])).toEqual([[2019, 500, 'fail'], [2021, 699.5, 'fail'], [2023, 999.5, 'pass']]);
  });

  it('fails when no year, nor all together, covers the parcel (beyond the boundary tolerance)', () => {
    expect(sourceAcrossSurveys(1000, [{ year: 2019, newM2: 600 }, { year: 2023, newM2: 390 }], p)).toMatchObject({ status: 'fail', eligibleYear: null, miningM2: 990 });
    expect(sourceAcrossSurveys(1000, [], p)).toMatchObject({ status: 'fail', eligibleYear: null, miningM2: 0 });
  });
});
