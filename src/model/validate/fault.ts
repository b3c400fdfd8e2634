// An http rule's fault injection, as Istio's validateHTTPFaultInjection,
// validateHTTPFaultInjectionAbort and validateHTTPFaultInjectionDelay
// (pkg/config/validation/validation.go) check it. Findings are MAST2018, MAST2019 for
// percentages, MAST2006 for delays, and a MAST2041 warning where Istio only warns.
import type { FieldReader } from '../parse/read';
import { checkIstioDuration, checkPercentage } from './values';

/** gRPC status names Istio accepts (pkg/util/grpc SupportedGRPCStatus). */
const GRPC_STATUSES = new Set([
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
]);

export interface HttpFaultInjection {
  abort?: { percentage?: { value?: number }; httpStatus?: number; grpcStatus?: string; http2Error?: string };
  delay?: { percentage?: { value?: number }; fixedDelay?: string; exponentialDelay?: string };
}

/**
 * validateHTTPStatus lets a status through from 200 to 600, but Envoy's FaultAbort.http_status and
 * DirectResponseAction.status take [200, 600) and refuse the whole route table otherwise, so Mast
 * refuses 600 too (docs/istio-conformance.md#envoy-status-600).
 */
export function httpStatusProblem(status: number): string | undefined {
  if (status === 600) return 'HTTP status 600 is accepted by Istio but refused by Envoy, which takes 200-599';
  return status < 200 || status > 600 ? `HTTP status ${status} is not in range 200-599` : undefined;
}

export function checkFault(read: FieldReader, fault: HttpFaultInjection | undefined, field: string): void {
  if (!fault) return;
  const { abort, delay } = fault;
  if (!abort && !delay) read.report('MAST2018', field, 'HTTP fault injection must have an abort and/or a delay');
  if (abort) {
    const at = `${field}.abort`;
    checkPercentage(read, abort.percentage, `${at}.percentage`);
    if (abort.grpcStatus !== undefined) {
      if (!GRPC_STATUSES.has(abort.grpcStatus)) read.report('MAST2018', `${at}.grpcStatus`, `gRPC status ${JSON.stringify(abort.grpcStatus)} is not supported; use a name such as NOT_FOUND`);
    } else if (abort.http2Error !== undefined) {
      read.report('MAST2018', `${at}.http2Error`, 'HTTP/2 abort fault injection not supported yet (by Istio)');
    } else if (abort.httpStatus !== undefined) {
      const problem = httpStatusProblem(abort.httpStatus);
      if (problem) read.report('MAST2018', `${at}.httpStatus`, problem);
    } else {
      read.report('MAST2041', at, "abort configured, but error type not set (an Istio warning: validateHTTPFaultInjectionAbort)");
    }
  }
  if (delay) {
    const at = `${field}.delay`;
    checkPercentage(read, delay.percentage, `${at}.percentage`);
    if (delay.fixedDelay !== undefined) checkIstioDuration(read, delay.fixedDelay, `${at}.fixedDelay`);
    else if (delay.exponentialDelay !== undefined) {
      checkIstioDuration(read, delay.exponentialDelay, `${at}.exponentialDelay`);
      read.report('MAST2018', `${at}.exponentialDelay`, 'exponentialDelay not supported yet (by Istio)');
    }
  }
}
