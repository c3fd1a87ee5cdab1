import { describe, expect, it } from 'vitest';
import { approvalGuards, mayOverride, overrideGuards } from '../../../src/domain/procedure/overrides.js';
import { ROLES } from '../../../src/domain/procedure/actors.js';
import { VERIFICATION_CHECKS } from '../../../src/domain/procedure/state-machine.js';

const guards = (fs: { guard: string }[]) => fs.map((f) => f.guard);
const doc = { title: '县政府专题会议纪要', number: '婺府阅〔2024〕12号' };
const good = { checks: ['ownership'], reason: '经县政府组织内外业核实，权属争议已调处完毕', documents: [doc] };
const approval = (o: Partial<typeof good> = {}, role = 'county-government') => ({ ...good, ...o, approvedBy: { login: 'gov', role }, approvedOn: '2024-03-01' });
const messages = new Map([['source', '非采矿用地'], ['overlap', '重叠'], ['ownership', '权属不清']]);

describe('overrides of failed verification checks (试点方案三(二)2(2) “确保……土地权属明晰、来源可靠”)', () => {
  it('source (not mining land) and double counting (重复申报) are never overridable, at any level', () => {
    for (const role of ROLES) {
      expect(mayOverride('source', role)).toBe(false);
      expect(mayOverride('overlap', role)).toBe(false);
    }
    expect(guards(overrideGuards(['source'], messages, approval({ checks: ['source'] }), VERIFICATION_CHECKS))).toEqual(['source-not-overridable']);
    expect(guards(overrideGuards(['overlap'], messages, approval({ checks: ['overlap'] }), VERIFICATION_CHECKS))).toEqual(['overlap-not-overridable']);
    expect(guards(approvalGuards({ ...good, checks: ['source', 'overlap'] }, 'county-government', VERIFICATION_CHECKS))).toEqual(['source-not-overridable', 'overlap-not-overridable']);
  });

  it('other checks only by the county government, with a reason of substance and evidence (title and number)', () => {
    expect(ROLES.filter((r) => mayOverride('ownership', r))).toEqual(['county-government']);
    expect(approvalGuards(good, 'county-government', VERIFICATION_CHECKS)).toEqual([]);
    expect(guards(approvalGuards(good, 'county-forestry', VERIFICATION_CHECKS))).toEqual(['override-by-county-government']);
    expect(guards(approvalGuards({ ...good, reason: '同意' }, 'county-government', VERIFICATION_CHECKS))).toEqual(['override-reason']);
    expect(guards(approvalGuards({ ...good, documents: [{ title: '说明' }] }, 'county-government', VERIFICATION_CHECKS))).toEqual(['override-evidence']);
    expect(guards(approvalGuards({ ...good, checks: [] }, 'county-government', VERIFICATION_CHECKS))).toEqual(['override-checks-named']);
    expect(guards(approvalGuards({ ...good, checks: ['land-class-change'] }, 'county-government', VERIFICATION_CHECKS))).toEqual(['override-checks-known']);
  });

  it('at 核实 the approval must cover every failed check', () => {
    expect(overrideGuards(['ownership'], messages, approval(), VERIFICATION_CHECKS)).toEqual([]);
    expect(guards(overrideGuards(['ownership'], messages, null, VERIFICATION_CHECKS))).toEqual(['checks-passed']);
    expect(guards(overrideGuards(['ownership', 'not-forest'], messages, approval(), VERIFICATION_CHECKS))).toEqual(['checks-passed']);
    expect(guards(overrideGuards(['ownership'], messages, approval({}, 'city'), VERIFICATION_CHECKS))).toEqual(['checks-passed']);
  });
});
