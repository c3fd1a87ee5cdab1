/**
 * The 办理 view's forms (web/src/procedure.ts) against the procedure API's request schemas
 * (src/procedure/schemas.ts): filled in as a person would, each form's body is one the route
 * accepts, with no property the route does not know; blank rows and inputs are left out so that
 * the server's guard names what is missing.
 */
import { Value } from 'typebox/value';
import type { TSchema } from '@fastify/type-provider-typebox';
import { describe, expect, it } from 'vitest';
import { closeBodySchema, firstUnknownProperty } from '../../src/http/strict-body.js';
import { applicationBody, applicationForm, bodyOf, formFor, shown, type Detail, type Form } from '../../web/src/procedure.js';
import {
  AcceptBody,
  AfforestBody,
  ApplyBody,
  ChangeBody,
  ConfirmBody,
  ConsentBody,
  EndBody,
  ObjectionBody,
  ObjectionDecisionBody,
  OverrideApprovalBody,
  PublicizeBody,
  ReserveBody,
  RightsHolderBody,
  SurveyChangeBody,
  VerifyBody,
} from '../../src/procedure/schemas.js';

const parcel = (over: Partial<Detail> = {}): Detail => ({
  id: '00000000-0000-4000-8000-000000000001',
  candidateParcelId: '00000000-0000-4000-8000-000000000008',
  parcelNo: 'P1',
  countyCode: '361123',
  townshipCode: '361123101',
  applicant: null,
  state: 'applied',
  stateLabel: '申请',
  stateSince: '2026-01-01T00:00:00Z',
  areaOfRecord: { m2: 16590.39, mu: 24.885585, hectare: 1.659039 },
  availableActions: [],
  appliedOn: '2026-01-01',
  priorRestoration: null,
  publicity: null,
  afforestation: null,
  acceptedOn: null,
  acceptance: null,
  surveyChangedOn: null,
  changeYear: null,
  changedOn: null,
  reserveYear: null,
  endReason: null,
  overrideApproval: null,
  history: [],
  objections: [],
  holders: [],
  consents: [],
  ...over,
});

const HOLDER = { id: '00000000-0000-4000-8000-000000000002', kind: 'mining', kindLabel: '采矿权人', code: 'C1', name: '某矿业', source: 'county', document: null, consented: false };

/** Types what a person types into a form's empty inputs and both departments' first rows. */
function fill(form: Form, typed: Record<string, string> = {}): Form {
  const blank = (kind: string) => (kind === 'year' ? '2026' : kind === 'number' ? '100' : kind === 'date' ? '2026-11-01' : '填写');
  for (const f of form.fields) if (f.key in form.text) form.text[f.key] = typed[f.key] ?? (form.text[f.key] || blank(f.kind));
  for (const p of Object.values(form.people)) {
    p.forestry[0]!.name = '林业甲';
    p.naturalResources[0]!.name = '自然资源乙';
  }
  for (const d of Object.values(form.docs)) d[0] = { title: '验收报告', number: '玉林〔2026〕1号' };
  for (const l of Object.values(form.lists)) l.push('area');
  return form;
}

