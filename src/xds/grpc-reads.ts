// What a gRPC stream keeps of the bytes its client sent. grpc-js' StreamDecoder (which splits each
// call's DATA into length-prefixed messages, @grpc/grpc-js src/stream-decoder.ts) keeps views of
// the last message's chunks (`readCompressFlag`, a 1-byte slice, and `readPartialMessage`) until
// the next message begins. Node's HTTP/2 hands a call its DATA as views of one buffer per socket
// read (node_http2.cc, OnStreamRead), and a view keeps its whole buffer, so every xDS stream held
// the reads of its last request until the proxy sent another: a sidecar's SotW EDS request and each
// ACK name its 1200 clusters (54 KB on the 1000-service mesh), and at 500 sidecars peak RSS was
// 30-50 MiB higher with them (BENCHMARKS.md, "Memory per proxy"). The decoder needs none of them
// once a message is complete: its bytes have been copied into the message grpc-js hands on.
import { BaseServerInterceptingCall } from '@grpc/grpc-js/build/src/server-interceptors';
import { StreamDecoder } from '@grpc/grpc-js/build/src/stream-decoder';

/** The StreamDecoder fields that hold the last message's chunks (private in grpc-js' types). */
interface DecoderChunks {
  readState: number;
  readCompressFlag: Buffer;
  readPartialMessage: Buffer[];
}

/** grpc-js' ReadState.NO_DATA: between two messages. */
const NO_DATA = 0;

/** Stands for the last message's compressed-flag byte; only ever read (Buffer.concat), never written. */
const NO_FLAG = Buffer.alloc(1);

let dropping = false;

/**
 * Makes every grpc-js StreamDecoder in the process let go of a message's chunks once the message is
 * complete. Idempotent. test/xds/grpc-reads.test.ts fails if a grpc-js upgrade keeps views of
 * decoded input some other way.
 */
export function dropDecodedChunks(): void {
  if (dropping) return;
  dropping = true;
  const write = StreamDecoder.prototype.write;
  StreamDecoder.prototype.write = function (this: StreamDecoder, data: Buffer): Buffer[] {
    const messages = write.call(this, data);
    const chunks = this as unknown as DecoderChunks;
    if (chunks.readState === NO_DATA) {
      chunks.readCompressFlag = NO_FLAG;
      chunks.readPartialMessage = [];
    }
    return messages;
  };
}

/** A decoder of a call's DATA into length-prefixed messages: StreamDecoder's `write`. */
export interface MessageDecoder {
  write(data: Buffer): Buffer[];
}

/** The BaseServerInterceptingCall fields a decoder is chosen by (private in grpc-js' types). */
interface CallFields {
  decoder: MessageDecoder;
  maxReceiveMessageSize: number;
  handler: { deserialize: unknown };
}

const decoders = new WeakMap<object, (maxLength: number) => MessageDecoder>();
let choosing = false;

/**
 * Makes every server call whose method deserializes with `deserialize` (the function given as the
 * method's requestDeserialize) read its DATA with `make(maxReceiveMessageLength)` instead of
 * grpc-js' StreamDecoder. The decoder is swapped before the call's first DATA frame reaches it.
 */
export function decodeCallsWith(deserialize: object, make: (maxLength: number) => MessageDecoder): void {
  decoders.set(deserialize, make);
  if (choosing) return;
  choosing = true;
  const proto = BaseServerInterceptingCall.prototype as unknown as { handleDataFrame(data: Buffer): void };
  const handleDataFrame = proto.handleDataFrame;
  proto.handleDataFrame = function (this: CallFields, data: Buffer): void {
    if (this.decoder instanceof StreamDecoder) {
      const make = decoders.get(this.handler.deserialize as object);
      if (make) this.decoder = make(this.maxReceiveMessageSize);
    }
    handleDataFrame.call(this, data);
  };
}
