import { describe, expect, it } from 'vitest';
import type { DissectContext, NetworkContext, Span } from '../../src/decode/dissector.js';
import type { FieldValue } from '../../src/decode/layer.js';
import {
  dissectTcp,
  emitTcp,
  flagNames,
  parseTcp,
  TcpFlag,
  TcpLayer,
  WL_MALFORMED_TCP_HDR_LEN,
  WL_MALFORMED_TCP_OPTION,
  type TcpRepr,
} from '../../src/wire/tcp.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/**
 * Frame 1 of pcap_le_usec_eth_http_get_fin.pcap (tcpdump -xx), a SYN with MSS, wscale, TS, SACK-perm:
 *   0x0000:  0010 db88 d2ef c8bc c896 d2a0 0800 4500
 *   0x0010:  0040 df8e 4000 4006 6dd3 8d8e e405 c096
 *   0x0020:  bb2b e9d0 0050 fe21 323a 0000 0000 b002
 *   0x0030:  ffff 3bc0 0000 0204 05b4 0103 0304 0101
 *   0x0040:  080a 164a dd20 0000 0000 0402 0000
 */
const SYN_FRAME = hex(`
  0010 db88 d2ef c8bc c896 d2a0 0800 4500
  0040 df8e 4000 4006 6dd3 8d8e e405 c096
  bb2b e9d0 0050 fe21 323a 0000 0000 b002
  ffff 3bc0 0000 0204 05b4 0103 0304 0101
  080a 164a dd20 0000 0000 0402 0000`);
const SYN_OFF = 0x22;

/**
 * Frame 33 of tcp_sack_fast_retransmit.pcap: a dup ACK with two SACK blocks (checksum zeroed by the
 * capturing host's offload, so tshark calls it bad):
 *   0x0000:  0000 0000 0000 0000 0000 0000 0800 4580
 *   0x0010:  003c 1177 4000 0006 0000 0a00 5855 c0a8
 *   0x0020:  001b c4c0 0050 18b1 9795 fd48 ad76 a010
 *   0x0030:  ffff 0000 0000 0101 0512 fd48 cefa fd48
 *   0x0040:  d490 fd48 b30c fd48 c3ce
 */
const SACK_FRAME = hex(`
  0000 0000 0000 0000 0000 0000 0800 4580
  003c 1177 4000 0006 0000 0a00 5855 c0a8
  001b c4c0 0050 18b1 9795 fd48 ad76 a010
  ffff 0000 0000 0101 0512 fd48 cefa fd48
  d490 fd48 b30c fd48 c3ce`);

function net4(frame: Uint8Array, ip = 14, extra: Partial<NetworkContext> = {}): NetworkContext {
  return { version: 4, src: frame.subarray(ip + 12, ip + 16), dst: frame.subarray(ip + 16, ip + 20), ...extra };
}

function ctxOf(network?: NetworkContext): DissectContext {
  return { frame: undefined, layers: [], network } as unknown as DissectContext;
}

function dissect(data: Uint8Array, span: Span, network?: NetworkContext) {
  const d = dissectTcp(data, span, ctxOf(network));
  return { ...d, layer: d.layer as TcpLayer };
}

function fieldMap(layer: TcpLayer): Record<string, FieldValue[]> {
  const out: Record<string, FieldValue[]> = {};
  for (const f of layer.fields()) (out[f.name] ??= []).push(f.value);
  return out;
}

const SYN_SPAN: Span = { offset: SYN_OFF, end: SYN_FRAME.length, reportedEnd: SYN_FRAME.length };

