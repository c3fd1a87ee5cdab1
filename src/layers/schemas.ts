import { Type, type Static } from '@fastify/type-provider-typebox';
import { AreaFiguresSchema } from '../candidates/schemas.js';
import { CountyCode, Nullable, SourceCrsView } from '../http/schemas.js';

export const LayerListQuery = Type.Object({ county: Type.Optional(CountyCode()) });

export const LayerVersionView = Type.Object({
  layer: Type.String(),
  layerLabel: Type.String(),
  countyCode: Type.String(),
  surveyYear: Type.Integer(),
  importId: Type.String(),
  sourceName: Type.String(),
  features: Nullable(Type.Integer({ description: '导入的要素数（旧记录可能缺失）' })),
  crs: Type.Union([SourceCrsView, Type.Null()], { description: '导入时判定的源坐标系' }),
  importedAt: Type.String({ format: 'date-time' }),
});
export type LayerVersionViewT = Static<typeof LayerVersionView>;
export const LayerList = Type.Object({ items: Type.Array(LayerVersionView) });


export const LandClassTotals = Type.Object({
  countyCode: Type.String(),
  surveyYear: Type.Integer(),
  total: Type.Object({ parcels: Type.Integer(), area: AreaFiguresSchema }),
  items: Type.Array(Type.Object({ dlbm: Type.String(), dlmc: Type.Union([Type.String(), Type.Null()]), parcels: Type.Integer(), area: AreaFiguresSchema })),
});
export type LandClassTotalsT = Static<typeof LandClassTotals>;
