/**
 * The acts the seed gives to "林业、自然资源等部门" jointly, and the joint acceptance's standard.
 *
 * Jiangxi scheme §三(二)2: "(2) 核实。由县级人民政府牵头，组织林业、自然资源等部门对拟补充林地地块进行内外业核实";
 * "(5) 造林。由县级林业、自然资源等部门牵头，组织相关权利人，参照《造林技术规程》等技术规程，对拟补充林地地块实施
 * 生态修复"; "(6) 验收。经县级林业、自然资源等部门联合验收合格的，县级自然资源主管部门在年度土地变更调查更新数据库中
 * 进行地类变更"; §三(三)2: "市级林业、自然资源部门抽查30%的面积进行现场核查……省级林业、自然资源部门抽查15%的面积
 * 进行现场核查". Reading: each of these records who of the forestry department and who of the
 * natural-resources department took part (at least one person of each); "等部门" admits others
 * (township, county government), recorded beside them.
 */
import { isForestLand } from '../land-classes.js';
import { isIsoDate } from './deadlines.js';

export interface Participant {
  name: string;
  unit?: string;
  title?: string;
}

/** Who took part in a joint act, by department. */
export interface Participants {
  forestry: Participant[];
  naturalResources: Participant[];
  others?: Participant[];
}

interface Failure {
  guard: string;
  reason: string;
}

const named = (list: Participant[] | undefined) => (list ?? []).filter((p) => p.name.trim().length > 0);

/** At least one named participant of the forestry and of the natural-resources department. */
export function participantsGuards(p: Participants | undefined, act: string): Failure[] {
  const missing: string[] = [];
  if (named(p?.forestry).length === 0) missing.push('林业部门');
  if (named(p?.naturalResources).length === 0) missing.push('自然资源部门');
  return missing.length
    ? [{ guard: 'participants-both-departments', reason: `${act}由林业、自然资源等部门共同办理，须登记${missing.join('和')}的参加人员` }]
    : [];
}

/** The participants as recorded: names trimmed, blank entries dropped. */
export function cleanParticipants(p: Participants): Participants {
  const clean = (list: Participant[] | undefined) =>
    named(list).map((x) => ({ name: x.name.trim(), ...(x.unit?.trim() ? { unit: x.unit.trim() } : {}), ...(x.title?.trim() ? { title: x.title.trim() } : {}) }));
  const others = clean(p.others);
  return { forestry: clean(p.forestry), naturalResources: clean(p.naturalResources), ...(others.length ? { others } : {}) };
}

// ---------------------------------------------------------------- 验收: the standard

/**
 * What the acceptance measures, by the forest class planted. The seed says only "参照《造林技术规程》"
 * (GB/T 15776, 2016, replaced by 2023): its quality check takes the survival rate (成活率), and a
 * planting with ≥ 85 % survival is 合格 where the mean annual rainfall is over 400 mm (all of
 * Jiangxi; the 70 % of arid regions never applies). Shrubland is judged by its cover, as the class
 * it enters is defined: 三调 (GB/T 21010-2017) 0305 灌木林地 "灌木覆盖度≥40%的林地". Mangroves,
 * forest swamps and 其他林地 (未成林造林地) are planted trees: survival.
 */
export const ACCEPTANCE_STANDARD = {
  survival: { thresholdPct: 85, label: '造林成活率', source: 'GB/T 15776《造林技术规程》：年均降水量400毫米以上地区成活率≥85%为合格' },
  coverage: { thresholdPct: 40, label: '灌木覆盖度', source: 'GB/T 21010-2017《土地利用现状分类》：灌木林地为灌木覆盖度≥40%的林地' },
} as const;
export type AcceptanceMeasure = keyof typeof ACCEPTANCE_STANDARD;

const SHRUB_CLASSES = new Set(['0305', '0306']);

/** The measure the acceptance of a planted forest class takes: cover for shrubland, survival otherwise. */
export const measureFor = (forestClass: string | null): AcceptanceMeasure => (forestClass && SHRUB_CLASSES.has(forestClass.toUpperCase()) ? 'coverage' : 'survival');

export interface AcceptanceInput {
  acceptedOn: string;
  participants?: Participants;
  measuredAreaM2?: number;
  survivalRatePct?: number;
  coveragePct?: number;
  documents: { title: string; number?: string; url?: string }[];
}

export interface AcceptanceRecord {
  participants: Participants;
  measuredAreaM2: number;
  measure: { kind: AcceptanceMeasure; label: string; pct: number; thresholdPct: number; source: string };
}

/**
 * 验收: a joint field acceptance of what was planted — date, participants of both departments,
 * the measured area, the survival rate or cover the standard asks for, and the acceptance's
 * documents (a title with its 文号 or a file). It does not look at the land survey: the survey
 * changes because the parcel was accepted (变更), not before.
 */
export function acceptanceGuards(
  input: AcceptanceInput,
  f: { afforestedOn: string | null; forestClass: string | null; areaOfRecordM2: number | null },
  today: string,
): { failures: Failure[]; record: AcceptanceRecord | null } {
  const out: Failure[] = [];
  if (!isIsoDate(input.acceptedOn) || input.acceptedOn > today) out.push({ guard: 'acceptance-date-valid', reason: `验收日期${input.acceptedOn}无效或晚于今天（${today}）` });
  else if (f.afforestedOn && input.acceptedOn < f.afforestedOn) out.push({ guard: 'acceptance-date-valid', reason: `验收日期${input.acceptedOn}早于造林日期${f.afforestedOn}` });
  out.push(...participantsGuards(input.participants, '验收'));
  const area = input.measuredAreaM2;
  if (area === undefined || !(area > 0)) out.push({ guard: 'measured-area-valid', reason: '须登记验收实测面积（平方米，大于0）' });
  else if (f.areaOfRecordM2 !== null && area > f.areaOfRecordM2 + 0.005) {
    out.push({ guard: 'measured-area-valid', reason: `验收实测面积${area}平方米大于地块面积（椭球面积）${f.areaOfRecordM2}平方米` });
  }
  const kind = measureFor(f.forestClass);
  const std = ACCEPTANCE_STANDARD[kind];
  const pct = kind === 'survival' ? input.survivalRatePct : input.coveragePct;
  const forest = f.forestClass && isForestLand(f.forestClass) ? `（造林地类${f.forestClass}）` : '';
  if (pct === undefined) out.push({ guard: `${kind}-recorded`, reason: `须登记${std.label}${forest}` });
  else if (!(pct >= 0 && pct <= 100)) out.push({ guard: `${kind}-recorded`, reason: `${std.label}${pct}%不在0–100%之间` });
  else if (pct < std.thresholdPct) out.push({ guard: `${kind}-below-standard`, reason: `${std.label}${pct}%低于${std.thresholdPct}%，验收不合格（${std.source}）` });
  if (!input.documents.some((d) => d.title.trim() && (d.number?.trim() || d.url?.trim()))) {
    out.push({ guard: 'acceptance-documents', reason: '须附验收材料（验收报告或验收意见，写明文号或附件）' });
  }
  if (out.length) return { failures: out, record: null };
  return {
    failures: [],
    record: {
      participants: cleanParticipants(input.participants!),
      measuredAreaM2: Math.round(area! * 100) / 100,
      measure: { kind, label: std.label, pct: pct!, thresholdPct: std.thresholdPct, source: std.source },
    },
  };
}
