import { Type, type TSchema } from '@fastify/type-provider-typebox';

/**
 * GeoJSON answers, documented for OpenAPI. Geometries and properties stay open
 * (additionalProperties): the serializer then writes them as they come, members such as a
 * geometry's `crs` included.
 */
export const GeoJsonGeometry = Type.Object(
  {
    type: Type.String({ description: 'Point、MultiPolygon、GeometryCollection等' }),
    coordinates: Type.Optional(Type.Array(Type.Unknown())),
  },
  { additionalProperties: true, description: 'GeoJSON几何（EPSG:4490经纬度）' },
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
    features: Type.Array(GeoJsonFeature(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]))),
  },
  { additionalProperties: true, description: 'GeoJSON FeatureCollection' },
);
