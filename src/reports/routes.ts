import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { requireUser } from '../auth/plugin.js';
import { emptyBodyAsObject } from '../http/strict-body.js';
import * as S from './schemas.js';
import * as service from './service.js';
import { sendTables } from './tabular.js';
import * as view from './view.js';

/** The seeds' reports (issue 10, point 9): JSON, or the same as CSV/XLSX tables (`format`). */
export const reportRoutes: FastifyPluginAsync<{ pool: pg.Pool }> = async (fastify, { pool }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/counties/:county/annual-arrangements/:year', { schema: S.ArrangeRoute }, async (req, reply) =>
    reply.status(201).send(view.arrangementView(await service.arrange(pool, requireUser(req), req.params.county, req.params.year, req.body))),
  );
  app.get('/counties/:county/annual-arrangements/:year', { schema: S.ArrangementRoute }, async (req, reply) => {
    const json = view.arrangementView(await service.arrangement(pool, requireUser(req), req.params.county, req.params.year));
    return sendTables(reply, req.query.format, view.arrangementTables(json), json);
  });
  app.get('/cities/:city/annual-report/:year', { schema: S.CityReportRoute }, async (req, reply) => {
    const json = view.cityReportView(await service.cityReport(pool, requireUser(req), req.params.city, req.params.year));
    return sendTables(reply, req.query.format, view.cityReportTables(json), json);
  });
  app.post(
    '/cities/:city/annual-report/:year/submit',
    // The body is optional: no body at all is an empty one.
    { schema: S.SubmitCityReportRoute, preValidation: emptyBodyAsObject },
    async (req, reply) => reply.status(201).send(await service.submitCityReport(pool, requireUser(req), req.params.city, req.params.year, req.body ?? {})),
  );
  app.get('/evaluation-reports/:year', { schema: S.EvaluationRoute }, async (req, reply) => {
    const json = view.evaluationView(await service.evaluation(pool, requireUser(req), req.params.year));
    return sendTables(reply, req.query.format, view.evaluationTables(json), json);
  });
};