describe('TCP on a known SYN', () => {
  const { layer, payload, next } = dissect(SYN_FRAME, SYN_SPAN, net4(SYN_FRAME));

  it('reads every header field', () => {
    expect(layer.status).toBe('ok');
    expect(layer.problem).toBeUndefined();
    expect(layer.proto).toBe('tcp');
    expect(layer.offset).toBe(SYN_OFF);
    expect(layer.length).toBe(44);
    expect(layer.headerLength).toBe(44);
    expect(layer.srcPort).toBe(59856);
    expect(layer.dstPort).toBe(80);
    expect(layer.seq).toBe(4263588410);
    expect(layer.ack).toBe(0);
    expect(layer.flags).toBe(TcpFlag.SYN);
    expect(layer.hasFlag(TcpFlag.SYN)).toBe(true);
    expect(layer.hasFlag(TcpFlag.ACK)).toBe(false);
    expect(layer.window).toBe(65535);
    expect(layer.checksum).toBe(0x3bc0);
    expect(layer.checksumStatus).toBe('good');
    expect(layer.urgentPointer).toBe(0);
    expect(layer.payloadOffset).toBe(SYN_FRAME.length);
    expect(layer.payloadLength).toBe(0);
    expect(layer.flagsText()).toBe('[SYN]');
  });

  it('reads the options', () => {
    expect(layer.mss).toBe(1460);
    expect(layer.wscale).toBe(4);
    expect(layer.sackPermitted).toBe(true);
    expect(layer.tsval).toBe(374005024);
    expect(layer.tsecr).toBe(0);
    expect(layer.sackBlocks).toEqual([]);
  });

  it('returns an empty payload and no next layer', () => {
    expect(payload).toEqual({ offset: SYN_FRAME.length, end: SYN_FRAME.length, reportedEnd: SYN_FRAME.length });
    expect(next).toBeUndefined();
  });

  it('lists the fields tshark shows, with offsets', () => {
    const o = SYN_OFF;
    expect(layer.fields()).toEqual([
      { name: 'tcp.srcport', value: 59856, offset: o, length: 2 },
      { name: 'tcp.dstport', value: 80, offset: o + 2, length: 2 },
      { name: 'tcp.port', value: 59856, offset: o, length: 2 },
      { name: 'tcp.port', value: 80, offset: o + 2, length: 2 },
      { name: 'tcp.len', value: 0, offset: o, length: 0 },
      { name: 'tcp.seq_raw', value: 4263588410, offset: o + 4, length: 4 },
      { name: 'tcp.ack_raw', value: 0, offset: o + 8, length: 4 },
      { name: 'tcp.hdr_len', value: 44, offset: o + 12, length: 1 },
      { name: 'tcp.flags', value: 2, offset: o + 12, length: 2 },
      { name: 'tcp.flags.res', value: false, offset: o + 12, length: 1 },
      { name: 'tcp.flags.ae', value: false, offset: o + 12, length: 1 },
      { name: 'tcp.flags.cwr', value: false, offset: o + 13, length: 1 },
      { name: 'tcp.flags.ece', value: false, offset: o + 13, length: 1 },
      { name: 'tcp.flags.urg', value: false, offset: o + 13, length: 1 },
      { name: 'tcp.flags.ack', value: false, offset: o + 13, length: 1 },
      { name: 'tcp.flags.push', value: false, offset: o + 13, length: 1 },
      { name: 'tcp.flags.reset', value: false, offset: o + 13, length: 1 },
      { name: 'tcp.flags.syn', value: true, offset: o + 13, length: 1 },
      { name: 'tcp.flags.fin', value: false, offset: o + 13, length: 1 },
      { name: 'tcp.flags.str', value: '··········S·', offset: o + 12, length: 2 },
      { name: 'tcp.window_size_value', value: 65535, offset: o + 14, length: 2 },
      { name: 'tcp.checksum', value: 0x3bc0, offset: o + 16, length: 2 },
      { name: 'tcp.checksum.status', value: 'good', offset: o + 16, length: 0 },
      { name: 'tcp.urgent_pointer', value: 0, offset: o + 18, length: 2 },
      { name: 'tcp.option_kind', value: 2, offset: o + 20, length: 1 },
      { name: 'tcp.option_len', value: 4, offset: o + 21, length: 1 },
      { name: 'tcp.options.mss_val', value: 1460, offset: o + 22, length: 2 },
      { name: 'tcp.option_kind', value: 1, offset: o + 24, length: 1 },
      { name: 'tcp.option_kind', value: 3, offset: o + 25, length: 1 },
      { name: 'tcp.option_len', value: 3, offset: o + 26, length: 1 },
      { name: 'tcp.options.wscale.shift', value: 4, offset: o + 27, length: 1 },
      { name: 'tcp.options.wscale.multiplier', value: 16, offset: o + 27, length: 1 },
      { name: 'tcp.option_kind', value: 1, offset: o + 28, length: 1 },
      { name: 'tcp.option_kind', value: 1, offset: o + 29, length: 1 },
      { name: 'tcp.option_kind', value: 8, offset: o + 30, length: 1 },
      { name: 'tcp.option_len', value: 10, offset: o + 31, length: 1 },
      { name: 'tcp.options.timestamp.tsval', value: 374005024, offset: o + 32, length: 4 },
      { name: 'tcp.options.timestamp.tsecr', value: 0, offset: o + 36, length: 4 },
      { name: 'tcp.options.sack_perm', value: true, offset: o + 40, length: 2 },
      { name: 'tcp.option_kind', value: 4, offset: o + 40, length: 1 },
      { name: 'tcp.option_len', value: 2, offset: o + 41, length: 1 },
      { name: 'tcp.option_kind', value: 0, offset: o + 42, length: 1 },
      { name: 'tcp.option_kind', value: 0, offset: o + 43, length: 1 },
    ]);
  });

  it('round-trips through parse and emit', () => {
    const seg = SYN_FRAME.subarray(SYN_OFF);
    const repr = parseTcp(seg);
    expect(repr).toEqual({
      srcPort: 59856,
      dstPort: 80,
      seq: 4263588410,
      ack: 0,
      flags: TcpFlag.SYN,
      window: 65535,
      urgentPointer: 0,
      options: [
        { type: 'mss', mss: 1460 },
        { type: 'nop' },
        { type: 'wscale', shift: 4 },
        { type: 'nop' },
        { type: 'nop' },
        { type: 'timestamp', tsval: 374005024, tsecr: 0 },
        { type: 'sackPermitted' },
      ],
      payload: new Uint8Array(0),
      headerLength: 44,
      checksum: 0x3bc0,
    });
    const net = net4(SYN_FRAME);
    expect(emitTcp(repr, net)).toEqual(seg);
    // Lengths and checksum left undefined are computed, and come back the same.
    const bare: TcpRepr = { ...repr, headerLength: undefined, checksum: undefined };
    expect(emitTcp(bare, net)).toEqual(seg);
    expect(parseTcp(emitTcp(bare, net))).toEqual(repr);
  });
});