/** Valid for the route, with no property it does not know at any depth: the schema closed as the server closes it. */
function expectAccepted(schema: TSchema, body: Record<string, unknown>) {
  const closed = closeBodySchema(schema);
  expect(firstUnknownProperty(body, closed, 'body')).toBeUndefined();
  expect([...Value.Errors(closed, body)].map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
}

describe('the 办理 forms send what the procedure API accepts', () => {
  const cases: [string, TSchema, Record<string, string>, Partial<Detail>?, { holder?: typeof HOLDER; objectionId?: string }?][] = [
    ['verify', VerifyBody, {}],
    ['override-approvals', OverrideApprovalBody, { reason: '经外业核实，地块边界以实测为准' }],
    ['publicize', PublicizeBody, { 'naturalVillage.name': '下坞自然村', 'villageCommittee.name': '樟村村委会' }],
    ['objections', ObjectionBody, {}],
    ['decision', ObjectionDecisionBody, {}, {}, { objectionId: '00000000-0000-4000-8000-000000000003' }],
    ['rights-holders', RightsHolderBody, {}],
    ['consents', ConsentBody, {}, {}, { holder: HOLDER }],
    ['confirm', ConfirmBody, {}],
    ['afforest', AfforestBody, { species: '杉木，木荷' }],
    ['accept', AcceptBody, { survivalRatePct: '92' }, { afforestation: { forestClass: '0301', species: ['杉木'], plantedOn: '2026-03-01', area: { m2: 16000, mu: 24, hectare: 1.6 }, restorer: null } }],
    ['survey-change', SurveyChangeBody, {}],
    ['change', ChangeBody, {}],
    ['reserve', ReserveBody, {}],
    ['withdraw', EndBody, {}],
    ['reject', EndBody, {}],
  ];
  for (const [action, schema, typed, over, about] of cases) {
    it(action, () => {
      const form = formFor(action, parcel(over), about);
      expect(form).not.toBeNull();
      expectAccepted(schema, bodyOf(fill(form!, typed)));
    });
  }

  it('sends both departments of a joint act (an empty one as []), trimmed, without blank rows', () => {
    const form = formFor('verify', parcel())!;
    form.people.participants!.forestry = [{ name: ' 林业甲 ', unit: ' 县林业局 ', title: '' }, { name: ' ', unit: '', title: '' }];
    expect(bodyOf(form).participants).toEqual({ forestry: [{ name: '林业甲', unit: '县林业局' }], naturalResources: [] });
  });

  it('asks a shrubland acceptance for its cover and a planting for its survival, pre-filling the planted area', () => {
    const planted = (forestClass: string) => parcel({ afforestation: { forestClass, species: [], plantedOn: '2026-03-01', area: { m2: 15000, mu: 22.5, hectare: 1.5 }, restorer: null } });
    const keys = (d: Detail) => formFor('accept', d)!.fields.map((f) => f.key);
    expect(keys(planted('0305'))).toContain('coveragePct');
    expect(keys(planted('0305'))).not.toContain('survivalRatePct');
    expect(keys(planted('0301'))).toContain('survivalRatePct');
    expect(formFor('accept', planted('0301'))!.text.measuredAreaM2).toBe('15000');
    // Without a document the body has none, and the server's guard asks for one.
    const form = formFor('accept', planted('0301'))!;
    expect(bodyOf(form)).not.toHaveProperty('documents');
  });

  it('takes 造林 defaults from the restoration recorded at the application', () => {
    const form = formFor('afforest', parcel({ priorRestoration: { restoredOn: '2025-10-01', restorer: { name: '某矿业', kind: '企业' }, documents: [] } }))!;
    expect(form.text).toMatchObject({ plantedOn: '2025-10-01', 'restorer.name': '某矿业', 'restorer.kind': '企业', areaM2: '16590.39' });
  });

  it('records a consent for the holder it was opened for', () => {
    const form = fill(formFor('consents', parcel(), { holder: HOLDER })!);
    expect(bodyOf(form)).toMatchObject({ holderId: HOLDER.id, document: { title: '权利人同意书' } });
    expect(formFor('consents', parcel())).toBeNull();
  });
});

describe('the township’s application form (申请) sends what POST /procedures accepts', () => {
  const CANDIDATE = '00000000-0000-4000-8000-000000000009';

  it('applies for the chosen candidate parcel with its date, documents and notes, and no prior restoration by default', () => {
    const form = applicationForm([[CANDIDATE, 'P1（检查通过）']]);
    expect(form.text).toMatchObject({ candidateParcelId: CANDIDATE, prior: 'no' });
    // The restoration's fields are shown only once 是 is chosen.
    expect(form.fields.filter((f) => shown(form, f)).map((f) => f.key)).not.toContain('prior.restorerName');
    form.text.notes = ' 樟村废弃采石场 ';
    form.docs.documents![0] = { title: '乡镇人民政府申请书', number: '樟政字〔2026〕3号' };
    form.text['prior.restorerName'] = '不会发送';
    const body = applicationBody(form);
    expectAccepted(ApplyBody, body);
    expect(body).toEqual({ candidateParcelId: CANDIDATE, appliedOn: form.text.appliedOn, notes: '樟村废弃采石场', documents: [{ title: '乡镇人民政府申请书', number: '樟政字〔2026〕3号' }] });
  });

  it('sends a prior restoration (date, restorer, evidence) when 是 is chosen, and leaves blank rows out', () => {
    const form = applicationForm([[CANDIDATE, 'P1']]);
    form.text.prior = 'yes';
    expect(form.fields.filter((f) => shown(form, f)).map((f) => f.key)).toEqual(expect.arrayContaining(['prior.restoredOn', 'prior.restorerName', 'prior.restorerKind', 'prior.documents']));
    Object.assign(form.text, { appliedOn: '2026-11-01', 'prior.restoredOn': '2025-10-01', 'prior.restorerName': ' 某矿业有限公司 ', 'prior.restorerKind': '企业' });
    form.docs['prior.documents'] = [{ title: '矿山生态修复验收意见', number: '玉自然资〔2025〕8号' }, { title: ' ', number: '' }];
    const body = applicationBody(form);
    expectAccepted(ApplyBody, body);
    expect(body.priorRestoration).toEqual({ restoredOn: '2025-10-01', restorer: { name: '某矿业有限公司', kind: '企业' }, documents: [{ title: '矿山生态修复验收意见', number: '玉自然资〔2025〕8号' }] });
    expect(body).not.toHaveProperty('documents');
  });
});
