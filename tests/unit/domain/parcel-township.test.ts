import { describe, expect, it } from 'vitest';
import { describeParcels, townshipViolations } from '../../../src/domain/parcel-township.js';

const p = (parcelNo: string, township: string | null, fid = 1) => ({ fid, parcelNo, township });

describe('townshipViolations', () => {
  it('refuses codes of another county for every role', () => {
    const v = townshipViolations([p('A', '361123100'), p('B', '361124001'), p('C', null)], '361123');
    expect(v.outsideCounty.map((x) => x.parcelNo)).toEqual(['B']);
    expect(v.otherTownship).toEqual([]);
  });
  it('keeps a township user to its own township (a parcel without a township is not its own)', () => {
    const v = townshipViolations([p('A', '361123100'), p('B', '361123101'), p('C', null), p('D', '360100001')], '361123', '361123100');
    expect(v.outsideCounty.map((x) => x.parcelNo)).toEqual(['D']);
    expect(v.otherTownship.map((x) => x.parcelNo)).toEqual(['B', 'C']);
  });
  it('names the first parcels and counts the rest', () => {
    const many = Array.from({ length: 7 }, (_, i) => p(`P${i}`, '361124001', i));
    expect(describeParcels(many.slice(0, 1))).toBe('地块“P0”（361124001）');
    expect(describeParcels(many)).toMatch(/^地块“P0”（361124001）、.*等7个地块$/);
  });
});
