import { Type, type Static, type TNumber } from '@fastify/type-provider-typebox';
import { CHECK_THRESHOLD_BOUNDS, CHECK_THRESHOLD_NAMES } from '../domain/checks/parameters.js';

/** The nine thresholds, all required, each within its bounds (built from the domain's list). */
export const CheckThresholdsSchema = Type.Object(
  Object.fromEntries(
    CHECK_THRESHOLD_NAMES.map((k) => {
      const b = CHECK_THRESHOLD_BOUNDS[k];
      return [k, Type.Number({ minimum: b.min, maximum: b.max, description: b.label })];
    }),
  ) as Record<(typeof CHECK_THRESHOLD_NAMES)[number], TNumber>,
  { additionalProperties: false, description: '候选地块检查阈值（全部九项）' },
);

export const PublishParameterSetBody = Type.Object(
  {
    parameters: CheckThresholdsSchema,
    reason: Type.String({ minLength: 4, maxLength: 2000, description: '发布理由（文件依据等），记入审计日志' }),
  },
  { additionalProperties: false },
);
export type PublishParameterSet = Static<typeof PublishParameterSetBody>;

export const ParameterSetView = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  parameters: CheckThresholdsSchema,
  validFrom: Type.String({ format: 'date-time' }),
  setBy: Type.String(),
  reason: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  inForce: Type.Boolean({ description: '是否为现行版本' }),
});
export type ParameterSetViewT = Static<typeof ParameterSetView>;

export const ParameterSetList = Type.Object({ items: Type.Array(ParameterSetView) });
