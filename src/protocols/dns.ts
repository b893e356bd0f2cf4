/**
 * DNS messages (RFC 1035 §4): header, questions and resource records, over UDP (one message per
 * datagram) and over TCP (each message behind a 2-byte length, RFC 1035 §4.2.2, reassembled by
 * `DnsTcpFramer`). Record data is decoded for A, NS, CNAME, SOA, PTR, MX, TXT (RFC 1035 §3.3),
 * AAAA (RFC 3596 §2.2), SRV (RFC 2782) and OPT (RFC 6891 §6.1); any other type is its type and
 * data length.
 *
 * Cost model: the dissector checks the header and walks the sections in place (no strings, no
 * allocation) so the layer's status is known at once; names are expanded only when fields() or
 * info() is asked for. Name expansion follows compression pointers (RFC 1035 §4.1.4) with two
 * bounds, so a pointer loop or a chain of pointers cannot run forever: at most MAX_POINTER_HOPS
 * jumps, and at most 255 bytes of encoded name (RFC 1035 §2.3.4).
 *
 *   tcpdump -xx (pcapng_2if_nsec_usec_linux_windows_dns.pcapng frame 3, DNS starts at 0x2a):
 *   0x0020:  ....      ....      0004 0100 0001 0000   id 0x0004 flags 0x0100 qd 1
 *   0x0030:  0000 0000 0667 6f6f 676c 6503 636f 6d00   an 0 ns 0 ar 0 google.com
 *   0x0040:  0001 0001                                 type A class IN
 */
import type { Binding, Dissection, DissectContext, Span } from '../decode/dissector.js';
import { bytesHex, FieldList, type Field, type Layer, type LayerProblem, type LayerStatus } from '../decode/layer.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../wire/addr.js';
import { concatBytes, put16, u16, u32 } from '../wire/bytes.js';

export const DNS_HEADER_LEN = 12;
export const DNS_PORT = 53;
const ID = 0;
const FLAGS = 2;
const QDCOUNT = 4;
const ANCOUNT = 6;
const NSCOUNT = 8;
const ARCOUNT = 10;
/** Type, class, TTL, RDLENGTH after an RR's owner name (RFC 1035 §4.1.3). */
const RR_FIXED_LEN = 10;
/** RFC 1035 §2.3.4: a name is at most 255 bytes on the wire. */
export const DNS_MAX_NAME_LEN = 255;
/** A legal name has at most 127 labels, so no honest chain needs more jumps than that. */
export const MAX_POINTER_HOPS = 127;

export const DnsType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  SVCB: 64,
  HTTPS: 65,
  SPF: 99,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;

const TYPE_NAMES = new Map<number, string>(Object.entries(DnsType).map(([k, v]) => [v, k]));

/** Mnemonic of an RR type as tshark's Info column shows it. */
export function dnsTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `Unknown (${type})`;
}

/** RFC 1035 §4.1.1, RFC 1996, RFC 2136: how tshark names each opcode in the Info column. */
const OPCODE_NAMES = ['Standard query', 'Inverse query', 'Server status request', 'Unknown operation (3)', 'Zone change notification', 'Dynamic update'];
/** RFC 1035 §4.1.1, RFC 2136 §2.2, RFC 6891 (16 is BADVERS/BADSIG). */
const RCODE_NAMES = ['No error', 'Format error', 'Server failure', 'No such name', 'Not implemented', 'Refused', 'Name exists', 'RRset exists', 'RRset does not exist', 'Not authoritative', 'Name out of zone'];

export const WL_MALFORMED_DNS_HEADER = 'WL_MALFORMED_DNS_HEADER';
export const WL_MALFORMED_DNS_NAME = 'WL_MALFORMED_DNS_NAME';
export const WL_MALFORMED_DNS_POINTER_LOOP = 'WL_MALFORMED_DNS_POINTER_LOOP';
export const WL_MALFORMED_DNS_NAME_TOO_LONG = 'WL_MALFORMED_DNS_NAME_TOO_LONG';
export const WL_MALFORMED_DNS_QUESTION = 'WL_MALFORMED_DNS_QUESTION';
export const WL_MALFORMED_DNS_RR = 'WL_MALFORMED_DNS_RR';
export const WL_MALFORMED_DNS_RDATA = 'WL_MALFORMED_DNS_RDATA';

// ---------------------------------------------------------------------------------------------
// Names

export interface DnsName {
  /**
   * The name as tshark shows it: labels joined by dots, "<Root>" for the root, bytes outside
   * printable ASCII as C escapes (\001), "<Name contains a pointer that loops>" for a loop.
   */
  text: string;
  /** Characters of the name before escaping (tshark's dns.qry.name.len counts these). */
  rawLength: number;
  /** Bytes the name takes where it sits (up to and including its first pointer). */
  wireLength: number;
  labels: number;
  /** Set when the name could not be read; `text` then holds what was read before the fault. */
  problem?: LayerProblem;
}

const LOOP_TEXT = '<Name contains a pointer that loops>';

/**
 * Expands the name at `at` in the message [msgStart, msgEnd). Never throws; a fault comes back as
 * `problem`. Pointers are offsets from the message start (RFC 1035 §4.1.4). A loop is caught when
 * more bytes have been read than the message holds (each byte at most once in an honest name), or
 * after MAX_POINTER_HOPS jumps, or once the name passes 255 bytes (RFC 1035 §2.3.4).
 */