describe('TCP SACK blocks', () => {
  const { layer } = dissect(SACK_FRAME, { offset: 0x22, end: SACK_FRAME.length, reportedEnd: SACK_FRAME.length }, net4(SACK_FRAME));

  it('exposes raw edges, the count, and the flags', () => {
    expect(layer.status).toBe('ok');
    expect(layer.sackBlocks).toEqual([
      { left: 4249407226, right: 4249408656 },
      { left: 4249400076, right: 4249404366 },
    ]);
    expect(layer.sackBlocks).toBe(layer.sackBlocks); // parsed once
    expect(layer.mss).toBeUndefined();
    expect(layer.sackPermitted).toBe(false);
    expect(layer.tsval).toBeUndefined();
    expect(layer.ack).toBe(0xfd48ad76);
    expect(layer.flagsText()).toBe('[ACK]');
    // The sending host left the checksum to its NIC: zero on the capture.
    expect(layer.checksumStatus).toBe('bad');
    const f = fieldMap(layer);
    expect(f['tcp.options.sack_le_raw']).toEqual([4249407226, 4249400076]);
    expect(f['tcp.options.sack_re_raw']).toEqual([4249408656, 4249404366]);
    expect(f['tcp.options.sack.count']).toEqual([2]);
    expect(f['tcp.option_kind']).toEqual([1, 1, 5]);
    expect(f['tcp.option_len']).toEqual([18]);
  });

  it('round-trips', () => {
    const seg = SACK_FRAME.subarray(0x22);
    const repr = parseTcp(seg);
    expect(repr.options).toEqual([
      { type: 'nop' },
      { type: 'nop' },
      {
        type: 'sack',
        blocks: [
          { left: 4249407226, right: 4249408656 },
          { left: 4249400076, right: 4249404366 },
        ],
      },
    ]);
    expect(emitTcp(repr, net4(SACK_FRAME))).toEqual(seg);
  });
});

