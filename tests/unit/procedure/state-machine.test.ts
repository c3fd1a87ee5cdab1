import { describe, expect, it } from 'vitest';
import { coversCounty, normaliseAdminCode, scopePrefix } from '../../../src/domain/procedure/actors.js';
import { acceptanceGuards, ACCEPTANCE_STANDARD, measureFor, participantsGuards } from '../../../src/domain/procedure/joint-acts.js';
import { addYears, annualSummaryDue, isIdleUse, isLateSubmission, reserveSubmissionDue } from '../../../src/domain/procedure/deadlines.js';
import {
  ACTIONS,
  afforestGuards,
  availableActions,
  changeGuards,
  confirmGuards,
  plan,
  RESERVE_STATES,
  reserveGuards,
  STATES,
  verifyGuards,
  type CheckOutcome,
} from '../../../src/domain/procedure/state-machine.js';
import { publicizeGuards } from '../../../src/domain/procedure/publicity.js';
import { addHolderGuards, removeHolderGuards, type Holder } from '../../../src/domain/procedure/rights-holders.js';
import { priorRestorationGuards, surveyBeforeApplicationGuards } from '../../../src/domain/procedure/eligibility.js';

const guards = (failures: { guard: string }[]) => failures.map((f) => f.guard);
const passing = (): CheckOutcome[] =>
  ['geometry', 'area', 'source', 'not-forest', 'ownership', 'jurisdiction', 'overlap'].map((code) => ({ code, status: 'pass', message: 'ok' }));

