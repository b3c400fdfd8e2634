// One stream's part of a traced push (src/telemetry/push-trace.ts): a `push <proxy id>` span
// under the push's trace, and under it a `send <type>` span per response, from the write until
// the proxy answers its nonce: an ACK ends it, a NACK ends it as an error with Envoy's reason, a
// newer response of the same type supersedes it (Envoy then answers only the newer nonce). The
// push span ends with its last send, so its length is the proxy's convergence. Untraced pushes
// (no trace context) make nothing.
import { SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { pipelineTracer } from '../telemetry/tracing';

interface StreamPush {
  span: Span;
  open: number;
}

interface Send {
  span: Span;
  type: string;
  push: StreamPush;
}

export class StreamSpans {
  private readonly pushes = new Map<Context, StreamPush>();
  private readonly sends = new Map<string, Send>();
  /** The nonce of each type's newest traced response. */
  private readonly latest = new Map<string, string>();

  constructor(private readonly stream: { readonly id: string; readonly transport: 'sotw' | 'delta'; readonly proxy: { id: string } }) {}

  /** A response of `type` with `nonce` (`bytes` long) was written as part of the push traced by `ctx`. */
  sent(ctx: Context | undefined, type: string, nonce: string, bytes: number, generation: number): void {
    // Any newer response of the type, traced or not (a reply to a request), supersedes a traced
    // one: Envoy answers only the newest nonce, so the older send would never end.
    const previous = this.latest.get(type);
    if (previous !== undefined) this.answered(previous, { superseded: true });
    const tracer = ctx && pipelineTracer();
    if (!tracer || !ctx) return;
    let push = this.pushes.get(ctx);
    if (!push) {
      const proxy = this.stream.proxy.id;
      push = {
        span: tracer.startSpan(`push ${proxy}`, { attributes: { 'mast.proxy': proxy, 'mast.stream': this.stream.id, 'mast.transport': this.stream.transport, 'mast.generation': generation } }, ctx),
        open: 0,
      };
      this.pushes.set(ctx, push);
    }
    const span = tracer.startSpan(`send ${type}`, { attributes: { 'mast.type': type, 'mast.nonce': nonce, 'mast.bytes': bytes } }, trace.setSpan(ctx, push.span));
    push.open++;
    this.sends.set(nonce, { span, type, push });
    this.latest.set(type, nonce);
  }

  /** The proxy answered `nonce`: ACK, NACK (`nack` is Envoy's reason), or a newer nonce superseded it. */
  answered(nonce: string, o: { nack?: string; superseded?: boolean } = {}): void {
    const send = this.sends.get(nonce);
    if (!send) return;
    this.sends.delete(nonce);
    if (this.latest.get(send.type) === nonce) this.latest.delete(send.type);
    if (o.nack !== undefined) {
      send.span.setStatus({ code: SpanStatusCode.ERROR, message: o.nack });
      send.span.setAttribute('mast.nack', o.nack);
    } else send.span.setAttribute(o.superseded ? 'mast.superseded' : 'mast.acked', true);
    send.span.end();
    if (--send.push.open === 0) this.endPush(send.push);
  }

  /** The stream is gone: what is still waiting ends as an error. */
  close(): void {
    for (const send of this.sends.values()) {
      send.span.setStatus({ code: SpanStatusCode.ERROR, message: 'stream closed before the proxy answered' });
      send.span.end();
    }
    this.sends.clear();
    this.latest.clear();
    for (const push of this.pushes.values()) push.span.end();
    this.pushes.clear();
  }

  private endPush(push: StreamPush): void {
    push.span.end();
    for (const [ctx, p] of this.pushes) if (p === push) this.pushes.delete(ctx);
  }
}