describe('TCP flags text (tshark Info column order)', () => {
  it.each([
    [TcpFlag.SYN | TcpFlag.ACK, 'SYN, ACK'],
    [TcpFlag.FIN | TcpFlag.PSH | TcpFlag.ACK, 'FIN, PSH, ACK'],
    [TcpFlag.RST, 'RST'],
    [TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR, 'SYN, ECE, CWR'],
    [0xf14, 'RST, ACK, AE, Reserved'],
    [TcpFlag.URG | TcpFlag.ACK, 'ACK, URG'],
    [0, '<None>'],
    [0x200, 'Reserved'],
  ])('flags %i → %s', (flags, text) => {
    expect(flagNames(flags)).toBe(text);
  });

  it('brackets the list', () => {
    const seg = emitTcp(
      { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: TcpFlag.FIN | TcpFlag.ACK, window: 0, urgentPointer: 0, options: [], payload: new Uint8Array(0) },
      NET,
    );
    expect(dissect(seg, { offset: 0, end: seg.length, reportedEnd: seg.length }).layer.flagsText()).toBe('[FIN, ACK]');
  });
});

const NET: NetworkContext = { version: 4, src: Uint8Array.from([10, 0, 0, 1]), dst: Uint8Array.from([10, 0, 0, 2]) };
const NET6: NetworkContext = {
  version: 6,
  src: hex('20010db8000000000000000000000001'),
  dst: hex('20010db8000000000000000000000002'),
};

function segment(extra: Partial<TcpRepr> = {}, net = NET): Uint8Array {
  return emitTcp(
    {
      srcPort: 40000,
      dstPort: 443,
      seq: 0x80000000,
      ack: 0xffffffff,
      flags: TcpFlag.PSH | TcpFlag.ACK,
      window: 501,
      urgentPointer: 0,
      options: [{ type: 'nop' }, { type: 'nop' }, { type: 'timestamp', tsval: 1, tsecr: 2 }],
      payload: hex('68656c6c6f'),
      ...extra,
    },
    net,
  );
}

const whole = (seg: Uint8Array): Span => ({ offset: 0, end: seg.length, reportedEnd: seg.length });

describe('TCP checksum status', () => {
  it('is good over IPv4 and IPv6 when emit computed it', () => {
    expect(dissect(segment(), whole(segment()), NET).layer.checksumStatus).toBe('good');
    const s6 = segment({}, NET6);
    expect(dissect(s6, whole(s6), NET6).layer.checksumStatus).toBe('good');
    // The same bytes checked against the other addresses fail.
    expect(dissect(s6, whole(s6), NET).layer.checksumStatus).toBe('bad');
  });

  it('is bad when a byte changes', () => {
    const s = segment();
    s[s.length - 1] ^= 1;
    expect(dissect(s, whole(s), NET).layer.checksumStatus).toBe('bad');
  });

  it('is unverified without a network context, for a fragment, or when cut by the snap length', () => {
    const s = segment();
    expect(dissect(s, whole(s)).layer.checksumStatus).toBe('unverified');
    expect(dissect(s, whole(s), { ...NET, fragmented: true }).layer.checksumStatus).toBe('unverified');
    const cut = dissect(s, { offset: 0, end: s.length - 2, reportedEnd: s.length }, NET);
    expect(cut.layer.status).toBe('ok');
    expect(cut.layer.checksumStatus).toBe('unverified');
    expect(cut.payload).toEqual({ offset: 32, end: s.length - 2, reportedEnd: s.length });
    expect(cut.layer.payloadLength).toBe(5);
  });

  it('ignores Ethernet padding past the IP payload', () => {
    const s = segment();
    const padded = new Uint8Array(s.length + 6);
    padded.set(s);
    padded.fill(0xaa, s.length);
    const { layer, payload } = dissect(padded, { offset: 0, end: s.length, reportedEnd: s.length }, NET);
    expect(layer.checksumStatus).toBe('good');
    expect(layer.payloadLength).toBe(5);
    expect(payload).toEqual({ offset: 32, end: s.length, reportedEnd: s.length });
  });

  it('emits an explicit checksum as given', () => {
    const s = segment({ checksum: 0xbeef });
    expect(parseTcp(s).checksum).toBe(0xbeef);
    expect(dissect(s, whole(s), NET).layer.checksumStatus).toBe('bad');
  });
});