describe('states and transitions', () => {
  it('has a Chinese label for every state and the happy path in order', () => {
    const path = ['apply', 'verify', 'publicize', 'confirm', 'afforest', 'accept', 'survey-change', 'change', 'reserve', 'submit', 'approve-submission', 'city-pass', 'province-pass'] as const;
    let state: keyof typeof STATES | null = null;
    for (const a of path) {
      const role = ACTIONS[a].roles[0];
      const p = plan(a, state, role);
      expect(p.ok, `${a} from ${state}`).toBe(true);
      state = ACTIONS[a].to;
      expect(STATES[state]).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(state).toBe('provincial-reserve');
  });

  it('经县（市、区）政府审核后……报市级: a filed submission\'s parcels await the county government, and only its approval puts them with the city', () => {
    expect(ACTIONS.submit.to).toBe('county-review');
    expect(STATES['county-review']).toContain('待县级人民政府审核');
    expect(STATES['county-review']).not.toContain('市级');
    expect(STATES['city-review']).toBe('已报市级审核');
    expect(plan('approve-submission', 'county-review', 'county-government')).toEqual({ ok: true, from: 'county-review', to: 'city-review' });
    expect(plan('approve-submission', 'county-review', 'county-forestry').ok).toBe(false);
    // The city cannot pass (or fail) what it has not received.
    expect(plan('city-pass', 'county-review', 'city').ok).toBe(false);
    expect(plan('city-fail', 'county-review', 'city').ok).toBe(false);
    expect(RESERVE_STATES).toContain('county-review');
  });

  it('refuses an action from the wrong state, naming the state and the allowed ones', () => {
    const p = plan('confirm', 'verified', 'county-government');
    expect(p).toMatchObject({ ok: false, status: 409, code: 'transition-not-allowed' });
    expect(!p.ok && p.reason).toMatch(/当前状态为“核实”.*只能在“公示”状态下办理/);
    expect(plan('verify', 'provincial-reserve', 'county-forestry').ok).toBe(false);
    expect(plan('withdraw', 'county-reserve', 'county-forestry').ok).toBe(false); // not after 入库
  });

  it('refuses an action by the wrong role, naming who may do it', () => {
    const p = plan('confirm', 'publicized', 'county-forestry');
    expect(p).toMatchObject({ ok: false, status: 403, code: 'role-not-permitted' });
    expect(!p.ok && p.reason).toMatch(/县级人民政府/);
    expect(plan('apply', null, 'county-forestry').ok).toBe(false);
    expect(plan('city-pass', 'city-review', 'province-admin').ok).toBe(false);
    expect(plan('province-pass', 'province-review', 'city').ok).toBe(false);
  });

  it('offers each role only its own next steps', () => {
    expect(availableActions('publicized', 'county-government')).toEqual(['confirm', 'reject']);
    expect(availableActions('applied', 'township')).toEqual(['withdraw']);
    expect(availableActions('applied', 'county-forestry')).toEqual(['verify', 'withdraw', 'reject']);
    expect(availableActions('provincial-reserve', 'county-forestry')).toEqual([]);
  });

  it('gives the natural-resources departments the acts the seed gives "林业、自然资源等部门", and the land-class change in the annual survey', () => {
    // 核实, 造林, 验收: either county department records the joint act.
    expect(availableActions('applied', 'county-natural-resources')).toEqual(['verify']);
    expect(availableActions('confirmed', 'county-natural-resources')).toEqual(['afforest']);
    expect(availableActions('afforested', 'county-natural-resources')).toEqual(['accept']);
    expect(availableActions('afforested', 'county-forestry')).toEqual(['accept', 'withdraw', 'reject']);
    // 县级自然资源主管部门在年度土地变更调查更新数据库中进行地类变更; 县级林业部门在“一张图”年度更新中……变更为林地.
    expect(availableActions('accepted', 'county-natural-resources')).toEqual(['survey-change']);
    expect(plan('survey-change', 'accepted', 'county-forestry')).toMatchObject({ ok: false, status: 403 });
    expect(availableActions('survey-changed', 'county-forestry')).toEqual(['change', 'withdraw', 'reject']);
    expect(plan('change', 'survey-changed', 'county-natural-resources')).toMatchObject({ ok: false, status: 403 });
    expect(plan('change', 'accepted', 'county-forestry')).toMatchObject({ ok: false, status: 409 });
    // Publicity, confirmation, 入库 and the submission are not theirs.
    for (const [a, s] of [['publicize', 'verified'], ['confirm', 'publicized'], ['reserve', 'changed'], ['submit', 'county-reserve']] as const) {
      expect(plan(a, s, 'county-natural-resources').ok).toBe(false);
    }
    // 市级林业、自然资源部门抽查 / 省级林业、自然资源部门抽查.
    expect(plan('city-pass', 'city-review', 'city-natural-resources').ok).toBe(true);
    expect(plan('city-return', 'city-review', 'city-natural-resources').ok).toBe(true);
    expect(plan('province-pass', 'province-review', 'province-natural-resources').ok).toBe(true);
    expect(plan('province-pass', 'province-review', 'city-natural-resources').ok).toBe(false);
    expect(plan('city-pass', 'city-review', 'province-natural-resources').ok).toBe(false);
  });
});

describe('guards', () => {
  it('核实: every check a–g ran and none failed (warnings allowed); a failure needs the county government\'s approval, never for 重复申报', () => {
    expect(verifyGuards(passing(), null)).toEqual([]);
    const warned = passing().map((c) => (c.code === 'ownership' ? { ...c, status: 'warn' } : c));
    expect(verifyGuards(warned, null)).toEqual([]);
    expect(guards(verifyGuards(null, null))).toEqual(['checks-run']);
    expect(guards(verifyGuards(passing().filter((c) => c.code !== 'overlap'), null))).toEqual(['checks-run']);
    const failed = passing().map((c) => (c.code === 'overlap' ? { ...c, status: 'fail', message: '与其他地块重叠' } : c));
    const f = verifyGuards(failed, null);
    expect(guards(f)).toEqual(['overlap-not-overridable']);
    expect(f[0]!.reason).toMatch(/重复申报检查不通过.*（与其他地块重叠）/);
    const approval = { checks: ['overlap', 'ownership'], reason: '经外业核实，重叠部分为同一地块重复上传，已撤回另一批次', documents: [{ title: '核实意见', number: '婺府字〔2024〕1号' }], approvedBy: { login: 'gov', role: 'county-government' }, approvedOn: '2024-03-01' };
    expect(guards(verifyGuards(failed, approval))).toEqual(['overlap-not-overridable']);
    const owner = passing().map((c) => (c.code === 'ownership' ? { ...c, status: 'fail', message: '权属不清' } : c));
    expect(guards(verifyGuards(owner, null))).toEqual(['checks-passed']);
    expect(verifyGuards(owner, { ...approval, checks: ['ownership'] })).toEqual([]);
  });

  it('公示 "在地块所在自然村、村委会所在地": both places, each named with a valid period that has started', () => {
    const nv = { name: '下坊自然村', from: '2024-03-01', to: '2024-03-10' };
    const vc = { name: '下坊村委会', from: '2024-03-02', to: '2024-03-12' };
    expect(publicizeGuards({ 'natural-village': nv, 'village-committee': vc }, '2024-03-05')).toEqual([]);
    // Only one place: the other is named as missing.
    const one = publicizeGuards({ 'village-committee': vc }, '2024-03-05');
    expect(guards(one)).toEqual(['publicity-place']);
    expect(one[0]!.reason).toContain('地块所在自然村');
    // The period guard applies to each place.
    expect(guards(publicizeGuards({ 'natural-village': nv, 'village-committee': { ...vc, from: '2024-03-12', to: '2024-03-02' } }, '2024-03-20'))).toEqual(['publicity-period-valid']);
    expect(guards(publicizeGuards({ 'natural-village': { ...nv, from: '2024-02-30', name: ' ' }, 'village-committee': { ...vc, from: '2024-04-01', to: '2024-04-10' } }, '2024-03-20'))).toEqual([
      'publicity-place',
      'publicity-period-valid',
      'publicity-period-valid',
    ]);
  });

  it('确认: period over, objections decided and not upheld, every rights holder (owners and those the county added) consented', () => {
    const holders: Holder[] = [
      { id: 'h1', kind: 'owner', code: 'A', name: '甲村' },
      { id: 'h2', kind: 'owner', code: 'B', name: '乙村' },
      { id: 'h3', kind: 'mining', code: 'C3600002010000000001', name: '某矿业公司' },
    ];
    const ok = { publicityTo: '2024-03-10', objections: [{ id: 'o', decision: 'dismissed' as const }], holders, consentedHolderIds: ['h1', 'h2', 'h3'] };
    expect(confirmGuards(ok, '2024-03-11', '2024-04-01')).toEqual([]);
    expect(guards(confirmGuards(ok, '2024-03-10', '2024-04-01'))).toEqual(['publicity-ended']);
    expect(guards(confirmGuards({ ...ok, objections: [{ id: 'o', decision: null }] }, '2024-03-11', '2024-04-01'))).toEqual(['objections-resolved']);
    expect(guards(confirmGuards({ ...ok, objections: [{ id: 'o', decision: 'upheld' }] }, '2024-03-11', '2024-04-01'))).toEqual(['no-upheld-objection']);
    const missing = confirmGuards({ ...ok, consentedHolderIds: ['h1', 'h2'] }, '2024-03-11', '2024-04-01');
    expect(guards(missing)).toEqual(['consents-complete']);
    expect(missing[0]!.reason).toContain('采矿权人某矿业公司（C3600002010000000001）');
    expect(guards(confirmGuards({ ...ok, holders: [], consentedHolderIds: [] }, '2024-03-11', '2024-04-01'))).toEqual(['rights-holders-known']);
  });

  it('相关权利人 the county adds: contract, use or mining right, named, with the document of the right, once', () => {
    const doc = { title: '采矿许可证', number: 'C3600002010000000001' };
    expect(addHolderGuards({ kind: 'mining', code: 'C1', name: '某矿业公司', document: doc }, [])).toEqual([]);
    expect(guards(addHolderGuards({ kind: 'owner', code: 'C1', name: '某村', document: doc }, []))).toEqual(['rights-holder-kind']);
    expect(guards(addHolderGuards({ kind: 'contract', code: ' ', name: '', document: { title: '承包合同' } }, []))).toEqual([
      'rights-holder-named',
      'rights-holder-named',
      'rights-holder-evidence',
    ]);
    expect(guards(addHolderGuards({ kind: 'use', code: 'U1', name: '某公司', document: doc }, [{ id: 'x', kind: 'use', code: 'U1', name: '某公司' }]))).toEqual(['rights-holder-unique']);
  });

  it('a holder the county added in error is removed with a reason; the owners the ownership check listed never', () => {
    expect(removeHolderGuards({ kind: 'mining', source: 'county' }, '采矿许可证号登记有误')).toEqual([]);
    expect(guards(removeHolderGuards({ kind: 'mining', source: 'county' }, '错了'))).toEqual(['removal-reason']);
    const owner = removeHolderGuards({ kind: 'owner', source: 'ownership-check' }, '权属单位登记有误，应删除');
    expect(guards(owner)).toEqual(['rights-holder-removable']);
    expect(owner[0]!.reason).toContain('权属检查');
  });

  it('已经实施生态修复的采矿用地: a prior restoration before the application, with restorer and numbered evidence', () => {
    const r = { restoredOn: '2021-05-01', restorer: { name: '某矿业公司', kind: '企业' }, documents: [{ title: '矿山生态修复验收意见', number: '玉自然资字〔2021〕8号' }] };
    expect(priorRestorationGuards(r, '2022-02-10')).toEqual([]);
    expect(guards(priorRestorationGuards({ ...r, restoredOn: '2022-03-01' }, '2022-02-10'))).toEqual(['prior-restoration-date']);
    expect(guards(priorRestorationGuards({ ...r, restorer: { name: ' ', kind: '企业' }, documents: [{ title: '照片' }] }, '2022-02-10'))).toEqual([
      'prior-restoration-restorer',
      'prior-restoration-evidence',
    ]);
  });

  it('年度国土变更调查中确定的采矿用地: the change survey that made the land eligible was imported before the application', () => {
    const source = (importedAt: string) => ({
      code: 'source',
      status: 'pass',
      message: 'ok',
      figures: {
        baseYear: 2019,
        eligibleYear: 2023,
        miningByYear: [
          { year: 2019, importedAt: '2021-01-01T00:00:00Z', newArea: { m2: 10 } },
          { year: 2023, importedAt, newArea: { m2: 990 } },
        ],
      },
    });
    expect(surveyBeforeApplicationGuards(source('2024-04-01T00:00:00Z'), new Date('2024-05-01T00:00:00Z'))).toEqual([]);
    const late = surveyBeforeApplicationGuards(source('2024-06-01T00:00:00Z'), new Date('2024-05-01T00:00:00Z'));
    expect(guards(late)).toEqual(['source-survey-before-application']);
    expect(late[0]!.reason).toContain('2023年年度国土变更调查');
    // Eligible by the base survey: nothing to ask of the change surveys.
    expect(surveyBeforeApplicationGuards({ ...source('2024-06-01T00:00:00Z'), figures: { baseYear: 2019, eligibleYear: 2019 } }, new Date('2024-05-01T00:00:00Z'))).toEqual([]);
  });

  it('核实 of land recorded as restored before the application: not-forest does not block, and is no override', () => {
    const forest = passing().map((c) => (c.code === 'not-forest' ? { ...c, status: 'fail', message: '已是林地' } : c));
    expect(guards(verifyGuards(forest, null))).toEqual(['checks-passed']);
    expect(verifyGuards(forest, null, { priorRestoration: true, appliedAt: null })).toEqual([]);
    // Prior restoration is no way round the source check.
    const notMining = forest.map((c) => (c.code === 'source' ? { ...c, status: 'fail', message: '非采矿用地' } : c));
    expect(guards(verifyGuards(notMining, null, { priorRestoration: true, appliedAt: null }))).toEqual(['source-not-overridable']);
  });

  it('造林: forest class, species, date after confirmation, area within the area of record, restorer', () => {
    const input = { forestClass: '0301', species: ['杉木'], plantedOn: '2024-04-01', areaM2: 1000, restorer: { name: '某矿业公司', kind: '企业' } };
    const facts = { confirmedOn: '2024-03-20', areaOfRecordM2: 1000 };
    expect(afforestGuards(input, facts, '2024-05-01')).toEqual([]);
    // Land restored before the application: its recorded date, earlier than 确认, is the 造林 date; another early date is not.
    expect(afforestGuards({ ...input, plantedOn: '2021-05-01' }, { ...facts, priorRestoredOn: '2021-05-01' }, '2024-05-01')).toEqual([]);
    const other = afforestGuards({ ...input, plantedOn: '2021-06-01' }, { ...facts, priorRestoredOn: '2021-05-01' }, '2024-05-01');
    expect(guards(other)).toEqual(['afforestation-date-valid']);
    expect(other[0]!.reason).toContain('已实施修复日期2021-05-01');
    expect(guards(afforestGuards({ ...input, forestClass: '0602', species: [' '], plantedOn: '2024-03-01', areaM2: 1000.02, restorer: { name: '', kind: '企业' } }, facts, '2024-05-01'))).toEqual([
      'forest-class-valid',
      'species-recorded',
      'afforestation-date-valid',
      'afforested-area-valid',
      'restorer-recorded',
    ]);
  });

  it('验收: 经县级林业、自然资源等部门联合验收合格 — participants of both, measured area, survival or cover per the standard, documents; not the survey', () => {
    const both = { forestry: [{ name: '张林', unit: '县林业局' }], naturalResources: [{ name: '李资', unit: '县自然资源局' }] };
    const docs = [{ title: '补充林地验收意见书', number: '玉林验〔2023〕5号' }];
    const facts = { afforestedOn: '2023-03-01', forestClass: '0301', areaOfRecordM2: 1000 };
    const good = { acceptedOn: '2023-10-20', participants: both, measuredAreaM2: 998.5, survivalRatePct: 90, documents: docs };
    const ok = acceptanceGuards(good, facts, '2024-02-01');
    expect(ok.failures).toEqual([]);
    expect(ok.record).toMatchObject({ measuredAreaM2: 998.5, measure: { kind: 'survival', pct: 90, thresholdPct: 85 } });
    expect(ok.record!.measure.source).toMatch(/造林技术规程/);
    // Exactly at the threshold passes; below it fails naming the standard.
    expect(acceptanceGuards({ ...good, survivalRatePct: 85 }, facts, '2024-02-01').failures).toEqual([]);
    const low = acceptanceGuards({ ...good, survivalRatePct: 84.9 }, facts, '2024-02-01').failures;
    expect(guards(low)).toEqual(['survival-below-standard']);
    expect(low[0]!.reason).toMatch(/85%/);
    // Shrubland is judged by its cover (三调 灌木林地 ≥ 40 %), and a survival rate does not stand in for it.
    expect(measureFor('0305')).toBe('coverage');
    expect(measureFor('0302')).toBe('survival');
    const shrub = { ...facts, forestClass: '0305' };
    expect(guards(acceptanceGuards(good, shrub, '2024-02-01').failures)).toEqual(['coverage-recorded']);
    expect(guards(acceptanceGuards({ ...good, coveragePct: 35 }, shrub, '2024-02-01').failures)).toEqual(['coverage-below-standard']);
    expect(acceptanceGuards({ ...good, coveragePct: ACCEPTANCE_STANDARD.coverage.thresholdPct }, shrub, '2024-02-01').failures).toEqual([]);
    // One department alone is not a joint acceptance; nothing measured, nothing documented, dated before planting.
    expect(
      guards(acceptanceGuards({ acceptedOn: '2023-02-01', participants: { forestry: both.forestry, naturalResources: [{ name: ' ' }] }, documents: [{ title: '验收' }] }, facts, '2024-02-01').failures),
    ).toEqual(['acceptance-date-valid', 'participants-both-departments', 'measured-area-valid', 'survival-recorded', 'acceptance-documents']);
    expect(guards(acceptanceGuards({ ...good, measuredAreaM2: 1000.01 }, facts, '2024-02-01').failures)).toEqual(['measured-area-valid']);
    expect(guards(acceptanceGuards({ ...good, acceptedOn: '2024-03-01' }, facts, '2024-02-01').failures)).toEqual(['acceptance-date-valid']);
    expect(participantsGuards(both, '核实')).toEqual([]);
    expect(participantsGuards(undefined, '核实')[0]!.reason).toMatch(/林业部门和自然资源部门/);
  });

  it('变更: DLTB and one-map judged separately, naming the layer that has not changed', () => {
    const f = { layers: ['dltb', 'one-map'] as const, after: { year: 2023, on: '2023-12-01', what: '年度变更调查地类变更' }, areaOfRecordM2: 1000, minShare: 1, toleranceM2: 1 };
    const dltbOnly = { ...f, layers: ['dltb'] as const };
    const outcome = (dltb: number, xb: number, message = '') => ({
      code: 'land-class-change',
      status: dltb >= 999 && xb >= 999 ? 'pass' : 'fail',
      message,
      figures: { forestDltbArea: { m2: dltb }, forestXiaobanArea: { m2: xb }, forestDltbShare: dltb / 1000, forestXiaobanShare: xb / 1000 },
    });
    expect(changeGuards(outcome(1000, 999.5), 2023, f, '2024-02-01', '2024-03-01')).toEqual([]);
    expect(guards(changeGuards(outcome(1000, 120), 2023, f, '2024-02-01', '2024-03-01'))).toEqual(['change-in-one-map']);
    expect(guards(changeGuards(outcome(300, 1000), 2023, f, '2024-02-01', '2024-03-01'))).toEqual(['change-in-dltb']);
    expect(guards(changeGuards(outcome(1000, 0, '2023年一张图小班未导入，无法确认变更'), 2023, f, '2024-02-01', '2024-03-01'))).toEqual(['change-in-one-map']);
    expect(guards(changeGuards(null, 2023, f, '2024-02-01', '2024-03-01'))).toEqual(['change-checked']);
    // The natural-resources department's act looks at the annual change survey only.
    expect(changeGuards(outcome(1000, 0, '2023年一张图小班未导入，无法确认变更'), 2023, dltbOnly, '2024-02-01', '2024-03-01')).toEqual([]);
    expect(guards(changeGuards(outcome(300, 1000), 2023, dltbOnly, '2024-02-01', '2024-03-01'))).toEqual(['change-in-dltb']);
    // Not before the act it follows, in year or date.
    expect(guards(changeGuards(outcome(1000, 1000), 2022, f, '2023-11-01', '2024-03-01'))).toEqual(['change-date-valid', 'change-year-valid']);
  });

  it('入库: a plausible reserve year not yet submitted to the city', () => {
    expect(reserveGuards(2023, { changeYear: 2023, submittedYears: [] }, '2024-01-15', '2024-02-01')).toEqual([]);
    expect(guards(reserveGuards(2023, { changeYear: 2023, submittedYears: [2023] }, '2024-01-15', '2024-02-01'))).toEqual(['reserve-year-open']);
    expect(guards(reserveGuards(2022, { changeYear: 2023, submittedYears: [] }, '2024-01-15', '2024-02-01'))).toEqual(['reserve-year-valid', 'reserve-year-valid']);
  });
});

describe('jurisdiction codes', () => {
  it('normalises codes per role and derives the visible prefix', () => {
    expect(normaliseAdminCode('province-admin', '36')).toEqual({ code: '360000' });
    expect(normaliseAdminCode('city', '3611')).toEqual({ code: '361100' });
    expect(normaliseAdminCode('city', '361100')).toEqual({ code: '361100' });
    expect(normaliseAdminCode('county-forestry', '361123')).toEqual({ code: '361123' });
    expect(normaliseAdminCode('township', '361123100')).toEqual({ code: '361123100' });
    expect('error' in normaliseAdminCode('county-forestry', '361100')).toBe(true);
    expect('error' in normaliseAdminCode('city', '360000')).toBe(true);
    expect(scopePrefix('city', '361100')).toBe('3611');
    expect(scopePrefix('township', '361123100')).toBe('361123');
    expect(coversCounty({ role: 'city', adminCode: '361100' }, '361102')).toBe(true);
    expect(coversCounty({ role: 'city', adminCode: '361100' }, '360111')).toBe(false);
    expect(coversCounty({ role: 'county-forestry', adminCode: '361123' }, '361102')).toBe(false);
    expect(coversCounty({ role: 'province-reviewer', adminCode: '360000' }, '360111')).toBe(true);
    expect(coversCounty({ role: 'province-reviewer', adminCode: '360000' }, '420111')).toBe(false);
  });
  it('gives each natural-resources department the codes and the jurisdiction of the forestry role of its level', () => {
    const pairs = [['county-forestry', 'county-natural-resources'], ['city', 'city-natural-resources'], ['province-reviewer', 'province-natural-resources']] as const;
    const codes = ['36', '360000', '3611', '361100', '361123', '361123100', '3611231', ''];
    const counties = ['361123', '361102', '360111', '420111'];
    for (const [forestry, resources] of pairs) {
      for (const code of codes) {
        const f = normaliseAdminCode(forestry, code);
        const r = normaliseAdminCode(resources, code);
        expect('code' in r, `${resources} ${code}`).toBe('code' in f);
        if ('code' in f && 'code' in r) {
          expect(r.code).toBe(f.code);
          expect(scopePrefix(resources, r.code)).toBe(scopePrefix(forestry, f.code));
          for (const c of counties) expect(coversCounty({ role: resources, adminCode: r.code }, c)).toBe(coversCounty({ role: forestry, adminCode: f.code }, c));
        }
      }
    }
  });
});

describe('deadlines', () => {
  it('reserve of year N is due 15 September N+1; the due day itself is on time', () => {
    expect(reserveSubmissionDue(2023)).toBe('2024-09-15');
    expect(isLateSubmission(2023, '2024-09-15')).toBe(false);
    expect(isLateSubmission(2023, '2024-09-16')).toBe(true);
  });

  it('annual summary of year Y is due in early January Y+1 (10 January)', () => {
    expect(annualSummaryDue(2023)).toBe('2024-01-10');
  });

  it('approved use idle for more than two years is flagged', () => {
    const use = { approvedOn: '2022-03-01', useStartedOn: null, recoveredOn: null };
    expect(isIdleUse(use, '2024-03-01')).toBe(false);
    expect(isIdleUse(use, '2024-03-02')).toBe(true);
    expect(isIdleUse({ ...use, useStartedOn: '2023-01-01' }, '2025-01-01')).toBe(false);
    expect(isIdleUse({ ...use, recoveredOn: '2024-06-01' }, '2025-01-01')).toBe(false);
    expect(addYears('2020-02-29', 2)).toBe('2022-02-28');
  });
});
