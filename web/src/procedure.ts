/**
 * The 办理 view's parcels and forms, in line with the procedure API (README "Users, jurisdiction,
 * procedure and quota"): the joint acts' participants of both departments (核实, 造林, 验收), the
 * field acceptance, the two acts of 变更, publicity at both places, rights holders and a consent per
 * holder. Each form is a list of fields with defaults taken from the parcel; `bodyOf` turns what was
 * typed into the act's JSON body (empty inputs left out, so the server's guard names what is missing).
 */
export interface Area { m2: number; mu: number; hectare: number }
export interface Participant { name: string; unit?: string; title?: string }
export interface Participants { forestry: Participant[]; naturalResources: Participant[]; others: Participant[] }
export interface DocumentRow { title: string; number: string }
interface Doc { title?: string; number?: string | null }
interface Restorer { name?: string; kind?: string }

export interface Procedure {
  id: string;
  candidateParcelId: string;
  parcelNo: string;
  countyCode: string;
  townshipCode: string | null;
  applicant: string | null;
  state: string;
  stateLabel: string;
  stateSince: string;
  areaOfRecord: Area | null;
  availableActions: { action: string; label: string }[];
}

export interface Transition {
  seq: number;
  action: string;
  actionLabel: string;
  actor: { login: string; name: string | null; role: string; roleLabel: string };
  at: string;
  effectiveOn: string | null;
  notes: string | null;
  documents: Doc[] | null;
  evidence: { participants?: Partial<Participants> } | null;
}

export interface Holder { id: string; kind: string; kindLabel: string; code: string; name: string; source: string; document: Doc | null; consented: boolean }

export interface Detail extends Procedure {
  appliedOn: string | null;
  priorRestoration: { restoredOn: string; restorer: Restorer; documents: Doc[] } | null;
  publicity: { from: string | null; to: string | null; places: { kind: string; kindLabel: string; name: string; from: string; to: string }[] } | null;
  afforestation: { forestClass: string | null; species: string[] | null; plantedOn: string | null; area: Area | null; restorer: Restorer | null } | null;
  acceptedOn: string | null;
  acceptance: {
    participants?: Partial<Participants>;
    measuredAreaM2?: number;
    measure?: { kind?: string; label?: string; pct?: number; thresholdPct?: number };
  } | null;
  surveyChangedOn: string | null;
  changeYear: number | null;
  changedOn: string | null;
  reserveYear: number | null;
  endReason: string | null;
  overrideApproval: { checks?: string[]; reason?: string; approvedOn?: string; documents?: Doc[] } | null;
  history: Transition[];
  objections: { id: string; receivedOn: string; objector: string; content: string; decision: string | null; decisionReason: string | null }[];
  holders: Holder[];
  consents: { id: string; holderId: string | null; qsdwmc: string | null; signatory: string; consentedOn: string; rightKindLabel: string | null }[];
}

export const STATES: [string, string][] = [
  ['all', '全部'], ['applied', '已申请'], ['verified', '已核实'], ['publicized', '公示中'], ['confirmed', '已确认'], ['afforested', '已造林'],
  ['accepted', '已验收'], ['survey-changed', '变更调查已变更'], ['changed', '已变更'], ['county-reserve', '县级储备库'], ['county-review', '待县政府审核'], ['city-review', '市级审核中'],
  ['province-review', '省级审核中'], ['provincial-reserve', '省级储备库'], ['withdrawn', '已撤回'], ['rejected', '已否决'], ['removed', '已出库'],
];

/** `when`: shown only while another field (a select) has that value. */
type Shown = { when?: [string, string] };
export type Field = Shown &
  (
    | { key: string; label: string; kind: 'text' | 'date' | 'year' | 'textarea' | 'number' | 'list' }
    | { key: string; label: string; kind: 'select' | 'multi'; options: [string, string][] }
    | { key: string; label: string; kind: 'participants' | 'documents' }
  );

/** Whether a field is shown now (its `when` select has the value, or it has none). */
export const shown = (form: Form, f: Field) => !f.when || form.text[f.when[0]] === f.when[1];

