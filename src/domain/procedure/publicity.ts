/**
 * 公示 at both places (issue 10 point 8). Jiangxi scheme (seeds/001) §三(二)2(3): "对拟补充林地的地块要在
 * 地块所在自然村、村委会所在地进行公示". Reading: two publicities, one in the natural village (自然村)
 * where the parcel lies and one at the village committee's seat (村委会所在地), each recorded with the
 * place's name and its own period; the period guard applies to each. The parcel's publicity runs from
 * the earlier start to the later end: objections count from the first start, and 确认 waits until
 * both have ended.
 */
import { isIsoDate } from './deadlines.js';
import type { GuardFailure } from './state-machine.js';

export const PUBLICITY_PLACES = {
  'natural-village': '地块所在自然村',
  'village-committee': '村委会所在地',
} as const;
export type PublicityPlaceKind = keyof typeof PUBLICITY_PLACES;
export const PUBLICITY_PLACE_KINDS = Object.keys(PUBLICITY_PLACES) as PublicityPlaceKind[];

export interface PublicityAt {
  name: string;
  from: string;
  to: string;
}

export interface PublicityPlace extends PublicityAt {
  kind: PublicityPlaceKind;
}

/** Each place present, named, with a valid period that has started. */
export function publicizeGuards(places: Partial<Record<PublicityPlaceKind, PublicityAt>>, today: string): GuardFailure[] {
  const out: GuardFailure[] = [];
  for (const kind of PUBLICITY_PLACE_KINDS) {
    const label = PUBLICITY_PLACES[kind];
    const at = places[kind];
    if (!at) {
      out.push({ guard: 'publicity-place', reason: `须在${label}公示并登记（${kind}：地点名称与起止日期）；试点方案要求“在地块所在自然村、村委会所在地进行公示”` });
      continue;
    }
    if (!at.name.trim()) out.push({ guard: 'publicity-place', reason: `须写明${label}的名称` });
    if (!isIsoDate(at.from) || !isIsoDate(at.to)) out.push({ guard: 'publicity-period-valid', reason: `${label}公示起止日期应为YYYY-MM-DD格式的有效日期` });
    else if (at.to < at.from) out.push({ guard: 'publicity-period-valid', reason: `${label}公示结束日期${at.to}早于开始日期${at.from}` });
    else if (at.from > today) out.push({ guard: 'publicity-period-valid', reason: `${label}公示开始日期${at.from}晚于今天（${today}），请在公示开始后登记` });
  }
  return out;
}

/** The places in order, and the span from the earliest start to the latest end. */
export function publicitySpan(places: Record<PublicityPlaceKind, PublicityAt>): { places: PublicityPlace[]; from: string; to: string; text: string } {
  const list = PUBLICITY_PLACE_KINDS.map((kind) => ({ kind, name: places[kind].name.trim(), from: places[kind].from, to: places[kind].to }));
  return {
    places: list,
    from: list.map((p) => p.from).sort()[0]!,
    to: list.map((p) => p.to).sort().at(-1)!,
    text: list.map((p) => `${PUBLICITY_PLACES[p.kind]}：${p.name}（${p.from}至${p.to}）`).join('；'),
  };
}