export function readDnsName(data: Uint8Array, msgStart: number, msgEnd: number, at: number): DnsName {
  let p = at;
  let wireLength = -1;
  let hops = 0;
  let read = 0;
  let encoded = 0;
  let raw = '';
  const fail = (code: string, offset: number, message: string, text = raw || '<Root>'): DnsName => ({
    text: formatDnsText(text),
    rawLength: text.length,
    wireLength: wireLength >= 0 ? wireLength : Math.max(0, Math.min(p, msgEnd) - at),
    labels: countLabels(text),
    problem: { code, offset, message },
  });
  for (;;) {
    if (p >= msgEnd) return fail(WL_MALFORMED_DNS_NAME, p, `DNS name at ${at} runs past the end of the message`);
    const len = data[p]!;
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (p + 2 > msgEnd) return fail(WL_MALFORMED_DNS_NAME, p, `DNS compression pointer at ${p} is cut by the end of the message`);
      if (wireLength < 0) wireLength = p + 2 - at;
      read += 2;
      if (++hops > MAX_POINTER_HOPS || read > msgEnd - msgStart) return fail(WL_MALFORMED_DNS_POINTER_LOOP, p, `DNS name at ${at} has a compression pointer loop`, LOOP_TEXT);
      const target = msgStart + (u16(data, p) & 0x3fff);
      if (target >= msgEnd) return fail(WL_MALFORMED_DNS_NAME, p, `DNS compression pointer at ${p} points past the message`);
      p = target;
      continue;
    }
    // RFC 6891 §5 retired the 01 and 10 label types; nothing can read past one.
    if (kind !== 0) return fail(WL_MALFORMED_DNS_NAME, p, `DNS label type 0x${len.toString(16)} at ${p} is not a length or a pointer`);
    encoded += len + 1;
    read += len + 1;
    if (encoded > DNS_MAX_NAME_LEN) return fail(WL_MALFORMED_DNS_NAME_TOO_LONG, p, `DNS name at ${at} is longer than ${DNS_MAX_NAME_LEN} bytes`);
    if (len === 0) {
      if (wireLength < 0) wireLength = p + 1 - at;
      const text = raw || '<Root>';
      return { text: formatDnsText(text), rawLength: text.length, wireLength, labels: countLabels(text) };
    }
    if (p + 1 + len > msgEnd) return fail(WL_MALFORMED_DNS_NAME, p, `DNS label at ${p} runs past the end of the message`);
    if (raw) raw += '.';
    for (let i = p + 1; i <= p + len; i++) raw += String.fromCharCode(data[i]!);
    p += 1 + len;
  }
}

/** tshark counts labels as dots + 1 in the expanded text, and none for a one-character name. */
function countLabels(text: string): number {
  if (text.length <= 1) return 0;
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0x2e) n++;
  return n;
}

const C_ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };

/** Printable ASCII as is; other bytes as C escapes or three-digit octal, as tshark's format_text does. */
export function formatDnsText(raw: string): string {
  let plain = true;
  for (let i = 0; i < raw.length && plain; i++) {
    const c = raw.charCodeAt(i);
    plain = c >= 0x20 && c < 0x7f;
  }
  if (plain) return raw;
  let s = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    s += c >= 0x20 && c < 0x7f ? raw[i] : C_ESCAPES[c] ?? `\\${c.toString(8).padStart(3, '0')}`;
  }
  return s;
}

function labelText(data: Uint8Array, from: number, to: number): string {
  let raw = '';
  for (let i = from; i < to; i++) raw += String.fromCharCode(data[i]!);
  return formatDnsText(raw);
}

/**
 * Where the name at `at` ends in place, without following pointers: -1 if it runs past `end`, -2
 * for a reserved label type or a pointer past the message (RFC 1035 §4.1.4 offsets from `m`).
 */