export interface Form {
  /** The path after /procedures/:id/. */
  path: string;
  title: string;
  /** A line above the fields (e.g. whose consent is recorded). */
  note?: string;
  fields: Field[];
  text: Record<string, string>;
  lists: Record<string, string[]>;
  people: Record<string, Participants>;
  docs: Record<string, DocumentRow[]>;
  /** Sent as given (ids the form is about). */
  fixed: Record<string, unknown>;
}

/** Today's date in China (the service judges dates by it). */
export const todayInChina = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
const addDays = (iso: string, n: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The participants last sent in this page: a county's joint team rarely changes from one parcel to the next. */
let lastTeam: Participants | null = null;
const emptyTeam = (): Participants => ({ forestry: [{ name: '', unit: '', title: '' }], naturalResources: [{ name: '', unit: '', title: '' }], others: [] });
const team = (): Participants => (lastTeam ? (JSON.parse(JSON.stringify(lastTeam)) as Participants) : emptyTeam());

/** 三调 shrubland (0305 灌木林地, 0306 灌丛沼泽) is accepted on its cover, planted trees on survival (as the API). */
const isShrub = (forestClass: string | null | undefined) => !!forestClass && ['0305', '0306'].includes(forestClass.toUpperCase());

const PARTICIPANTS: Field = { key: 'participants', label: '参加人员（林业、自然资源部门均须登记）', kind: 'participants' };
const ACT_DOCS = (label = '依据文件'): Field => ({ key: 'documents', label, kind: 'documents' });
const YEAR = String(new Date().getFullYear());

/** Checks a–g the county government may pass over at 核实 (labels as the service's CHECK_LABELS). */
export const OVERRIDABLE_CHECKS: [string, string][] = [['geometry', '几何检查'], ['area', '面积（椭球面积）'], ['not-forest', '非现状林地'], ['ownership', '权属明晰'], ['jurisdiction', '行政区划']];

export const RIGHT_KINDS: [string, string][] = [['mining', '采矿权人'], ['contract', '土地承包经营权人'], ['use', '土地使用权人']];

/** The form of an act on the parcel, with defaults from what the parcel already records. */
export function formFor(action: string, d: Detail, about?: { holder?: Holder; objectionId?: string }): Form | null {
  const today = todayInChina();
  const form = (path: string, title: string, fields: Field[], text: Record<string, string> = {}, extra: Partial<Form> = {}): Form => ({
    path,
    title,
    fields,
    text: Object.fromEntries(fields.filter((f) => !['participants', 'documents', 'multi'].includes(f.kind)).map((f) => [f.key, text[f.key] ?? (f.kind === 'date' ? today : f.kind === 'year' ? YEAR : '')])),
    lists: Object.fromEntries(fields.filter((f) => f.kind === 'multi').map((f) => [f.key, []])),
    people: Object.fromEntries(fields.filter((f) => f.kind === 'participants').map((f) => [f.key, team()])),
    docs: Object.fromEntries(fields.filter((f) => f.kind === 'documents').map((f) => [f.key, [{ title: '', number: '' }]])),
    fixed: {},
    ...extra,
  });
  const prior = d.priorRestoration;
  switch (action) {
    case 'verify':
      return form('verify', '核实（林业、自然资源等部门内外业核实）', [{ key: 'verifiedOn', label: '核实日期', kind: 'date' }, PARTICIPANTS, { key: 'notes', label: '核实意见', kind: 'textarea' }]);
    case 'override-approvals':
      // Source (来源可靠) and overlap (重复申报) are never overridable, so they are not offered.
      return form('override-approvals', '县级人民政府批准越过核实检查项', [
        { key: 'checks', label: '批准越过的检查项', kind: 'multi', options: OVERRIDABLE_CHECKS },
        { key: 'reason', label: '批准理由（至少10个字）', kind: 'textarea' },
        ACT_DOCS('证明材料（写明文件名称和文号）'),
        { key: 'approvedOn', label: '批准日期', kind: 'date' },
      ]);
    case 'publicize':
      // Two publicities ("在地块所在自然村、村委会所在地进行公示"), each with its period. The seed sets no
      // length: the end date is only pre-filled a week on, to be edited.
      return form(
        'publicize',
        '公示（地块所在自然村、村委会所在地两处）',
        [
          { key: 'naturalVillage.name', label: '地块所在自然村', kind: 'text' },
          { key: 'naturalVillage.from', label: '自然村公示开始', kind: 'date' },
          { key: 'naturalVillage.to', label: '自然村公示结束', kind: 'date' },
          { key: 'villageCommittee.name', label: '村委会所在地', kind: 'text' },
          { key: 'villageCommittee.from', label: '村委会公示开始', kind: 'date' },
          { key: 'villageCommittee.to', label: '村委会公示结束', kind: 'date' },
          { key: 'notes', label: '备注', kind: 'textarea' },
        ],
        { 'naturalVillage.to': addDays(today, 7), 'villageCommittee.to': addDays(today, 7) },
      );
    case 'objections':
      return form('objections', '登记公示异议', [{ key: 'receivedOn', label: '收到日期', kind: 'date' }, { key: 'objector', label: '异议人', kind: 'text' }, { key: 'content', label: '异议内容', kind: 'textarea' }]);
    case 'decision':
      return form(
        `objections/${about?.objectionId ?? ''}/decision`,
        '认定公示异议',
        [
          { key: 'decision', label: '认定结果', kind: 'select', options: [['dismissed', '异议不成立'], ['upheld', '异议成立（终止办理）']] },
          { key: 'reason', label: '认定理由', kind: 'textarea' },
          { key: 'decidedOn', label: '认定日期', kind: 'date' },
        ],
        { decision: 'dismissed' },
      );
    case 'rights-holders':
      return form(
        'rights-holders',
        '增补相关权利人（权属单位由核实时的权属检查列出）',
        [
          { key: 'kind', label: '权利类型', kind: 'select', options: RIGHT_KINDS },
          { key: 'name', label: '权利人名称', kind: 'text' },
          { key: 'code', label: '代码（信用代码、身份证号、采矿许可证号或合同编号）', kind: 'text' },
          { key: 'document.title', label: '权利证明名称', kind: 'text' },
          { key: 'document.number', label: '权利证明编号', kind: 'text' },
        ],
        { kind: 'mining' },
      );
    case 'consents': {
      const h = about?.holder;
      if (!h) return null;
      return form(
        'consents',
        '登记权利人同意',
        [
          { key: 'signatory', label: '签署人', kind: 'text' },
          { key: 'consentedOn', label: '同意日期', kind: 'date' },
          { key: 'document.title', label: '同意书名称', kind: 'text' },
          { key: 'document.number', label: '同意书编号', kind: 'text' },
        ],
        { 'document.title': '权利人同意书' },
        { fixed: { holderId: h.id }, note: `权利人：${h.kindLabel} ${h.name}（${h.code}）` },
      );
    }
    case 'confirm':
      return form('confirm', '确认（县级人民政府批准）', [{ key: 'confirmedOn', label: '批准日期', kind: 'date' }, ACT_DOCS('批准文件')]);
    case 'afforest':
      return form(
        'afforest',
        '造林（林业、自然资源等部门组织相关权利人实施）',
        [
          { key: 'forestClass', label: '林地地类（如0301乔木林地、0305灌木林地）', kind: 'text' },
          { key: 'species', label: '树种（逗号分隔）', kind: 'list' },
          { key: 'plantedOn', label: '造林日期', kind: 'date' },
          { key: 'areaM2', label: '造林面积（平方米）', kind: 'number' },
          { key: 'restorer.name', label: '修复主体（谁修复、谁受益）', kind: 'text' },
          { key: 'restorer.kind', label: '主体类型（企业、政府、个人等）', kind: 'text' },
          PARTICIPANTS,
        ],
        {
          forestClass: '0301',
          plantedOn: prior?.restoredOn ?? today,
          areaM2: d.areaOfRecord ? String(d.areaOfRecord.m2) : '',
          'restorer.name': prior?.restorer.name ?? '',
          'restorer.kind': prior?.restorer.kind ?? '',
        },
      );
    case 'accept': {
      const shrub = isShrub(d.afforestation?.forestClass);
      return form(
        'accept',
        '验收（县级林业、自然资源等部门联合验收）',
        [
          { key: 'acceptedOn', label: '验收日期', kind: 'date' },
          PARTICIPANTS,
          { key: 'measuredAreaM2', label: '验收实测面积（平方米）', kind: 'number' },
          shrub
            ? { key: 'coveragePct', label: '灌木覆盖度（%，≥40%合格）', kind: 'number' }
            : { key: 'survivalRatePct', label: '造林成活率（%，≥85%合格）', kind: 'number' },
          ACT_DOCS('验收材料（验收报告或意见，写明文号）'),
          { key: 'notes', label: '验收意见', kind: 'textarea' },
        ],
        { measuredAreaM2: d.afforestation?.area ? String(d.afforestation.area.m2) : d.areaOfRecord ? String(d.areaOfRecord.m2) : '' },
      );
    }
    case 'survey-change':
      return form('survey-change', '变更：年度土地变更调查地类变更（县级自然资源主管部门）', [
        { key: 'changeYear', label: '变更调查年份', kind: 'year' },
        { key: 'changedOn', label: '地类变更日期', kind: 'date' },
        ACT_DOCS('变更调查成果'),
      ]);
    case 'change':
      return form(
        'change',
        '变更：“一张图”年度更新由非林地变更为林地（县级林业部门）',
        [{ key: 'changeYear', label: '年份（默认同变更调查）', kind: 'year' }, { key: 'changedOn', label: '变更日期', kind: 'date' }],
        { changeYear: d.changeYear ? String(d.changeYear) : '' },
      );
    case 'reserve':
      return form('reserve', '入库（县级补充林地储备库）', [{ key: 'reserveYear', label: '入库年度', kind: 'year' }, { key: 'reservedOn', label: '入库日期', kind: 'date' }]);
    case 'withdraw':
      return form('withdraw', '撤回', [{ key: 'reason', label: '撤回理由', kind: 'textarea' }]);
    case 'reject':
      return form('reject', '否决', [{ key: 'reason', label: '否决理由', kind: 'textarea' }]);
    default:
      return null;
  }
}

/** A candidate parcel the township may apply for (the OGC candidates collection's properties). */
export interface Candidate { id: string; parcelNo: string; status: string; areaM2: number | null }

const PRIOR: [string, string] = ['prior', 'yes'];

/**
 * 申请 (township → county), on one of the township's candidate parcels; optionally land restored
 * before the application ("已经实施生态修复，恢复森林植被的采矿用地", 001 §三(三)1) with its date,
 * restorer and evidence.
 */
export function applicationForm(candidates: [string, string][]): Form {
  const fields: Field[] = [
    { key: 'candidateParcelId', label: '候选地块', kind: 'select', options: candidates },
    { key: 'appliedOn', label: '申请日期', kind: 'date' },
    { key: 'documents', label: '申请材料（写明文件名称和文号）', kind: 'documents' },
    { key: 'notes', label: '申请说明', kind: 'textarea' },
    { key: 'prior', label: '申请前是否已实施生态修复、恢复森林植被', kind: 'select', options: [['no', '否'], ['yes', '是（已修复的采矿用地）']] },
    { key: 'prior.restoredOn', label: '修复（造林）日期（不晚于申请日期）', kind: 'date', when: PRIOR },
    { key: 'prior.restorerName', label: '修复主体（谁修复、谁受益）', kind: 'text', when: PRIOR },
    { key: 'prior.restorerKind', label: '主体类型（企业、政府、个人等）', kind: 'text', when: PRIOR },
    { key: 'prior.documents', label: '修复证明材料（至少一份写明文件名称和编号）', kind: 'documents', when: PRIOR },
  ];
  const today = todayInChina();
  return {
    path: '',
    title: '申请补充林地（乡镇人民政府）',
    fields,
    text: { candidateParcelId: candidates[0]?.[0] ?? '', appliedOn: today, notes: '', prior: 'no', 'prior.restoredOn': today, 'prior.restorerName': '', 'prior.restorerKind': '' },
    lists: {},
    people: {},
    docs: { documents: [{ title: '', number: '' }], 'prior.documents': [{ title: '', number: '' }] },
    fixed: {},
  };
}

const docsOf = (rows: DocumentRow[]) => rows.filter((x) => x.title.trim()).map((x) => ({ title: x.title.trim(), ...(x.number.trim() ? { number: x.number.trim() } : {}) }));

/** The body of POST /procedures: blank inputs left out; the prior restoration only when 是. */
export function applicationBody(form: Form): Record<string, unknown> {
  const t = (k: string) => form.text[k]?.trim() ?? '';
  const body: Record<string, unknown> = { candidateParcelId: t('candidateParcelId') };
  if (t('appliedOn')) body.appliedOn = t('appliedOn');
  if (t('notes')) body.notes = t('notes');
  const docs = docsOf(form.docs.documents ?? []);
  if (docs.length) body.documents = docs;
  if (t('prior') === 'yes') {
    // Restorer name and kind go as typed (even empty): the server names what is missing, in Chinese.
    body.priorRestoration = {
      ...(t('prior.restoredOn') ? { restoredOn: t('prior.restoredOn') } : {}),
      restorer: { name: t('prior.restorerName'), kind: t('prior.restorerKind') },
      documents: docsOf(form.docs['prior.documents'] ?? []),
    };
  }
  return body;
}

const trimmed = (p: Participant): Participant => ({ name: p.name.trim(), ...(p.unit?.trim() ? { unit: p.unit.trim() } : {}), ...(p.title?.trim() ? { title: p.title.trim() } : {}) });

/** The JSON body of a form: `a.b` keys nest, numbers and lists are parsed, empty inputs left out. */
export function bodyOf(form: Form): Record<string, unknown> {
  const body: Record<string, unknown> = { ...form.fixed };
  for (const f of form.fields) {
    let value: unknown;
    if (f.kind === 'participants') {
      const p = form.people[f.key]!;
      const named = (list: Participant[]) => list.filter((x) => x.name.trim()).map(trimmed);
      const others = named(p.others);
      // Both departments are always sent (an empty one is named by the guard, in Chinese).
      value = { forestry: named(p.forestry), naturalResources: named(p.naturalResources), ...(others.length ? { others } : {}) };
    } else if (f.kind === 'multi') {
      value = [...form.lists[f.key]!];
    } else if (f.kind === 'documents') {
      const docs = form.docs[f.key]!.filter((x) => x.title.trim()).map((x) => ({ title: x.title.trim(), ...(x.number.trim() ? { number: x.number.trim() } : {}) }));
      if (!docs.length) continue;
      value = docs;
    } else {
      const v = form.text[f.key]?.trim();
      if (!v) continue;
      value = f.kind === 'year' || f.kind === 'number' ? Number(v) : f.kind === 'list' ? v.split(/[,，、]/).map((x) => x.trim()).filter(Boolean) : v;
    }
    const [head, tail] = f.key.split('.') as [string, string | undefined];
    const prev = body[head];
    body[head] = tail ? { ...(typeof prev === 'object' ? prev : {}), [tail]: value } : value;
  }
  return body;
}

/** Remembers the participants of an act that went through, for the next form. */
export function rememberTeam(form: Form): void {
  const p = form.people.participants;
  if (p) lastTeam = JSON.parse(JSON.stringify(p)) as Participants;
}

/** 林业部门：张三（县林业局）、李四；自然资源部门：王五 */
export function teamText(p: Partial<Participants> | undefined): string {
  if (!p) return '';
  const names = (l: Participant[] | undefined) => (l ?? []).map((x) => `${x.name}${x.unit ? `（${x.unit}）` : ''}`).join('、');
  return [
    ['林业部门', p.forestry],
    ['自然资源部门', p.naturalResources],
    ['其他', p.others],
  ]
    .filter(([, l]) => (l as Participant[] | undefined)?.length)
    .map(([label, l]) => `${label as string}：${names(l as Participant[])}`)
    .join('；');
}