describe('TCP truncated by the snap length', () => {
  const s = SYN_FRAME.subarray(SYN_OFF);
  const net = net4(SYN_FRAME);

  it('inside the options: lists what was captured', () => {
    // 20-byte header, MSS, NOP, and the wscale option's kind and length (its value is cut).
    const { layer, payload } = dissect(s, { offset: 0, end: 27, reportedEnd: s.length }, net);
    expect(layer.status).toBe('truncated');
    expect(layer.checksumStatus).toBe('unverified');
    const f = fieldMap(layer);
    expect(f['tcp.option_kind']).toEqual([2, 1, 3]);
    expect(f['tcp.option_len']).toEqual([4, 3]);
    expect(f['tcp.options.wscale.shift']).toBeUndefined();
    expect(f['tcp.options.mss_val']).toEqual([1460]);
    expect(f['tcp.checksum.status']).toEqual(['unverified']);
    expect(layer.mss).toBe(1460);
    expect(layer.wscale).toBeUndefined();
    expect(payload.offset).toBe(payload.end);
  });

  it('inside the fixed header before the data offset: ports only', () => {
    const { layer } = dissect(s, { offset: 0, end: 10, reportedEnd: s.length }, net);
    expect(layer.status).toBe('truncated');
    expect(layer.headerLength).toBe(-1);
    expect(Object.keys(fieldMap(layer))).toEqual(['tcp.srcport', 'tcp.dstport', 'tcp.port']);
  });

  it('after the data offset: drops the fields past the captured end', () => {
    const { layer } = dissect(s, { offset: 0, end: 16, reportedEnd: s.length }, net);
    expect(layer.status).toBe('truncated');
    const f = fieldMap(layer);
    expect(f['tcp.window_size_value']).toEqual([65535]);
    expect(f['tcp.checksum']).toBeUndefined();
    expect(f['tcp.checksum.status']).toBeUndefined();
    expect(f['tcp.option_kind']).toBeUndefined();
  });
});

describe('TCP malformed headers', () => {
  it('data offset below 5', () => {
    const s = segment();
    s[12] = (4 << 4) | (s[12]! & 0xf);
    const { layer, payload } = dissect(s, whole(s), NET);
    expect(layer.status).toBe('malformed');
    expect(layer.problem).toMatchObject({ code: WL_MALFORMED_TCP_HDR_LEN, offset: 12 });
    expect(layer.headerLength).toBe(16);
    expect(layer.length).toBe(20);
    // tshark stops after the header length.
    expect(layer.fields().map((f) => f.name)).toEqual(['tcp.srcport', 'tcp.dstport', 'tcp.port', 'tcp.port', 'tcp.len', 'tcp.seq_raw', 'tcp.hdr_len']);
    expect(payload).toEqual({ offset: 20, end: s.length, reportedEnd: s.length });
  });

  it('data offset past the segment', () => {
    const s = segment({ options: [], payload: new Uint8Array(0) });
    s[12] = (6 << 4) | (s[12]! & 0xf);
    const { layer, payload } = dissect(s, whole(s), NET);
    expect(layer.status).toBe('malformed');
    expect(layer.problem).toMatchObject({ code: WL_MALFORMED_TCP_HDR_LEN, offset: 12 });
    expect(fieldMap(layer)['tcp.len']).toBeUndefined();
    expect(payload).toEqual({ offset: 20, end: 20, reportedEnd: 20 });
  });

  it('a segment shorter than 20 bytes', () => {
    const s = segment().subarray(0, 15);
    const { layer, payload } = dissect(s, whole(s), NET);
    expect(layer.status).toBe('malformed');
    expect(layer.problem).toMatchObject({ code: WL_MALFORMED_TCP_HDR_LEN, offset: 0 });
    expect(layer.payloadLength).toBe(0);
    expect(Object.keys(fieldMap(layer))).toEqual(['tcp.srcport', 'tcp.dstport', 'tcp.port']);
    expect(payload.offset).toBe(15);
  });

  it('a segment cut by the snap length before 20 bytes but longer on the wire is truncated', () => {
    const s = segment();
    expect(dissect(s, { offset: 0, end: 15, reportedEnd: s.length }, NET).layer.status).toBe('truncated');
  });
});

