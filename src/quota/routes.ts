import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { requireUser } from '../auth/plugin.js';
import type { PilotPeriod } from '../domain/quota/pilot-period.js';
import { quotaArea } from '../domain/units.js';
import * as S from './schemas.js';
import * as service from './service.js';
import * as view from './view.js';
import { emptyBodyAsObject } from '../http/strict-body.js';

/** Quota routes: each parses, calls one service function and maps its answer (schemas in schemas.ts). */
export const quotaRoutes: FastifyPluginAsync<{ pool: pg.Pool; pilot: PilotPeriod }> = async (fastify, { pool, pilot }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/quota/national-allocations', { schema: S.NationalAllocationRoute }, async (req, reply) =>
    reply.status(201).send(view.nationalAllocationView(await service.recordNationalAllocation(pool, requireUser(req), req.body))),
  );
  app.get('/quota/national-allocations', { schema: S.NationalAllocationsRoute }, async (req) => ({
    items: (await service.listNationalAllocations(pool, requireUser(req), req.query)).map(view.nationalAllocationView),
  }));

  app.post('/quota/issuances', { schema: S.IssueRoute }, async (req, reply) => {
    const made = await service.issue(pool, requireUser(req), pilot, req.body);
    return reply.status(made.length ? 201 : 200).send({ items: made.map(view.issuanceView) });
  });
  app.get('/quota/issuances', { schema: S.IssuancesRoute }, async (req) => ({ items: (await service.listIssuances(pool, requireUser(req), req.query)).map(view.issuanceView) }));
  app.get('/quota/issuances/:id', { schema: S.IssuanceRoute }, async (req) => view.issuanceDetailView(await service.issuance(pool, requireUser(req), req.params.id)));

  app.get('/counties/:county/quota', { schema: S.CountyQuotaRoute }, async (req) => view.countyQuotaView(await service.countyQuota(pool, requireUser(req), pilot, req.params.county)));

  app.post('/counties/:county/quota/draws', { schema: S.DrawRoute }, async (req, reply) => {
    const r = await service.draw(pool, requireUser(req), pilot, req.params.county, req.body);
    return reply.status(201).send({ ...view.drawView(r.draw), balanceAfter: quotaArea(r.balance) });
  });
  app.get('/counties/:county/quota/draws', { schema: S.DrawsRoute }, async (req) => ({ items: (await service.listDraws(pool, requireUser(req), req.params.county)).map(view.drawView) }));
  app.post('/quota/draws/:id/use', { schema: S.UseRoute }, async (req) => view.drawView(await service.recordUse(pool, requireUser(req), req.params.id, req.body)));
  app.get('/quota/idle-uses', { schema: S.IdleUsesRoute }, async (req) => view.idleUsesView(await service.idleUses(pool, requireUser(req), req.query)));

  app.post('/quota/inspections', { schema: S.InspectRoute }, async (req, reply) =>
    reply.status(201).send(view.inspectionMadeView(await service.inspect(pool, requireUser(req), req.body))),
  );
  app.get('/quota/inspections', { schema: S.InspectionsRoute }, async (req) => view.inspectionListView(await service.listInspections(pool, requireUser(req), req.query)));

  app.post('/quota/pool/requests', { schema: S.PoolRequestRoute }, async (req, reply) =>
    reply.status(201).send(view.poolRequestMadeView(await service.requestPool(pool, requireUser(req), req.body))),
  );
  app.post('/quota/pool/allocations', { schema: S.AllocateRoute }, async (req, reply) =>
    reply.status(201).send(view.allocationRoundView(await service.allocate(pool, requireUser(req), pilot, req.body))),
  );
  app.get('/quota/pool', { schema: S.PoolRoute }, async (req) => view.poolView(await service.poolState(pool, requireUser(req), req.query.quotaYear)));

  app.post(
    '/quota/lapse',
    {
      schema: S.LapseRoute,
      // The body is optional: no body at all is an empty one.
      preValidation: emptyBodyAsObject,
    },
    async (req, reply) => reply.status(201).send(view.lapseView(await service.lapse(pool, requireUser(req), pilot))),
  );
};
