import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { requireUser } from '../auth/plugin.js';
import type { PilotPeriod } from '../domain/quota/pilot-period.js';
import { sendTables } from '../reports/tabular.js';
import * as S from './schemas.js';
import * as service from './service.js';
import * as view from './view.js';
import { emptyBodyAsObject } from '../http/strict-body.js';

/**
 * Ledger routes. The reports answer JSON, or the same as CSV/XLSX tables (`format`): each builds its
 * JSON view from one service call and hands it, with its tables, to `sendTables`.
 */
export const ledgerRoutes: FastifyPluginAsync<{ pool: pg.Pool; pilot: PilotPeriod }> = async (fastify, { pool, pilot }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/counties/:county/ledger', { schema: S.CountyLedgerRoute }, async (req, reply) => {
    const json = view.countyLedgerView(await service.countyLedger(pool, requireUser(req), pilot, req.params.county));
    return sendTables(reply, req.query.format, view.countyLedgerTables(json), json);
  });
  app.get('/ledger/province', { schema: S.ProvinceSummaryRoute }, async (req, reply) => {
    const json = view.provinceSummaryView(await service.provinceSummary(pool, requireUser(req), pilot, req.query.quotaYear));
    return sendTables(reply, req.query.format, view.provinceSummaryTables(json), json);
  });
  app.get('/ledger/province/map', { schema: S.CountyMapRoute }, async (req, reply) => {
    const { summary, outlines } = await service.countyMap(pool, requireUser(req), pilot, req.query.quotaYear);
    return reply.type('application/geo+json').send(view.countyMapView(summary, outlines));
  });
  app.get('/counties/:county/annual-summary/:year', { schema: S.AnnualSummaryRoute }, async (req, reply) => {
    const { county, year } = req.params;
    const json = view.annualSummaryView(await service.annualSummary(pool, requireUser(req), pilot, county, year));
    return sendTables(reply, req.query.format, view.annualSummaryTables(json), json);
  });
  app.post(
    '/counties/:county/annual-summary/:year/submit',
    {
      schema: S.SubmitAnnualSummaryRoute,
      // The body is optional: no body at all is an empty one.
      preValidation: emptyBodyAsObject,
    },
    async (req, reply) => reply.status(201).send(await service.submitAnnualSummary(pool, requireUser(req), pilot, req.params.county, req.params.year, req.body ?? {})),
  );
  app.get('/counties/:county/forest-stock', { schema: S.ForestStockRoute }, async (req, reply) => {
    const json = view.forestStockView(await service.forestStock(pool, requireUser(req), req.params.county));
    return sendTables(reply, req.query.format, view.forestStockTables(json), json);
  });

  app.get('/audit-log', { schema: S.AuditLogRoute }, async (req) => view.auditLogView(await service.auditLog(pool, requireUser(req), req.query)));
  app.get('/procedures/:id/audit-log', { schema: S.ParcelAuditLogRoute }, async (req) =>
    view.auditLogView(await service.auditLog(pool, requireUser(req), { parcelId: req.params.id, limit: req.query.limit, parcelMustExist: true })),
  );
};