/** A 24-byte header whose 4 option bytes are given, with the checksum fixed up. */
function withOptions(optHex: string, payload = new Uint8Array(0)): Uint8Array {
  const opt = hex(optHex);
  const s = emitTcp(
    {
      srcPort: 1,
      dstPort: 2,
      seq: 3,
      ack: 4,
      flags: TcpFlag.SYN,
      window: 5,
      urgentPointer: 0,
      options: [{ type: 'unknown', kind: 0xfd, data: new Uint8Array(opt.length - 2) }],
      payload,
    },
    NET,
  );
  s.set(opt, 20);
  return s;
}

describe('TCP malformed options', () => {
  it('an option running past the header keeps the fields before it', () => {
    const s = withOptions('01010a0a00000000', hex('aabb'));
    const { layer, payload } = dissect(s, whole(s), NET);
    expect(layer.status).toBe('malformed');
    expect(layer.problem).toMatchObject({ code: WL_MALFORMED_TCP_OPTION, offset: 22 });
    expect(layer.problem!.message).toContain('length 10');
    expect(fieldMap(layer)['tcp.option_kind']).toEqual([1, 1]);
    // The header length itself is sound, so the payload is where it says.
    expect(layer.length).toBe(28);
    expect(payload).toEqual({ offset: 28, end: 30, reportedEnd: 30 });
    expect(layer.payloadLength).toBe(2);
  });

  it.each([
    ['length 0', 'fe00010100000000', 20],
    ['length 1', '01fe0101', 21],
    ['no length byte', '01010102', 23],
    ['SACK of length 4', '0101050400000000', 22],
  ])('%s', (_name, opts, offset) => {
    const s = withOptions(opts);
    const { layer } = dissect(s, whole(s), NET);
    expect(layer.status).toBe('malformed');
    expect(layer.problem).toMatchObject({ code: WL_MALFORMED_TCP_OPTION, offset });
  });

  it('a SACK of bad length is still listed as tshark does', () => {
    const s = withOptions('0101050400000000');
    const f = fieldMap(dissect(s, whole(s), NET).layer);
    expect(f['tcp.option_kind']).toEqual([1, 1, 5]);
    expect(f['tcp.option_len']).toEqual([4]);
    expect(f['tcp.options.sack.count']).toEqual([0]);
  });

  it('a known option of the wrong length is shown but not read, and is not malformed', () => {
    const s = withOptions('0203050101010101');
    const { layer } = dissect(s, whole(s), NET);
    expect(layer.status).toBe('ok');
    expect(layer.mss).toBeUndefined();
    const f = fieldMap(layer);
    expect(f['tcp.option_kind']).toEqual([2, 1, 1, 1, 1, 1]);
    expect(f['tcp.options.mss_val']).toBeUndefined();
    expect(parseTcp(s).options[0]).toEqual({ type: 'unknown', kind: 2, data: hex('05') });
  });

  it('bytes after EOL are padding: zeros are more EOLs, the first non-zero byte ends the list', () => {
    const s = withOptions('020405b400ff0000');
    const { layer } = dissect(s, whole(s), NET);
    expect(layer.status).toBe('ok');
    expect(fieldMap(layer)['tcp.option_kind']).toEqual([2, 0]);
    expect(parseTcp(s).options).toEqual([{ type: 'mss', mss: 1460 }]);
  });

  it('caps the window scale multiplier at 2^14 (RFC 7323 §2.3)', () => {
    const s = withOptions('0303ff00');
    const { layer } = dissect(s, whole(s), NET);
    expect(layer.wscale).toBe(255);
    expect(fieldMap(layer)['tcp.options.wscale.multiplier']).toEqual([16384]);
  });
});

