import { Type, type TSchema } from '@fastify/type-provider-typebox';

/**
 * GeoJSON answers, documented for OpenAPI. Geometries and properties stay open
 * (additionalProperties): the serializer then writes them as they come, members such as a
 * geometry's `crs` included.
 */
// Only `type` is declared: the serializer writes declared members first, so declaring coordinates
// would move them before a `crs` member and change the text PostGIS produced.
export const GeoJsonGeometry = Type.Object(
  { type: Type.String({ description: 'Point、MultiPolygon、GeometryCollection等' }) },
  { additionalProperties: true, description: 'GeoJSON几何（EPSG:4490经纬度）：coordinates或geometries' },
);

export const GeoJsonFeature = <P extends TSchema>(properties: P) =>
  Type.Object(
    {
      type: Type.Literal('Feature'),
      id: Type.Optional(Type.Union([Type.String(), Type.Number()])),
      geometry: Type.Union([GeoJsonGeometry, Type.Null()]),
      properties,
    },
    { additionalProperties: true },
  );

/** A FeatureCollection whose features' properties are open. */
export const GeoJsonFeatureCollection = Type.Object(
  {
    type: Type.Literal('FeatureCollection'),
    features: Type.Array(GeoJsonFeature(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: '要素属性：由产生要素的检查或图层决定，各不相同' }))),
  },
  { additionalProperties: true, description: 'GeoJSON FeatureCollection' },
);
