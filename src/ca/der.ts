// Just enough DER (ITU-T X.690) to write the one certificate shape Mast issues by the thousand, the
// workload certificate (svid.ts). @peculiar/x509 writes it too, through a general ASN.1 object
// model, at about 5 ms a certificate on the development machine; written directly it is a few
// dozen buffer copies. Everything Mast reads, and every other certificate it writes, still goes
// through @peculiar/x509.

/** A DER tag-length-value: `tag` is the identifier octet. */
export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  let head: Buffer;
  if (n < 0x80) head = Buffer.from([tag, n]);
  else if (n < 0x100) head = Buffer.from([tag, 0x81, n]);
  else if (n < 0x10000) head = Buffer.from([tag, 0x82, n >> 8, n & 0xff]);
  else if (n < 0x1000000) head = Buffer.from([tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  else throw new Error('DER value over 16 MiB');
  return Buffer.concat([head, body]);
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(0x30, ...items);
export const octetString = (b: Uint8Array): Buffer => tlv(0x04, b);
/** A BIT STRING with no unused bits (signatures, key material). */
export const bitString = (b: Uint8Array): Buffer => tlv(0x03, Buffer.from([0]), b);
export const BOOLEAN_TRUE = Buffer.from([0x01, 0x01, 0xff]);
export const NULL = Buffer.from([0x05, 0x00]);

/** A non-negative INTEGER from big-endian bytes: leading zeros dropped, one added if the top bit is set. */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const b = Buffer.from(bytes.subarray(i));
  return tlv(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const base128 = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v & 0x7f) | 0x80);
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * An X.509 Time (RFC 5280 4.1.2.5): UTCTime through 2049, GeneralizedTime after, in UTC to the
 * second (fractions are not allowed).
 */
export function time(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const rest = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return y < 2050 ? tlv(0x17, Buffer.from(`${pad(y % 100)}${rest}`, 'ascii')) : tlv(0x18, Buffer.from(`${pad(y, 4)}${rest}`, 'ascii'));
}

/** A context-specific tag: `[n]` IMPLICIT on a primitive, or EXPLICIT (constructed) around `content`. */
export const contextPrimitive = (n: number, content: Uint8Array): Buffer => tlv(0x80 | n, content);
export const contextExplicit = (n: number, ...content: Uint8Array[]): Buffer => tlv(0xa0 | n, ...content);