describe('TCP emit', () => {
  it('pads options to 4 bytes and computes the header length', () => {
    const repr: TcpRepr = {
      srcPort: 5000,
      dstPort: 80,
      seq: 1,
      ack: 2,
      flags: TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR,
      window: 29200,
      urgentPointer: 0,
      options: [{ type: 'mss', mss: 1460 }, { type: 'sackPermitted' }, { type: 'wscale', shift: 7 }],
      payload: new Uint8Array(0),
    };
    const s = emitTcp(repr, NET);
    expect(s.length).toBe(32);
    expect(s[12]! >> 4).toBe(8);
    expect(Array.from(s.subarray(20))).toEqual([2, 4, 5, 0xb4, 4, 2, 3, 3, 7, 0, 0, 0]);
    const back = parseTcp(s);
    expect(back).toEqual({ ...repr, headerLength: 32, checksum: back.checksum });
    expect(dissect(s, whole(s), NET).layer.checksumStatus).toBe('good');
  });

  it('round-trips every option type, unknown kinds and a payload', () => {
    const repr: TcpRepr = {
      srcPort: 65535,
      dstPort: 1,
      seq: 0xffffffff,
      ack: 0x12345678,
      flags: 0xfff,
      window: 0,
      urgentPointer: 7,
      options: [
        { type: 'nop' },
        { type: 'timestamp', tsval: 0xffffffff, tsecr: 0x80000000 },
        { type: 'sack', blocks: [{ left: 1, right: 2 }] },
        { type: 'unknown', kind: 30, data: hex('0102') },
      ],
      payload: hex('00ff00ff'),
    };
    const s = emitTcp(repr, NET6);
    const back = parseTcp(s);
    expect(back).toEqual({ ...repr, headerLength: 48, checksum: back.checksum });
    const { layer } = dissect(s, whole(s), NET6);
    expect(layer.checksumStatus).toBe('good');
    expect(layer.flagsText()).toBe('[FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE, Reserved]');
    expect(layer.urgentPointer).toBe(7);
    expect(layer.sackBlocks).toEqual([{ left: 1, right: 2 }]);
    expect(layer.tsecr).toBe(0x80000000);
    expect(fieldMap(layer)['tcp.option_kind']).toEqual([1, 8, 5, 30, 0, 0, 0]);
  });

  it('writes a given header length, zero-filling up to it', () => {
    const s = segment({ options: [], headerLength: 24 });
    expect(s[12]! >> 4).toBe(6);
    expect(parseTcp(s).options).toEqual([]);
    expect(parseTcp(s).payload).toEqual(hex('68656c6c6f'));
  });
});

describe('TCP dissector robustness', () => {
  it('never throws on random bytes and spans', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(rnd() * 80);
      const data = new Uint8Array(len);
      for (let j = 0; j < len; j++) data[j] = Math.floor(rnd() * 256);
      // Bias the data offset towards plausible values so that the option walk is exercised.
      if (len > 12 && rnd() < 0.7) data[12] = (Math.floor(rnd() * 16) << 4) | (data[12]! & 0xf);
      const offset = Math.floor(rnd() * Math.min(len + 1, 8));
      const end = offset + Math.floor(rnd() * (len - offset + 1));
      const reportedEnd = end + Math.floor(rnd() * 40);
      const net = rnd() < 0.5 ? NET : undefined;
      const { layer, payload } = dissect(data, { offset, end, reportedEnd }, net);
      layer.fields();
      void [layer.mss, layer.wscale, layer.sackPermitted, layer.tsval, layer.tsecr, layer.sackBlocks, layer.flagsText()];
      expect(payload.offset).toBeGreaterThanOrEqual(offset);
      expect(payload.offset).toBeLessThanOrEqual(payload.end);
      expect(payload.end).toBeLessThanOrEqual(payload.reportedEnd);
      parseTcp(data, offset, end);
    }
  });
});
