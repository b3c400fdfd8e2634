// The DER writer behind workload certificates, on the encodings that are easy to get wrong:
// lengths past one byte, INTEGER sign bytes, OID arcs past 127, and the UTCTime/GeneralizedTime
// switch in 2050 (RFC 5280 4.1.2.5).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oid, sequence, time, tlv, unsignedInteger } from '../../src/ca/der';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('DER', () => {
  it('writes short, one-byte and two-byte lengths', () => {
    assert.equal(hex(tlv(0x04, Buffer.alloc(3))), '0403000000');
    assert.equal(hex(tlv(0x04, Buffer.alloc(200))).slice(0, 6), '0481c8');
    assert.equal(hex(tlv(0x04, Buffer.alloc(300))).slice(0, 8), '0482012c');
    assert.equal(hex(sequence()), '3000');
  });

  it('writes unsigned INTEGERs with a sign byte only where the top bit is set', () => {
    assert.equal(hex(unsignedInteger(Buffer.from([0x7f]))), '02017f');
    assert.equal(hex(unsignedInteger(Buffer.from([0x80]))), '02020080');
    assert.equal(hex(unsignedInteger(Buffer.from([0x00, 0x00, 0x01]))), '020101');
  });

  it('writes OIDs with base-128 arcs', () => {
    assert.equal(hex(oid('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
    assert.equal(hex(oid('2.5.29.17')), '0603551d11');
  });

  it('writes UTCTime through 2049 and GeneralizedTime from 2050', () => {
    assert.equal(Buffer.from(time(new Date('2049-12-31T23:59:59.900Z'))).toString('latin1').slice(2), '491231235959Z');
    assert.equal(time(new Date('2049-12-31T23:59:59Z'))[0], 0x17);
    const g = time(new Date('2050-01-01T00:00:00Z'));
    assert.equal(g[0], 0x18);
    assert.equal(Buffer.from(g).toString('latin1').slice(2), '20500101000000Z');
  });
});