function skipName(data: Uint8Array, at: number, end: number, m: number): number {
  let p = at;
  while (p < end) {
    const len = data[p]!;
    if ((len & 0xc0) === 0xc0) {
      if (p + 2 > end) return -1;
      return m + (u16(data, p) & 0x3fff) < end ? p + 2 : -2;
    }
    if (len & 0xc0) return -2;
    if (len === 0) return p + 1;
    p += 1 + len;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// The layer

export type DnsSection = 'answer' | 'authority' | 'additional';

/** Result of walking the message structure in place (dissect time). */
interface Walk {
  status: LayerStatus;
  problem?: LayerProblem;
  /** Offset where the first RR starts and how many whole entries were found. */
  wholeQuestions: number;
  wholeRecords: number;
}

function walkMessage(data: Uint8Array, o: number, end: number, reportedEnd: number): Walk {
  const cut = end < reportedEnd;
  const qd = u16(data, o + QDCOUNT);
  const rr = u16(data, o + ANCOUNT) + u16(data, o + NSCOUNT) + u16(data, o + ARCOUNT);
  let p = o + DNS_HEADER_LEN;
  const bad = (code: string, at: number, message: string, entries: [number, number]): Walk =>
    cut && at >= end
      ? { status: 'truncated', wholeQuestions: entries[0], wholeRecords: entries[1] }
      : { status: 'malformed', problem: { code, offset: at, message }, wholeQuestions: entries[0], wholeRecords: entries[1] };
  for (let i = 0; i < qd; i++) {
    const n = skipName(data, p, end, o);
    if (n === -2) return bad(WL_MALFORMED_DNS_NAME, p, `DNS question ${i + 1} has a name with a reserved label type or a pointer past the message`, [i, 0]);
    if (n < 0 || n + 4 > end) return bad(WL_MALFORMED_DNS_QUESTION, n < 0 ? end : n, `DNS question ${i + 1} of ${qd} runs past the end of the message`, [i, 0]);
    p = n + 4;
  }
  for (let i = 0; i < rr; i++) {
    const n = skipName(data, p, end, o);
    if (n === -2) return bad(WL_MALFORMED_DNS_NAME, p, `DNS record ${i + 1} has a name with a reserved label type or a pointer past the message`, [qd, i]);
    if (n < 0 || n + RR_FIXED_LEN > end) return bad(WL_MALFORMED_DNS_RR, n < 0 ? end : n, `DNS record ${i + 1} of ${rr} runs past the end of the message`, [qd, i]);
    const rdLen = u16(data, n + 8);
    const rdEnd = n + RR_FIXED_LEN + rdLen;
    if (rdEnd > end) return bad(WL_MALFORMED_DNS_RR, end, `DNS record ${i + 1} data (${rdLen} bytes) runs past the end of the message`, [qd, i]);
    const type = u16(data, n);
    // RFC 1035 §3.4.1, RFC 3596 §2.2: an address record shorter than its address.
    if ((type === DnsType.A && rdLen < 4) || (type === DnsType.AAAA && rdLen < 16)) return bad(WL_MALFORMED_DNS_RDATA, n + RR_FIXED_LEN, `DNS ${dnsTypeName(type)} record ${i + 1} holds ${rdLen} bytes, too few for an address`, [qd, i + 1]);
    p = rdEnd;
  }
  return { status: 'ok', wholeQuestions: qd, wholeRecords: rr };
}

export interface DnsQuestionView {
  name: DnsName;
  offset: number;
  type: number;
  class: number;
}

export interface DnsRecordView {
  section: DnsSection;
  name: DnsName;
  offset: number;
  type: number;
  class: number;
  ttl: number;
  rdOffset: number;
  rdLength: number;
}

export class DnsLayer implements Layer {
  readonly proto = 'dns';
  problem?: LayerProblem;
  private parsed?: { questions: DnsQuestionView[]; records: DnsRecordView[] };

  constructor(
    private readonly data: Uint8Array,
    /** Offset of the DNS header (after the TCP length prefix when there is one). */
    readonly msgOffset: number,
    /** End of the message's captured bytes. */
    readonly msgEnd: number,
    public status: LayerStatus,
    /** Over TCP the layer starts with the 2-byte length (RFC 1035 §4.2.2). */
    readonly tcpLength: boolean,
    private readonly walk: Walk,
  ) {}

  get offset(): number {
    return this.tcpLength ? this.msgOffset - 2 : this.msgOffset;
  }
  get length(): number {
    return this.msgEnd - this.offset;
  }
  private get headerWhole(): boolean {
    return this.msgOffset + DNS_HEADER_LEN <= this.msgEnd;
  }
  get id(): number {
    return u16(this.data, this.msgOffset + ID);
  }
  get flags(): number {
    return u16(this.data, this.msgOffset + FLAGS);
  }
  get isResponse(): boolean {
    return (this.flags & 0x8000) !== 0;
  }
  get opcode(): number {
    return (this.flags >> 11) & 0xf;
  }
  get rcode(): number {
    return this.flags & 0xf;
  }
  get questionCount(): number {
    return u16(this.data, this.msgOffset + QDCOUNT);
  }
  get answerCount(): number {
    return u16(this.data, this.msgOffset + ANCOUNT);
  }
  get authorityCount(): number {
    return u16(this.data, this.msgOffset + NSCOUNT);
  }
  get additionalCount(): number {
    return u16(this.data, this.msgOffset + ARCOUNT);
  }

  /** Questions and records whose bytes were all there; names expanded on first call. */
  sections(): { questions: DnsQuestionView[]; records: DnsRecordView[] } {
    if (this.parsed) return this.parsed;
    const questions: DnsQuestionView[] = [];
    const records: DnsRecordView[] = [];
    this.parsed = { questions, records };
    if (!this.headerWhole) return this.parsed;
    const d = this.data;
    const m = this.msgOffset;
    let p = m + DNS_HEADER_LEN;
    for (let i = 0; i < this.walk.wholeQuestions; i++) {
      const name = this.readName(p);
      const n = skipName(d, p, this.msgEnd, m);
      questions.push({ name, offset: p, type: u16(d, n), class: u16(d, n + 2) });
      p = n + 4;
    }
    const an = this.answerCount;
    const ns = this.authorityCount;
    for (let i = 0; i < this.walk.wholeRecords; i++) {
      const name = this.readName(p);
      const n = skipName(d, p, this.msgEnd, m);
      const rdLength = u16(d, n + 8);
      const section: DnsSection = i < an ? 'answer' : i < an + ns ? 'authority' : 'additional';
      records.push({ section, name, offset: p, type: u16(d, n), class: u16(d, n + 2), ttl: u32(d, n + 4), rdOffset: n + RR_FIXED_LEN, rdLength });
      p = n + RR_FIXED_LEN + rdLength;
    }
    return this.parsed;
  }

  /** Expands a name, recording the first fault as the layer's problem (found lazily). */
  private readName(at: number): DnsName {
    const name = readDnsName(this.data, this.msgOffset, this.msgEnd, at);
    if (name.problem && !this.problem) {
      this.status = 'malformed';
      this.problem = name.problem;
    }
    return name;
  }

  /** tshark's Info text: "Standard query response 0x1234 A example.com A 93.184.216.34". */
  info(): string {
    if (this.msgOffset + 4 > this.msgEnd) return '';
    const op = this.opcode;
    let s = OPCODE_NAMES[op] ?? `Unknown operation (${op})`;
    if (this.isResponse) s += ' response';
    s += ` 0x${this.id.toString(16).padStart(4, '0')}`;
    if (this.isResponse && this.rcode !== 0) s += ` ${RCODE_NAMES[this.rcode] ?? `Unknown error (${this.rcode})`}`;
    const { questions, records } = this.sections();
    for (const q of questions) s += ` ${dnsTypeName(q.type)} ${q.name.text}`;
    for (const r of records) {
      s += ` ${dnsTypeName(r.type)}`;
      const brief = rdataInfo(this.data, this.msgOffset, this.msgEnd, r);
      if (brief) s += ` ${brief}`;
    }
    return s;
  }

  fields(): Field[] {
    const f = new FieldList(this.msgEnd);
    const m = this.msgOffset;
    if (this.tcpLength) f.add('dns.length', u16(this.data, m - 2), m - 2, 2);
    // A header cut short still lists the fields it holds (FieldList drops the rest), as tshark does.
    const flags = this.flags;
    const resp = this.isResponse;
    f.add('dns.id', this.id, m + ID, 2).add('dns.flags', flags, m + FLAGS, 2).add('dns.flags.response', resp, m + FLAGS, 2).add('dns.flags.opcode', this.opcode, m + FLAGS, 2);
    // tshark lists AA, RA and RCODE only for responses, where RFC 1035 §4.1.1 gives them meaning.
    if (resp) f.add('dns.flags.authoritative', (flags & 0x0400) !== 0, m + FLAGS, 2);
    f.add('dns.flags.truncated', (flags & 0x0200) !== 0, m + FLAGS, 2).add('dns.flags.recdesired', (flags & 0x0100) !== 0, m + FLAGS, 2);
    if (resp) f.add('dns.flags.recavail', (flags & 0x0080) !== 0, m + FLAGS, 2);
    f.add('dns.flags.z', (flags & 0x0040) !== 0, m + FLAGS, 2);
    // RFC 6840 §5.7: AD in a query only signals that the client understands it; tshark shows it there only when set.
    if (resp || flags & 0x0020) f.add('dns.flags.authenticated', (flags & 0x0020) !== 0, m + FLAGS, 2);
    f.add('dns.flags.checkdisable', (flags & 0x0010) !== 0, m + FLAGS, 2);
    if (resp) f.add('dns.flags.rcode', this.rcode, m + FLAGS, 2);
    // RFC 2136 §2.2: an UPDATE renames the four counts.
    const upd = this.opcode === 5;
    f.add(upd ? 'dns.count.zones' : 'dns.count.queries', this.questionCount, m + QDCOUNT, 2)
      .add(upd ? 'dns.count.prerequisites' : 'dns.count.answers', this.answerCount, m + ANCOUNT, 2)
      .add(upd ? 'dns.count.updates' : 'dns.count.auth_rr', this.authorityCount, m + NSCOUNT, 2)
      .add('dns.count.add_rr', this.additionalCount, m + ARCOUNT, 2);
    const { questions, records } = this.sections();
    for (const q of questions) {
      const nl = q.name.wireLength;
      f.add('dns.qry.name', q.name.text, q.offset, nl)
        .add('dns.qry.name.len', q.name.rawLength > 1 ? q.name.rawLength : 0, q.offset, nl)
        .add('dns.count.labels', q.name.labels, q.offset, nl)
        .add('dns.qry.type', q.type, q.offset + nl, 2)
        .add('dns.qry.class', q.class, q.offset + nl + 2, 2);
    }
    for (const r of records) recordFields(f, this.data, m, this.msgEnd, r);
    return f.items;
  }
}

function recordFields(f: FieldList, d: Uint8Array, m: number, end: number, r: DnsRecordView): void {
  const nl = r.name.wireLength;
  const t = r.offset + nl;
  const rd = r.rdOffset;
  const rdEnd = rd + r.rdLength;
  // tshark shows an SRV owner as service, protocol and name instead (RFC 2782 _Service._Proto.Name).
  if (r.type !== DnsType.SRV || r.name.rawLength === 0) f.add('dns.resp.name', r.name.text, r.offset, nl);
  f.add('dns.resp.type', r.type, t, 2);
  if (r.type === DnsType.OPT) {
    // RFC 6891 §6.1.3: CLASS is the UDP payload size, TTL holds extended RCODE, version and flags.
    f.add('dns.rr.udp_payload_size', r.class, t + 2, 2)
      .add('dns.resp.ext_rcode', d[t + 4]!, t + 4, 1)
      .add('dns.resp.edns0_version', d[t + 5]!, t + 5, 1)
      .add('dns.resp.z', u16(d, t + 6), t + 6, 2)
      .add('dns.resp.z.do', (d[t + 6]! & 0x80) !== 0, t + 6, 2)
      .add('dns.resp.z.reserved', u16(d, t + 6) & 0x7fff, t + 6, 2)
      .add('dns.resp.len', r.rdLength, t + 8, 2);
    // RFC 6891 §6.1.2: options are {code, length, data} until RDLENGTH is used up.
    for (let p = rd; p + 4 <= rdEnd; ) {
      const len = u16(d, p + 2);
      if (p + 4 + len > rdEnd) break;
      f.add('dns.opt.code', u16(d, p), p, 2).add('dns.opt.len', len, p + 2, 2);
      if (len > 0) f.add('dns.opt.data', bytesHex(d, p + 4, p + 4 + len), p + 4, len);
      p += 4 + len;
    }
    return;
  }
  f.add('dns.resp.class', r.class, t + 2, 2).add('dns.resp.ttl', r.ttl, t + 4, 4).add('dns.resp.len', r.rdLength, t + 8, 2);
  const name = (at: number) => readDnsName(d, m, end, at);
  switch (r.type) {
    case DnsType.A:
      if (r.rdLength === 4) f.add('dns.a', formatIPv4(d, rd), rd, 4);
      return;
    case DnsType.AAAA:
      if (r.rdLength === 16) f.add('dns.aaaa', formatIPv6(d, rd), rd, 16);
      return;
    case DnsType.CNAME:
    case DnsType.NS:
    case DnsType.PTR: {
      const n = name(rd);
      const fname = r.type === DnsType.CNAME ? 'dns.cname' : r.type === DnsType.NS ? 'dns.ns' : 'dns.ptr.domain_name';
      f.add(fname, n.text, rd, n.wireLength);
      return;
    }
    case DnsType.MX: {
      if (r.rdLength < 3) return;
      const n = name(rd + 2);
      f.add('dns.mx.preference', u16(d, rd), rd, 2).add('dns.mx.mail_exchange', n.text, rd + 2, n.wireLength);
      return;
    }
    case DnsType.TXT:
      // RFC 1035 §3.3.14: one or more <character-string>s, each a length byte and that many bytes.
      for (let p = rd; p < rdEnd; ) {
        const len = d[p]!;
        if (p + 1 + len > rdEnd) break;
        f.add('dns.txt.length', len, p, 1).add('dns.txt', labelText(d, p + 1, p + 1 + len), p + 1, len);
        p += 1 + len;
      }
      return;
    case DnsType.SOA: {
      const mn = name(rd);
      const rn = name(rd + mn.wireLength);
      const q = rd + mn.wireLength + rn.wireLength;
      f.add('dns.soa.mname', mn.text, rd, mn.wireLength).add('dns.soa.rname', rn.text, rd + mn.wireLength, rn.wireLength);
      if (q + 20 > rdEnd) return;
      f.add('dns.soa.serial_number', u32(d, q), q, 4)
        .add('dns.soa.refresh_interval', u32(d, q + 4), q + 4, 4)
        .add('dns.soa.retry_interval', u32(d, q + 8), q + 8, 4)
        .add('dns.soa.expire_limit', u32(d, q + 12), q + 12, 4)
        .add('dns.soa.minimum_ttl', u32(d, q + 16), q + 16, 4);
      return;
    }
    case DnsType.NSEC: {
      // RFC 4034 §4.1: the next owner name (never compressed), then the type bit maps.
      const n = name(rd);
      typeBitmapFields(f, d, rd + n.wireLength, rdEnd);
      return;
    }
    case DnsType.NSEC3: {
      // RFC 5155 §3.2: algorithm, flags (bit 7: Opt-Out), iterations, salt, next hashed owner
      // (shown in Base 32 with the extended hex alphabet, §3.3), type bit maps.
      if (rd + 5 > rdEnd) return;
      const saltLen = d[rd + 4]!;
      const saltEnd = rd + 5 + saltLen;
      if (saltEnd + 1 > rdEnd) return;
      f.add('dns.nsec3.algo', d[rd]!, rd, 1)
        .add('dns.nsec3.flags', d[rd + 1]!, rd + 1, 1)
        .add('dns.nsec3.flags.opt_out', (d[rd + 1]! & 1) !== 0, rd + 1, 1)
        .add('dns.nsec3.iterations', u16(d, rd + 2), rd + 2, 2)
        .add('dns.nsec3.salt_length', saltLen, rd + 4, 1);
      if (saltLen > 0) f.add('dns.nsec3.salt_value', bytesHex(d, rd + 5, saltEnd), rd + 5, saltLen);
      const hashLen = d[saltEnd]!;
      const hashEnd = saltEnd + 1 + hashLen;
      if (hashEnd > rdEnd) return;
      f.add('dns.nsec3.hash_length', hashLen, saltEnd, 1).add('dns.nsec3.hash_value', base32hex(d, saltEnd + 1, hashEnd), saltEnd + 1, hashLen);
      typeBitmapFields(f, d, hashEnd, rdEnd);
      return;
    }
    case DnsType.DNSKEY: {
      // RFC 4034 §2.1: flags (bit 7 Zone Key, bit 15 Secure Entry Point; RFC 5011 bit 8 Revoke),
      // protocol (3), algorithm, public key. The key tag is computed (Appendix B).
      if (r.rdLength < 4) return;
      const flags = u16(d, rd);
      f.add('dns.dnskey.flags', flags, rd, 2)
        .add('dns.dnskey.flags.zone_key', (flags & 0x0100) !== 0, rd, 2)
        .add('dns.dnskey.flags.key_revoked', (flags & 0x0080) !== 0, rd, 2)
        .add('dns.dnskey.flags.secure_entry_point', (flags & 0x0001) !== 0, rd, 2)
        .add('dns.dnskey.flags.reserved', flags & 0xfe7e, rd, 2)
        .add('dns.dnskey.protocol', d[rd + 2]!, rd + 2, 1)
        .add('dns.dnskey.algorithm', d[rd + 3]!, rd + 3, 1)
        .add('dns.dnskey.key_id', keyTag(d, rd, rdEnd), r.offset, 0);
      if (rdEnd > rd + 4) f.add('dns.dnskey.public_key', bytesHex(d, rd + 4, rdEnd), rd + 4, rdEnd - rd - 4);
      return;
    }
    case DnsType.RRSIG: {
      // RFC 4034 §3.1: type covered, algorithm, labels, original TTL, expiration and inception
      // (seconds since 1970, §3.1.5), key tag, signer's name (never compressed), signature.
      if (r.rdLength < 18) return;
      const signer = name(rd + 18);
      f.add('dns.rrsig.type_covered', u16(d, rd), rd, 2)
        .add('dns.rrsig.algorithm', d[rd + 2]!, rd + 2, 1)
        .add('dns.rrsig.labels', d[rd + 3]!, rd + 3, 1)
        .add('dns.rrsig.original_ttl', u32(d, rd + 4), rd + 4, 4)
        .add('dns.rrsig.signature_expiration', u32(d, rd + 8), rd + 8, 4)
        .add('dns.rrsig.signature_inception', u32(d, rd + 12), rd + 12, 4)
        .add('dns.rrsig.key_tag', u16(d, rd + 16), rd + 16, 2)
        .add('dns.rrsig.signers_name', signer.text, rd + 18, signer.wireLength);
      const sig = rd + 18 + signer.wireLength;
      if (sig < rdEnd) f.add('dns.rrsig.signature', bytesHex(d, sig, rdEnd), sig, rdEnd - sig);
      return;
    }
    case DnsType.DS: {
      // RFC 4034 §5.1: key tag, algorithm, digest type, digest.
      if (r.rdLength < 4) return;
      f.add('dns.ds.key_id', u16(d, rd), rd, 2).add('dns.ds.algorithm', d[rd + 2]!, rd + 2, 1).add('dns.ds.digest_type', d[rd + 3]!, rd + 3, 1);
      if (rdEnd > rd + 4) f.add('dns.ds.digest', bytesHex(d, rd + 4, rdEnd), rd + 4, rdEnd - rd - 4);
      return;
    }
    case DnsType.SRV: {
      if (r.rdLength < 7) return;
      // RFC 2782: the owner is _Service._Proto.Name.
      const [service, proto, ...rest] = r.name.text.split('.');
      f.add('dns.srv.service', service ?? '', r.offset, nl).add('dns.srv.proto', proto ?? '', r.offset, nl).add('dns.srv.name', rest.join('.'), r.offset, nl);
      const n = name(rd + 6);
      f.add('dns.srv.priority', u16(d, rd), rd, 2).add('dns.srv.weight', u16(d, rd + 2), rd + 2, 2).add('dns.srv.port', u16(d, rd + 4), rd + 4, 2).add('dns.srv.target', n.text, rd + 6, n.wireLength);
      return;
    }
  }
}

/** RFC 4648 §7's Base 32 with the extended hex alphabet, lower case and unpadded, as tshark shows NSEC3 hashes. */
function base32hex(d: Uint8Array, from: number, to: number): string {
  const ALPHABET = '0123456789abcdefghijklmnopqrstuv';
  let out = '';
  let bits = 0;
  let value = 0;
  for (let i = from; i < to; i++) {
    value = ((value << 8) | d[i]!) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/**
 * A DNSKEY's key tag (RFC 4034 Appendix B): its RDATA summed as 16-bit words, the carry folded
 * in once. (Algorithm 1, RSA/MD5, used other bits; it is deprecated, RFC 6725.)
 */
function keyTag(d: Uint8Array, from: number, to: number): number {
  let ac = 0;
  for (let i = from; i < to; i++) ac += (i - from) & 1 ? d[i]! : d[i]! << 8;
  ac += (ac >>> 16) & 0xffff;
  return ac & 0xffff;
}

/**
 * RFC 4034 §4.1.2: windows of {block, length, bitmap}; bit k (MSB first) of the bitmap stands for
 * type block*256 + k. tshark lists each present type as another dns.resp.type.
 */
function typeBitmapFields(f: FieldList, d: Uint8Array, from: number, to: number): void {
  for (let p = from; p + 2 <= to; ) {
    const block = d[p]!;
    const len = d[p + 1]!;
    if (len === 0 || len > 32 || p + 2 + len > to) return;
    for (let j = 0; j < len; j++) {
      const byte = d[p + 2 + j]!;
      for (let k = 0; k < 8; k++) if (byte & (0x80 >> k)) f.add('dns.resp.type', block * 256 + j * 8 + k, p + 2 + j, 1);
    }
    p += 2 + len;
  }
}

/** The short text tshark's Info column shows after a record's type. */
function rdataInfo(d: Uint8Array, m: number, end: number, r: DnsRecordView): string {
  const rd = r.rdOffset;
  switch (r.type) {
    case DnsType.A:
      return r.rdLength === 4 ? formatIPv4(d, rd) : '';
    case DnsType.AAAA:
      return r.rdLength === 16 ? formatIPv6(d, rd) : '';
    case DnsType.CNAME:
    case DnsType.NS:
    case DnsType.PTR:
    case DnsType.SOA:
      return readDnsName(d, m, end, rd).text;
    case DnsType.MX:
      return r.rdLength >= 3 ? `${u16(d, rd)} ${readDnsName(d, m, end, rd + 2).text}` : '';
    case DnsType.SRV:
      return r.rdLength >= 7 ? `${u16(d, rd)} ${u16(d, rd + 2)} ${u16(d, rd + 4)} ${readDnsName(d, m, end, rd + 6).text}` : '';
    default:
      return '';
  }
}

/**
 * Builds the layer for one message in [span.offset, span.end). With `tcpLength` the span starts
 * with the 2-byte length prefix of RFC 1035 §4.2.2, and the message ends where it says.
 */
export function dissectDnsMessage(data: Uint8Array, span: Span, tcpLength = false): DnsLayer {
  let m = span.offset;
  let end = Math.min(span.end, span.reportedEnd);
  let rep = span.reportedEnd;
  if (tcpLength) {
    if (m + 2 > end) {
      const st: LayerStatus = m + 2 <= rep ? 'truncated' : 'malformed';
      const l = new DnsLayer(data, m + 2, Math.max(m + 2, end), st, true, { status: st, wholeQuestions: 0, wholeRecords: 0 });
      if (st === 'malformed') l.problem = { code: WL_MALFORMED_DNS_HEADER, offset: m, message: 'DNS over TCP: no room for the 2-byte length' };
      return l;
    }
    const len = u16(data, m);
    m += 2;
    rep = Math.min(rep, m + len);
    end = Math.min(end, m + len);
  }
  if (m + DNS_HEADER_LEN > end) {
    const truncated = m + DNS_HEADER_LEN <= rep;
    const st: LayerStatus = truncated ? 'truncated' : 'malformed';
    const l = new DnsLayer(data, m, end, st, tcpLength, { status: st, wholeQuestions: 0, wholeRecords: 0 });
    if (!truncated) l.problem = { code: WL_MALFORMED_DNS_HEADER, offset: m, message: `DNS message of ${rep - m} bytes is shorter than the ${DNS_HEADER_LEN}-byte header` };
    return l;
  }
  const walk = walkMessage(data, m, end, rep);
  const l = new DnsLayer(data, m, end, walk.status, tcpLength, walk);
  if (walk.problem) l.problem = walk.problem;
  return l;
}

export const dissectDns = (data: Uint8Array, span: Span, _ctx: DissectContext): Dissection => {
  const layer = dissectDnsMessage(data, span);
  // The message is the whole datagram: nothing follows it (trailing bytes are not decoded, as in tshark).
  const end = Math.min(span.end, span.reportedEnd);
  return { layer, payload: { offset: end, end, reportedEnd: end } };
};

export const bindings: readonly Binding[] = [{ table: 'udp.port', key: DNS_PORT, dissector: dissectDns }];

// ---------------------------------------------------------------------------------------------
// DNS over TCP: the streaming framer

export interface DnsTcpMessage {
  /** The message without its length prefix: a view of the pushed chunk, or a copy when it spanned chunks. */
  message: Uint8Array;
  /** Stream offset of the 2-byte length prefix (bytes pushed before it). */
  streamOffset: number;
}

/**
 * Splits one direction of a TCP stream into DNS messages (RFC 1035 §4.2.2: each behind a 2-byte
 * length). Fed reassembled in-order bytes in any split; copies only what crosses a chunk boundary.
 */
export class DnsTcpFramer {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private consumed = 0;

  /** Bytes held, waiting for the rest of a message. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Uint8Array): DnsTcpMessage[] {
    const out: DnsTcpMessage[] = [];
    let buf = chunk;
    // Finish the message left over from earlier chunks, taking only the bytes it still needs.
    while (this.pendingBytes > 0 && buf.length > 0) {
      const target = this.needed() ?? 2;
      const take = Math.min(buf.length, target - this.pendingBytes);
      // Copied: the caller may reuse the chunk's buffer once push returns.
      this.pending.push(buf.slice(0, take));
      this.pendingBytes += take;
      buf = buf.subarray(take);
      if (this.pendingBytes === this.needed()) {
        const whole = concatBytes(this.pending);
        this.pending = [];
        this.pendingBytes = 0;
        out.push({ message: whole.subarray(2), streamOffset: this.consumed });
        this.consumed += whole.length;
      }
    }
    let p = 0;
    while (p + 2 <= buf.length) {
      const total = 2 + u16(buf, p);
      if (p + total > buf.length) break;
      out.push({ message: buf.subarray(p + 2, p + total), streamOffset: this.consumed });
      this.consumed += total;
      p += total;
    }
    if (p < buf.length) {
      this.pending.push(buf.slice(p));
      this.pendingBytes = buf.length - p;
    }
    return out;
  }

  /** Total length (prefix included) of the pending message, once its prefix is known. */
  private needed(): number | undefined {
    if (this.pendingBytes < 2) return undefined;
    const first = this.pending[0]!;
    const hi = first[0]!;
    const lo = first.length > 1 ? first[1]! : this.pending[1]![0]!;
    return 2 + ((hi << 8) | lo);
  }
}

// ---------------------------------------------------------------------------------------------
// Query/response pairing (cross-packet state, driven by the analyzer)

/** A message's identity as far as pairing needs it (DnsLayer has these). */
export interface DnsHeaderInfo {
  readonly id: number;
  readonly isResponse: boolean;
}

/** Seconds as a number, or a frame timestamp kept exact as seconds + nanoseconds. */
export type DnsTime = number | { tsSec: number; tsNsec: number };

export interface DnsTransactionInfo {
  readonly frame: number;
  readonly isResponse: boolean;
  /** For a query: the frame of its response, filled in when (if) the response is seen. */
  responseIn?: number;
  /** For a response: the frame of the query it answers. */
  responseTo?: number;
  /** For a response: seconds since its query. */
  time?: number;
  /** For a query repeated while unanswered: the frame of the first copy (dns.retransmit_request_in). */
  retransmitOf?: number;
  /** For a response repeated: the frame of the first copy (dns.retransmit_response_in). */
  responseRetransmitOf?: number;
  /** A response no query was seen for. */
  unsolicited?: boolean;
  /**
   * dns.response_in / dns.response_to / dns.time / dns.retransmission with
   * dns.retransmit_request_in or dns.retransmit_response_in / dns.unsolicited.
   */
  fields(): Field[];
}

class TransactionInfo implements DnsTransactionInfo {
  responseIn?: number;
  responseTo?: number;
  time?: number;
  retransmitOf?: number;
  responseRetransmitOf?: number;
  unsolicited?: boolean;
  constructor(
    readonly frame: number,
    readonly isResponse: boolean,
  ) {}
  fields(): Field[] {
    const f: Field[] = [];
    const add = (name: string, value: number | boolean) => f.push({ name, value, offset: 0, length: 0 });
    if (this.responseIn !== undefined) add('dns.response_in', this.responseIn);
    if (this.retransmitOf !== undefined || this.responseRetransmitOf !== undefined) add('dns.retransmission', true);
    if (this.retransmitOf !== undefined) add('dns.retransmit_request_in', this.retransmitOf);
    if (this.responseRetransmitOf !== undefined) add('dns.retransmit_response_in', this.responseRetransmitOf);
    if (this.responseTo !== undefined) add('dns.response_to', this.responseTo);
    if (this.time !== undefined) add('dns.time', this.time);
    if (this.unsolicited) add('dns.unsolicited', true);
    return f;
  }
}

interface Pending {
  info: TransactionInfo;
  sec: number;
  nsec: number;
}

/**
 * Wireshark's `dns.retransmission_timer` (default 5): a query repeated while unanswered is a
 * retransmission when it comes less than this many whole seconds after the first copy; later, it
 * starts a new transaction (the client gave up and asked again).
 */
const RETRANSMISSION_SECONDS = 5;

/**
 * Pairs queries with responses by conversation and transaction id (RFC 1035 §4.1.1: the id is
 * copied into the reply). Called once per DNS message in capture order. The returned info is
 * live: a query's `responseIn` appears when its response is seen, as tshark's second pass shows.
 * Repeats are told apart as tshark does: a query repeated within RETRANSMISSION_SECONDS of an
 * unanswered one, and a response to an answered query, are retransmissions of the first copy.
 * Open queries are bounded per instance (oldest dropped first) so a query flood cannot grow it.
 */
export class DnsTransactions {
  private readonly open = new Map<string, Pending>();
  constructor(private readonly maxOpen = 65536) {}

  onMessage(msg: DnsHeaderInfo, frame: number, time: DnsTime, conversationKey: string): DnsTransactionInfo {
    const key = `${conversationKey}\u0000${msg.id}`;
    const info = new TransactionInfo(frame, msg.isResponse);
    const [sec, nsec] = typeof time === 'number' ? [Math.floor(time), Math.round((time - Math.floor(time)) * 1e9)] : [time.tsSec, time.tsNsec];
    const q = this.open.get(key);
    if (!msg.isResponse) {
      if (q && q.info.responseIn === undefined) {
        // Whole seconds between the copies, as Wireshark's nstime delta has them (negative: none).
        const apart = sec - q.sec - (nsec < q.nsec ? 1 : 0);
        if (apart >= 0 && apart < RETRANSMISSION_SECONDS) {
          info.retransmitOf = q.info.frame;
          return info;
        }
      }
      this.open.delete(key);
      if (this.open.size >= this.maxOpen) this.open.delete(this.open.keys().next().value!);
      this.open.set(key, { info, sec, nsec });
      return info;
    }
    if (!q) {
      info.unsolicited = true;
      return info;
    }
    if (q.info.responseIn !== undefined && q.info.responseIn !== frame) {
      info.responseRetransmitOf = q.info.responseIn;
      return info;
    }
    info.responseTo = q.info.frame;
    // Whole seconds and nanoseconds apart, so an epoch timestamp does not cost precision.
    info.time = (sec - q.sec) + (nsec - q.nsec) / 1e9;
    info.time = Math.round(info.time * 1e9) / 1e9;
    q.info.responseIn = frame;
    return info;
  }
}

// ---------------------------------------------------------------------------------------------
// Repr: parse and emit

export type DnsRData =
  | { address: string } // A, AAAA
  | { name: string } // CNAME, NS, PTR
  | { preference: number; exchange: string } // MX
  | { strings: string[] } // TXT
  | { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number } // SOA
  | { priority: number; weight: number; port: number; target: string } // SRV
  | { options: { code: number; data: Uint8Array }[] } // OPT
  | { raw: Uint8Array };

export interface DnsQuestionRepr {
  name: string;
  type: number;
  class: number;
}

export interface DnsRecordRepr {
  name: string;
  type: number;
  /** For OPT: the UDP payload size (RFC 6891 §6.1.2). */
  class: number;
  /** For OPT: extended RCODE, version and flags (RFC 6891 §6.1.3). */
  ttl: number;
  data: DnsRData;
}

export interface DnsRepr {
  id: number;
  flags: number;
  questions: DnsQuestionRepr[];
  answers: DnsRecordRepr[];
  authorities: DnsRecordRepr[];
  additionals: DnsRecordRepr[];
}

export interface DnsParseResult {
  repr: DnsRepr;
  /** The first fault met; what was read before it is in `repr`. */
  problem?: LayerProblem;
}

/** Reads a message [offset, end). Never throws. Names come back as text ("" for the root). */
export function parseDns(data: Uint8Array, offset = 0, end = data.length): DnsParseResult {
  const repr: DnsRepr = { id: 0, flags: 0, questions: [], answers: [], authorities: [], additionals: [] };
  end = Math.min(end, data.length);
  if (offset + DNS_HEADER_LEN > end) return { repr, problem: { code: WL_MALFORMED_DNS_HEADER, offset, message: 'DNS message shorter than its header' } };
  const layer = dissectDnsMessage(data, { offset, end, reportedEnd: end });
  repr.id = layer.id;
  repr.flags = layer.flags;
  const { questions, records } = layer.sections();
  const plain = (n: DnsName) => (n.text === '<Root>' ? '' : n.text);
  for (const q of questions) repr.questions.push({ name: plain(q.name), type: q.type, class: q.class });
  for (const r of records) {
    const rec: DnsRecordRepr = { name: plain(r.name), type: r.type, class: r.class, ttl: r.ttl, data: rdataRepr(data, offset, end, r, plain) };
    (r.section === 'answer' ? repr.answers : r.section === 'authority' ? repr.authorities : repr.additionals).push(rec);
  }
  return layer.problem ? { repr, problem: layer.problem } : { repr };
}

function rdataRepr(d: Uint8Array, m: number, end: number, r: DnsRecordView, plain: (n: DnsName) => string): DnsRData {
  const rd = r.rdOffset;
  const rdEnd = rd + r.rdLength;
  const name = (at: number) => readDnsName(d, m, end, at);
  const raw = () => ({ raw: d.slice(rd, rdEnd) });
  switch (r.type) {
    case DnsType.A:
      return r.rdLength === 4 ? { address: formatIPv4(d, rd) } : raw();
    case DnsType.AAAA:
      return r.rdLength === 16 ? { address: formatIPv6(d, rd) } : raw();
    case DnsType.CNAME:
    case DnsType.NS:
    case DnsType.PTR:
      return { name: plain(name(rd)) };
    case DnsType.MX:
      return r.rdLength >= 3 ? { preference: u16(d, rd), exchange: plain(name(rd + 2)) } : raw();
    case DnsType.TXT: {
      const strings: string[] = [];
      for (let p = rd; p < rdEnd && p + 1 + d[p]! <= rdEnd; p += 1 + d[p]!) strings.push(new TextDecoder('latin1').decode(d.subarray(p + 1, p + 1 + d[p]!)));
      return { strings };
    }
    case DnsType.SOA: {
      const mn = name(rd);
      const rn = name(rd + mn.wireLength);
      const q = rd + mn.wireLength + rn.wireLength;
      if (q + 20 > rdEnd) return raw();
      return { mname: plain(mn), rname: plain(rn), serial: u32(d, q), refresh: u32(d, q + 4), retry: u32(d, q + 8), expire: u32(d, q + 12), minimum: u32(d, q + 16) };
    }
    case DnsType.SRV:
      return r.rdLength >= 7 ? { priority: u16(d, rd), weight: u16(d, rd + 2), port: u16(d, rd + 4), target: plain(name(rd + 6)) } : raw();
    case DnsType.OPT: {
      const options: { code: number; data: Uint8Array }[] = [];
      for (let p = rd; p + 4 <= rdEnd && p + 4 + u16(d, p + 2) <= rdEnd; p += 4 + u16(d, p + 2)) options.push({ code: u16(d, p), data: d.slice(p + 4, p + 4 + u16(d, p + 2)) });
      return { options };
    }
    default:
      return raw();
  }
}

/** Writes names with RFC 1035 §4.1.4 compression (suffixes already written become pointers). */
class NameWriter {
  readonly bytes: number[] = [];
  private readonly seen = new Map<string, number>();
  constructor(private readonly compress: boolean) {}
  name(text: string, compressible = true): void {
    const labels = text === '' || text === '.' ? [] : text.replace(/\.$/, '').split('.');
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const at = this.seen.get(suffix);
      if (this.compress && compressible && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.bytes.length < 0x4000) this.seen.set(suffix, this.bytes.length);
      const label = new TextEncoder().encode(labels[i]!);
      this.bytes.push(label.length, ...label);
    }
    this.bytes.push(0);
  }
  u16(v: number): void {
    this.bytes.push((v >>> 8) & 0xff, v & 0xff);
  }
  u32(v: number): void {
    this.bytes.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  raw(b: Uint8Array | number[]): void {
    for (const x of b) this.bytes.push(x);
  }
}

/** Builds a message; names are compressed unless `compress` is false. */
export function emitDns(repr: DnsRepr, options: { compress?: boolean } = {}): Uint8Array {
  const w = new NameWriter(options.compress ?? true);
  w.u16(repr.id);
  w.u16(repr.flags);
  w.u16(repr.questions.length);
  w.u16(repr.answers.length);
  w.u16(repr.authorities.length);
  w.u16(repr.additionals.length);
  for (const q of repr.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const r of [...repr.answers, ...repr.authorities, ...repr.additionals]) {
    w.name(r.name);
    w.u16(r.type);
    w.u16(r.class);
    w.u32(r.ttl);
    const lenAt = w.bytes.length;
    w.u16(0);
    emitRData(w, r);
    const len = w.bytes.length - lenAt - 2;
    w.bytes[lenAt] = len >>> 8;
    w.bytes[lenAt + 1] = len & 0xff;
  }
  return Uint8Array.from(w.bytes);
}

function emitRData(w: NameWriter, r: DnsRecordRepr): void {
  const d = r.data;
  if ('raw' in d) return w.raw(d.raw);
  if ('address' in d) return w.raw((r.type === DnsType.AAAA ? parseIPv6(d.address) : parseIPv4(d.address)) ?? []);
  if ('name' in d) return w.name(d.name);
  if ('exchange' in d) {
    w.u16(d.preference);
    return w.name(d.exchange);
  }
  if ('strings' in d) {
    for (const s of d.strings) {
      const b = Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff).subarray(0, 255);
      w.bytes.push(b.length);
      w.raw(b);
    }
    return;
  }
  if ('mname' in d) {
    w.name(d.mname);
    w.name(d.rname);
    for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) w.u32(v);
    return;
  }
  if ('target' in d) {
    w.u16(d.priority);
    w.u16(d.weight);
    w.u16(d.port);
    // RFC 2782: the target must not be compressed.
    return w.name(d.target, false);
  }
  for (const o of d.options) {
    w.u16(o.code);
    w.u16(o.data.length);
    w.raw(o.data);
  }
}

/** Prefixes a message with its 2-byte length for TCP (RFC 1035 §4.2.2). */
export function emitDnsTcp(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + message.length);
  put16(out, 0, message.length);
  out.set(message, 2);
  return out;
}
