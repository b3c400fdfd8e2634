// What a gRPC stream keeps of the bytes its client sent. grpc-js' StreamDecoder (which splits each
// call's DATA into length-prefixed messages, @grpc/grpc-js src/stream-decoder.ts) keeps views of
// the last message's chunks (`readCompressFlag`, a 1-byte slice, and `readPartialMessage`) until
// the next message begins. Node's HTTP/2 hands a call its DATA as views of one buffer per socket
// read (node_http2.cc, OnStreamRead), and a view keeps its whole buffer, so every xDS stream held
// the reads of its last request until the proxy sent another: a sidecar's SotW EDS request and each
// ACK name its 1200 clusters (54 KB on the 1000-service mesh), and at 500 sidecars peak RSS was
// 30-50 MiB higher with them (BENCHMARKS.md, "Memory per proxy"). The decoder needs none of them
// once a message is complete: its bytes have been copied into the message grpc-js hands on.
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
