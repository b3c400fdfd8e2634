// Istio's check of a Telemetry access log filter (validation_istiod.go validateTelemetryFilter):
// the expression must parse as CEL (cel-go's Parse, without a type check). @bufbuild/cel is the
// same grammar; what Envoy's CEL builder refuses beyond parsing is src/xds/validate's to judge.
import { parse } from '@bufbuild/cel';

/** Why `expression` is not CEL (the parser's message), or undefined when it parses. */
export function celProblem(expression: string): string | undefined {
  if (expression.trim() === '') return 'the expression is empty';
  try {
    parse(expression);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
