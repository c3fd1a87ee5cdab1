/**
 * Who may call what. Every route of the API has an entry here, keyed `METHOD /path` exactly as the
 * route is registered (Fastify's `:param` form); the authentication hook (src/auth/plugin.ts)
 * refuses a role outside the entry with 403 before the body is read, and the app refuses to start
 * when a route that is not public has no entry, so a new route cannot be added without saying who
 * may call it. `'any-user'`: every authenticated user; row-level security still confines the rows.
 *
 * Services keep their finer checks: the procedure's state machine (src/domain/procedure), whose
 * route entries are the roles that may take the action from some state; the audit level (city or
 * province) of a reserve audit; the layers a township may export.
 */
import { ROLES, type Role } from './procedure/actors.js';
import { ACTIONS } from './procedure/state-machine.js';

/** Who may do what outside the procedure (the procedure's own rules are in domain/procedure). */
export const PERMISSIONS = {
  serviceDetails: ['province-admin'],
  importLayers: ['county-forestry', 'province-admin'],
  uploadCandidates: ['township', 'county-forestry', 'province-admin'],
  runChecks: ROLES,
  /** Objections to a publicity and rights holders' consents are recorded by the township or the county forestry bureau. */
  recordObjection: ['township', 'county-forestry'],
  recordConsent: ['township', 'county-forestry'],
  /** 相关权利人 the survey does not show (承包经营权人、使用权人、采矿权人) are added by the county forestry bureau. */
  addRightsHolder: ['county-forestry'],
  /** …and a holder it added in error is removed by it, before 确认, with a reason (owners from the ownership check never). */
  removeRightsHolder: ['county-forestry'],
  /** Passing over a failed verification check: the county government alone (domain/procedure/overrides.ts, OVERRIDE_APPROVER). */
  approveOverride: ['county-government'],
  submitReserve: ['county-forestry'],
  /** 经县（市、区）政府审核后，由县（市、区）林业主管部门……报市级 (001 §三(三)2): the county government approves the submission. */
  approveReserve: ['county-government'],
  /** 市级林业、自然资源部门抽查30%的面积 / 省级林业、自然资源部门抽查15%的面积 (001 §三(三)2). */
  cityAudit: ['city', 'city-natural-resources'],
  provinceAudit: ['province-reviewer', 'province-admin', 'province-natural-resources'],
  issueQuota: ['province-admin'],
  allocatePool: ['province-admin'],
  requestPool: ['county-forestry', 'province-admin'],
  drawQuota: ['county-forestry', 'province-admin'],
  recordUse: ['county-forestry', 'province-admin'],
  /** 对已纳入补充林地储备库的地块，省、市将集中组织核查考评 (000): the city and the province inspect, not the county itself. */
  inspect: ['city', 'province-reviewer', 'province-admin'],
  lapse: ['province-admin'],
  publishCheckParameters: ['province-admin'],
  annualSummary: ['county-forestry'],
  /** 对本年度拟使用林地的项目、面积和补充林地作出统筹安排 (000 §五): the county forestry bureau. */
  annualArrangement: ['county-forestry'],
  /**
   * 设区市林业部门梳理汇总2月初报省级林业部门 (001 §三(三)5): the city forestry bureau writes it; both
   * departments of the city and the province read it (their checks are joint: 林业、自然资源等部门).
   */
  cityReport: ['city', 'city-natural-resources', 'province-reviewer', 'province-admin', 'province-natural-resources'],
  submitCityReport: ['city'],
  /** 省、市将集中组织核查考评 (000); the province's 试点评估报告 (001 §四(三)): a city sees its counties. */
  evaluationReport: ['city', 'city-natural-resources', 'province-reviewer', 'province-admin', 'province-natural-resources'],
  /** Exports: every role; a township only the layers of its own township (the export service checks). */
  exportLayers: ROLES,
  /** Everyone but townships; the natural-resources departments read what the forestry role of their level reads. */
  readQuota: ROLES.filter((r) => r !== 'township'),
  /** Reserve submissions, city/province audits, the county's annual summary and forest stock: not townships. */
  readReserve: ROLES.filter((r) => r !== 'township'),
} as const satisfies Record<string, readonly Role[]>;

export type RoutePermission = readonly Role[] | 'any-user';

