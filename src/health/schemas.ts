import { Type } from '@fastify/type-provider-typebox';
import { ProblemSchema } from '../http/schemas.js';

/** Public: up or down, nothing else (versions and database errors help an attacker, not a load balancer). */
const Status = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('down')]) });

const Detail = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  database: Type.Object({ ok: Type.Boolean(), postgis: Type.Optional(Type.String()), error: Type.Optional(Type.String()) }),
  gdal: Type.String(),
});

export const StatusRoute = {
  tags: ['health'],
  summary: '服务是否可用（公开，仅ok/down）',
  description: '公开接口，只回答服务与数据库是否可用：200 {"status":"ok"}或503 {"status":"down"}。版本与数据库错误见需要省级管理员令牌的 GET /api/v1/health。',
  security: [],
  response: { 200: Status, 503: Status },
};

export const DetailRoute = {
  tags: ['health'],
  summary: '服务运行详情：PostGIS与GDAL版本、数据库错误（仅省级管理员）',
  description: '需要省级管理员的访问令牌；其他角色返回403。数据库不可用时返回503及错误信息。',
  response: { 200: Detail, 503: Detail, 401: ProblemSchema, 403: ProblemSchema },
};
