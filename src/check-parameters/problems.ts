import { CHECK_THRESHOLD_NAMES } from '../domain/checks/parameters.js';
import { Problem } from '../http/problem.js';

/**
 * The refusal of a threshold named in a request (a check run, a re-run at verification): they come
 * from the parameter set the province published, never from a client — a township posting
 * {"sourceMinShare":0} must not make farmland pass. For `refuseNamedProperties`.
 */
export function thresholdInRequest(key: string): Problem | undefined {
  if (!(CHECK_THRESHOLD_NAMES as readonly string[]).includes(key)) return undefined;
  return new Problem(
    400,
    'check-parameters-not-accepted',
    'Thresholds are not set by a request',
    `检查阈值（${key}）由省级统一发布（GET /api/v1/check-parameters），不能在检查请求中指定`,
    { property: key },
  );
}