/** The roles of either list, in ROLES order. */
const union = (...lists: (readonly Role[])[]): readonly Role[] => ROLES.filter((r) => lists.some((l) => l.includes(r)));
/** Either audit level: the audit's level decides which one applies (src/reserve/service.ts). */
const auditors = union(PERMISSIONS.cityAudit, PERMISSIONS.provinceAudit);

const API = '/api/v1';

/** Every route that is not public, and who may call it. */
export const ROUTE_PERMISSIONS: Readonly<Record<string, RoutePermission>> = {
  [`GET ${API}/health`]: PERMISSIONS.serviceDetails,
  [`GET ${API}/me`]: 'any-user',

  // imports and layers
  [`POST ${API}/imports`]: PERMISSIONS.importLayers,
  [`GET ${API}/imports`]: 'any-user',
  [`GET ${API}/imports/:id`]: 'any-user',
  [`GET ${API}/imports/:id/rejects`]: 'any-user',
  [`GET ${API}/imports/:id/repairs`]: 'any-user',
  [`GET ${API}/imports/:id/quality`]: 'any-user',
  [`GET ${API}/layers`]: 'any-user',
  [`GET ${API}/counties/:county/dltb/:year/land-classes`]: 'any-user',

  // candidate parcels and their checks
  [`POST ${API}/candidate-uploads`]: PERMISSIONS.uploadCandidates,
  [`GET ${API}/candidate-uploads/:id`]: 'any-user',
  [`POST ${API}/candidate-uploads/:id/check-runs`]: PERMISSIONS.runChecks,
  [`GET ${API}/candidate-uploads/:id/check-runs`]: 'any-user',
  [`GET ${API}/candidate-uploads/:id/report`]: 'any-user',
  [`GET ${API}/candidate-parcels/:id/report`]: 'any-user',
  [`GET ${API}/check-parameters`]: 'any-user',
  [`GET ${API}/check-parameters/versions`]: 'any-user',
  [`POST ${API}/check-parameters/versions`]: PERMISSIONS.publishCheckParameters,

  // restoration, exports
  [`GET ${API}/counties/:county/restorable-mining-land/summary`]: 'any-user',
  [`GET ${API}/counties/:county/restorable-mining-land`]: 'any-user',
  [`POST ${API}/exports`]: PERMISSIONS.exportLayers,
  [`GET ${API}/exports/:id`]: 'any-user',
  [`GET ${API}/exports/:id/file`]: 'any-user',

  // the procedure: the roles of the state machine's action (the service checks the state too)
  [`POST ${API}/procedures`]: ACTIONS.apply.roles,
  [`GET ${API}/procedures`]: 'any-user',
  [`GET ${API}/procedures/:id`]: 'any-user',
  [`POST ${API}/procedures/:id/verify`]: ACTIONS.verify.roles,
  [`POST ${API}/procedures/:id/override-approvals`]: PERMISSIONS.approveOverride,
  [`POST ${API}/procedures/:id/publicize`]: ACTIONS.publicize.roles,
  [`POST ${API}/procedures/:id/objections`]: PERMISSIONS.recordObjection,
  [`POST ${API}/procedures/:id/objections/:objectionId/decision`]: ACTIONS['uphold-objection'].roles,
  [`POST ${API}/procedures/:id/rights-holders`]: PERMISSIONS.addRightsHolder,
  [`POST ${API}/procedures/:id/rights-holders/:holderId/removal`]: PERMISSIONS.removeRightsHolder,
  [`POST ${API}/procedures/:id/consents`]: PERMISSIONS.recordConsent,
  [`POST ${API}/procedures/:id/confirm`]: ACTIONS.confirm.roles,
  [`POST ${API}/procedures/:id/afforest`]: ACTIONS.afforest.roles,
  [`POST ${API}/procedures/:id/accept`]: ACTIONS.accept.roles,
  [`POST ${API}/procedures/:id/survey-change`]: ACTIONS['survey-change'].roles,
  [`POST ${API}/procedures/:id/change`]: ACTIONS.change.roles,
  [`POST ${API}/procedures/:id/reserve`]: ACTIONS.reserve.roles,
  [`POST ${API}/procedures/:id/withdraw`]: ACTIONS.withdraw.roles,
  [`POST ${API}/procedures/:id/reject`]: ACTIONS.reject.roles,
  [`GET ${API}/procedures/:id/audit-log`]: 'any-user',

  // the reserve
  [`GET ${API}/counties/:county/reserve`]: 'any-user',
  [`POST ${API}/counties/:county/reserve-submissions`]: PERMISSIONS.submitReserve,
  [`GET ${API}/reserve-submissions`]: PERMISSIONS.readReserve,
  [`GET ${API}/reserve-submissions/:id`]: PERMISSIONS.readReserve,
  [`POST ${API}/reserve-submissions/:id/approve`]: PERMISSIONS.approveReserve,
  [`POST ${API}/reserve-submissions/:id/audits`]: auditors,
  [`GET ${API}/audits/:id`]: PERMISSIONS.readReserve,
  [`POST ${API}/audits/:id/results`]: auditors,
  [`POST ${API}/audits/:id/complete`]: auditors,

  // quota
  [`POST ${API}/quota/national-allocations`]: PERMISSIONS.issueQuota,
  [`GET ${API}/quota/national-allocations`]: PERMISSIONS.readQuota,
  [`POST ${API}/quota/issuances`]: PERMISSIONS.issueQuota,
  [`GET ${API}/quota/issuances`]: PERMISSIONS.readQuota,
  [`GET ${API}/quota/issuances/:id`]: PERMISSIONS.readQuota,
  [`GET ${API}/counties/:county/quota`]: PERMISSIONS.readQuota,
  [`POST ${API}/counties/:county/quota/draws`]: PERMISSIONS.drawQuota,
  [`GET ${API}/counties/:county/quota/draws`]: PERMISSIONS.readQuota,
  [`POST ${API}/quota/draws/:id/use`]: PERMISSIONS.recordUse,
  [`GET ${API}/quota/idle-uses`]: PERMISSIONS.readQuota,
  [`POST ${API}/quota/inspections`]: PERMISSIONS.inspect,
  [`GET ${API}/quota/inspections`]: PERMISSIONS.readQuota,
  [`POST ${API}/quota/pool/requests`]: PERMISSIONS.requestPool,
  [`POST ${API}/quota/pool/allocations`]: PERMISSIONS.allocatePool,
  [`GET ${API}/quota/pool`]: PERMISSIONS.readQuota,
  [`POST ${API}/quota/lapse`]: PERMISSIONS.lapse,

  // ledger and reports
  [`GET ${API}/counties/:county/ledger`]: PERMISSIONS.readQuota,
  [`GET ${API}/ledger/province`]: PERMISSIONS.readQuota,
  [`GET ${API}/ledger/province/map`]: PERMISSIONS.readQuota,
  [`GET ${API}/counties/:county/annual-summary/:year`]: PERMISSIONS.readReserve,
  [`POST ${API}/counties/:county/annual-summary/:year/submit`]: PERMISSIONS.annualSummary,
  [`GET ${API}/counties/:county/forest-stock`]: PERMISSIONS.readReserve,

  // the seeds' reports (issue 10, point 9)
  [`POST ${API}/counties/:county/annual-arrangements/:year`]: PERMISSIONS.annualArrangement,
  [`GET ${API}/counties/:county/annual-arrangements/:year`]: PERMISSIONS.readReserve,
  [`GET ${API}/cities/:city/annual-report/:year`]: PERMISSIONS.cityReport,
  [`POST ${API}/cities/:city/annual-report/:year/submit`]: PERMISSIONS.submitCityReport,
  [`GET ${API}/evaluation-reports/:year`]: PERMISSIONS.evaluationReport,
  [`GET ${API}/audit-log`]: 'any-user',

  // OGC API – Features and vector tiles: every user; row-level security confines the collections and their features
  'GET /ogc': 'any-user',
  'GET /ogc/conformance': 'any-user',
  'GET /ogc/api': 'any-user',
  'GET /ogc/collections': 'any-user',
  'GET /ogc/collections/:collectionId': 'any-user',
  'GET /ogc/collections/:collectionId/items': 'any-user',
  'GET /ogc/collections/:collectionId/items/:featureId': 'any-user',
  'GET /ogc/collections/:collectionId/tiles/WebMercatorQuad': 'any-user',
  'GET /ogc/collections/:collectionId/tiles/WebMercatorQuad/:z/:y/:x': 'any-user',
  'GET /ogc/tileMatrixSets': 'any-user',
  'GET /ogc/tileMatrixSets/WebMercatorQuad': 'any-user',
};

/** The entry of a matched route (HEAD answers as its GET); undefined when the table has none. */
export function routePermission(method: string, url: string): RoutePermission | undefined {
  return ROUTE_PERMISSIONS[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}

