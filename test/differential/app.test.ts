/**
 * Differential test of the application stage (src/analysis/app.ts) against tshark 4.0.17: the
 * fields of issue 4 (HTTP, WebSocket, DNS, TLS, QUIC) on every frame of the corpus, as
 * `read --json` produces them (packetToJson right after analyze(), i.e. streaming), against
 * tshark's single pass with its default preferences (TCP desegmentation and IP defragmentation
 * on: the fields of a message go on the frame that completes it).
 *
 * Agreement is counted per field over the frames where either side shows it. Every disagreement
 * must belong to a class of DIFFERENCE_CLASSES (mirrored in known-differences.md, section
 * "Application layer"); the test prints the table with WL_FIGURES=1.
 */
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { Analyzer } from '../../src/analysis/analyzer.js';
import { AppStage, appAnalyzerOptions } from '../../src/analysis/app.js';
import { packetToJson } from '../../src/output/json.js';
import type { FieldValue } from '../../src/decode/layer.js';
import { tsharkEscape } from './tshark.js';

const TRACE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/traces/real');
const haveTraces = existsSync(TRACE_DIR);
const tsharkOk = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;
if (!haveTraces) console.warn(`app differential skipped: ${TRACE_DIR} is absent`);
if (!tsharkOk) console.warn('app differential skipped: tshark is not installed');

type Kind = 'uint' | 'bool' | 'string' | 'time' | 'protocols' | 'bytes' | 'epoch';
export const APP_FIELDS: readonly [string, Kind][] = [
  ['http.request.method', 'string'],
  ['http.request.uri', 'string'],
  ['http.request.version', 'string'],
  ['http.host', 'string'],
  ['http.user_agent', 'string'],
  ['http.response.code', 'uint'],
  ['http.response.phrase', 'string'],
  ['http.content_type', 'string'],
  ['http.content_length', 'uint'],
  ['http.request_in', 'uint'],
  // Header lines and the fields tshark gives the headers it knows (src/protocols/http-fields.ts).
  ['http.request.line', 'string'],
  ['http.response.line', 'string'],
  ['http.accept', 'string'],
  ['http.accept_encoding', 'string'],
  ['http.accept_language', 'string'],
  ['http.cache_control', 'string'],
  ['http.connection', 'string'],
  ['http.content_length_header', 'string'],
  ['http.cookie', 'string'],
  ['http.cookie_pair', 'string'],
  ['http.date', 'string'],
  ['http.last_modified', 'string'],
  ['http.referer', 'string'],
  ['http.server', 'string'],
  ['http.transfer_encoding', 'string'],
  ['http.upgrade', 'string'],
  ['http.sec_websocket_key', 'string'],
  ['http.sec_websocket_accept', 'string'],
  ['http.sec_websocket_protocol', 'string'],
  ['http.sec_websocket_version', 'string'],
  ['http.sec_websocket_extensions', 'string'],
  ['http.request.full_uri', 'string'],
  ['http.response_for.uri', 'string'],
  ['http.request.uri.path', 'string'],
  ['http.request.uri.query', 'string'],
  ['http.request.uri.query.parameter', 'string'],
  ['http.chat', 'bool'],
  ['http.request', 'bool'],
  ['http.response', 'bool'],
  ['http.response.code.desc', 'string'],
  ['http.request_number', 'uint'],
  ['http.response_number', 'uint'],
  ['http.prev_request_in', 'uint'],
  ['http.prev_response_in', 'uint'],
  ['http.response_in', 'uint'],
  ['http.time', 'time'],
  ['http.file_data', 'string'],
  // A chunked body's chunks (RFC 9112 §7.1).
  ['http.chunk_size', 'uint'],
  ['http.chunk_data', 'bytes'],
  ['http.chunk_boundary', 'bytes'],
  ['websocket.fin', 'bool'],
  ['websocket.opcode', 'uint'],
  ['websocket.mask', 'bool'],
  ['websocket.payload_length', 'uint'],
  // The payload subtree (RFC 6455 §5.5-5.6).
  ['websocket.payload', 'bool'],
  ['websocket.masked_payload', 'bool'],
  ['websocket.payload.text', 'string'],
  ['websocket.payload.ping', 'bytes'],
  ['websocket.payload.pong', 'bytes'],
  ['websocket.payload.close', 'bool'],
  ['websocket.payload.close.status_code', 'uint'],
  // A fragmented message (RFC 6455 §5.4): a middle fragment's bytes, the fragments on the last.
  ['websocket.payload.continue', 'bytes'],
  ['websocket.fragment', 'uint'],
  ['websocket.fragment.count', 'uint'],
  ['websocket.reassembled.length', 'uint'],
  ['dns.id', 'uint'],
  ['dns.flags.response', 'bool'],
  ['dns.flags.rcode', 'uint'],
  ['dns.qry.name', 'string'],
  ['dns.qry.type', 'uint'],
  ['dns.a', 'string'],
  ['dns.aaaa', 'string'],
  ['dns.count.answers', 'uint'],
  ['dns.time', 'time'],
  // DNSSEC records (RFC 4034, RFC 5155): DNSKEY, RRSIG, NSEC3 (DS has no example in the corpus: test/protocols/dns.test.ts).
  ['dns.dnskey.flags', 'uint'],
  ['dns.dnskey.flags.zone_key', 'bool'],
  ['dns.dnskey.flags.key_revoked', 'bool'],
  ['dns.dnskey.flags.secure_entry_point', 'bool'],
  ['dns.dnskey.flags.reserved', 'uint'],
  ['dns.dnskey.protocol', 'uint'],
  ['dns.dnskey.algorithm', 'uint'],
  ['dns.dnskey.key_id', 'uint'],
  ['dns.dnskey.public_key', 'bytes'],
  ['dns.rrsig.type_covered', 'uint'],
  ['dns.rrsig.algorithm', 'uint'],
  ['dns.rrsig.labels', 'uint'],
  ['dns.rrsig.original_ttl', 'uint'],
  ['dns.rrsig.signature_expiration', 'epoch'],
  ['dns.rrsig.signature_inception', 'epoch'],
  ['dns.rrsig.key_tag', 'uint'],
  ['dns.rrsig.signers_name', 'string'],
  ['dns.rrsig.signature', 'bytes'],
  ['dns.nsec3.algo', 'uint'],
  ['dns.nsec3.flags', 'uint'],
  ['dns.nsec3.flags.opt_out', 'bool'],
  ['dns.nsec3.iterations', 'uint'],
  ['dns.nsec3.salt_length', 'uint'],
  ['dns.nsec3.salt_value', 'bytes'],
  ['dns.nsec3.hash_length', 'uint'],
  ['dns.nsec3.hash_value', 'string'],

  ['tls.record', 'bool'],
  ['tls.change_cipher_spec', 'bool'],
  ['tls.app_data', 'bytes'],
  ['tls.handshake', 'bool'],
  ['tls.handshake.type', 'uint'],
  ['tls.handshake.extensions_server_name', 'string'],
  ['tls.handshake.extensions_alpn_str', 'string'],
  // The hellos' fingerprints, and what they are made of: the client's groups, point formats, signature schemes.
  ['tls.handshake.ja3_full', 'string'],
  ['tls.handshake.ja3', 'string'],
  ['tls.handshake.ja3s_full', 'string'],
  ['tls.handshake.ja3s', 'string'],
  // What JA3-style fingerprints are made of: the client's groups, point formats, signature schemes.
  ['tls.handshake.extensions_supported_groups_length', 'uint'],
  ['tls.handshake.extensions_supported_groups', 'bool'],
  ['tls.handshake.extensions_supported_group', 'uint'],
  ['tls.handshake.extensions_ec_point_formats_length', 'uint'],
  ['tls.handshake.extensions_ec_point_formats', 'bool'],
  ['tls.handshake.extensions_ec_point_format', 'uint'],
  ['tls.handshake.sig_hash_alg_len', 'uint'],
  ['tls.handshake.sig_hash_algs', 'bool'],
  ['tls.handshake.sig_hash_alg', 'uint'],
  ['tls.handshake.sig_hash_hash', 'uint'],
  ['tls.handshake.sig_hash_sig', 'uint'],
  ['quic.version', 'uint'],
  ['quic.dcid', 'string'],
  ['quic.scid', 'string'],
  // The application part of the layer list: what follows the last tcp/udp (appSuffix).
  ['frame.protocols', 'protocols'],
];

/** What appSuffix gives for a frame without TCP or UDP (not compared). */
const NO_TRANSPORT = '-';

/**
 * The layers above TCP or UDP in a frame.protocols value ("http:websocket:data"; '' for none).
 * The link and network part is the decoder differential's business (tshark 4.0 also inserts an
 * `ethertype` pseudo-layer there, and shows IP fragments as `ip:data`: known-differences.md), so
 * frames where either side has no tcp/udp are not compared.
 */
function appSuffix(protocols: string): string {
  const ls = protocols.split(':');
  const i = Math.max(ls.lastIndexOf('tcp'), ls.lastIndexOf('udp'));
  return i < 0 ? NO_TRANSPORT : ls.slice(i + 1).join(':');
}

const AGG = '\x1f';

function canonToken(kind: Kind, t: string): string {
  if (kind === 'uint') return /^0x[0-9a-f]+$/i.test(t) ? String(parseInt(t, 16)) : t;
  if (kind === 'bool') return t === 'True' ? '1' : t === 'False' ? '0' : t;
  if (kind === 'time') return t === '' ? t : Number(t).toFixed(9);
  if (kind === 'protocols') return appSuffix(t);
  // tshark separates bytes with ':'; we write them as one hex string.
  if (kind === 'bytes') return t.replace(/:/g, '');
  // An absolute time tshark shows as "Jun 19, 2019 10:57:21.000000000 UTC"; we give seconds since 1970.
  if (kind === 'epoch') {
    const m = /^(\w{3}) +(\d+), (\d{4}) (\d\d):(\d\d):(\d\d)\.\d+ UTC$/.exec(t);
    const month = m ? ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(m[1]!) : -1;
    return m && month >= 0 ? String(Date.UTC(Number(m[3]), month, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000) : t;
  }
  // tshark -E escape=y
  return t;
}

function canonOurs(kind: Kind, v: FieldValue | FieldValue[] | undefined): string {
  if (v === undefined) return '';
  const one = (x: FieldValue): string => {
    if (typeof x === 'boolean') return x ? '1' : '0';
    if (kind === 'time') return Number(x).toFixed(9);
    if (kind === 'protocols') return appSuffix(String(x));
    if (typeof x === 'string') return tsharkEscape(x);
    return String(x);
  };
  return Array.isArray(v) ? v.map(one).join(AGG) : one(v);
}

/** Our per-frame values, streaming: each packet turned to JSON as soon as it is analysed. */
export function ourRows(path: string): Map<number, Record<string, string>> {
  // As `read --json` makes it: bodies kept for http.file_data.
  const analyzer = new Analyzer(appAnalyzerOptions(new AppStage({ bodies: true }), { defragment: true }));
  const out = new Map<number, Record<string, string>>();
  for (const frame of readCaptureFileSync(path).frames) {
    const p = decodePacket(frame);
    const json = packetToJson(p, analyzer.analyze(p));
    const row: Record<string, string> = {};
    for (const [name, kind] of APP_FIELDS) row[name] = canonOurs(kind, json[name]);
    out.set(frame.number, row);
  }
  analyzer.finish();
  return out;
}

export function tsharkRows(path: string): Map<number, Record<string, string>> | undefined {
  const r = spawnSync('tshark', ['-n', '-r', path, '-T', 'fields', '-E', 'occurrence=a', '-E', `aggregator=${AGG}`, '-e', 'frame.number', ...APP_FIELDS.flatMap(([f]) => ['-e', f])], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (!r.stdout) return undefined;
  const out = new Map<number, Record<string, string>>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const cols = line.split('\t');
    const row: Record<string, string> = {};
    APP_FIELDS.forEach(([name, kind], i) => {
      row[name] = (cols[i + 1] ?? '').split(AGG).filter((t) => t !== '').map((t) => canonToken(kind, t)).join(AGG);
    });
    out.set(Number(cols[0]), row);
  }
  return out;
}

interface Mismatch {
  file: string;
  frame: number;
  field: string;
  ours: string;
  tshark: string;
}

/**
 * Explained classes of disagreement (known-differences.md, "Application layer"). Each says which
 * mismatches it covers; the test requires every mismatch to be covered and every class to be used.
 */
const DIFFERENCE_CLASSES: { name: string; why: string; covers: (m: Mismatch) => boolean }[] = [
  {
    name: 'pipelined-pairing',
    why: 'tshark pairs an HTTP response with the first request of the segment that carried several pipelined requests; we pair every message in order (RFC 9112 §9.3)',
    covers: (m) => m.file === 'http_pipelined_scanner.pcap' && ['http.time', 'http.request_in', 'http.response_for.uri', 'http.request_number', 'http.response_number', 'http.prev_request_in', 'http.prev_response_in'].includes(m.field),
  },
  {
    name: 'retransmitted-pdu',
    why: 'tshark dissects a whole HTTP response again when a TCP fast retransmission repeats it; reassembly delivers every byte once, so we show it on the first copy only',
    covers: (m) => m.file === 'tcp_retrans_dupack_ooo_keepalive_http.pcap' && [42, 86].includes(m.frame) && (m.field.startsWith('http.') || m.field === 'frame.protocols') && m.ours === '',
  },
  {
    name: 'out-of-order-pdu',
    why: 'tshark 4.0 reassembles PDUs from in-order segments only (tcp.reassemble_out_of_order is FALSE by default) and loses a response whose segments came out of order; our reassembler holds them (with -o tcp.reassemble_out_of_order:TRUE tshark shows the same 206 on frame 953), and names it as the previous response of frame 1213',
    covers: (m) =>
      m.file === 'tcp_zero_window_ooo_retrans_http_range.pcap' && m.tshark === '' && (m.frame === 953 || (m.frame === 1213 && m.field === 'http.prev_response_in')),
  },
  {
    name: 'renumbered-after-retransmitted-pdu',
    why: 'tshark counts the response it dissected twice (retransmitted-pdu, frame 42) as one more message: the later request and response numbers are one higher there, and its prev links point at the copy',
    covers: (m) => m.file === 'tcp_retrans_dupack_ooo_keepalive_http.pcap' && m.frame > 42 && /^http\.(request_number|response_number|prev_request_in|prev_response_in)$/.test(m.field),
  },
  {
    name: 'quic-initial-decryption',
    why: 'tshark decrypts QUIC Initial packets with the keys RFC 9001 §5.2 derives from the DCID and dissects the TLS hello in their CRYPTO frames; we do not decrypt QUIC',
    covers: (m) => m.file.includes('quic') && ((m.field.startsWith('tls.') && m.ours === '') || (m.field === 'frame.protocols' && m.tshark === `${m.ours}:tls`)),
  },
  {
    name: 'nul-in-header',
    why: 'a header value holding a NUL byte (fuzzed capture): tshark prints it as a C string, up to the NUL (a header line too); we keep the whole value',
    covers: (m) => m.file === 'fuzz_wireshark_eth_2006.pcap' && m.ours.includes('\u0000'),
  },
  {
    name: 'invalid-utf8-header',
    why: 'header bytes that are not UTF-8 (fuzzed capture): tshark shows U+FFFD for them; we read them as ISO-8859-1 (RFC 9110 §5.5 obs-text), and a line whose name is not a token is no header field to us (the message is flagged WL_HTTP_BAD_HEADER), while tshark still lists it as a line',
    covers: (m) => m.file === 'fuzz_wireshark_eth_2006.pcap' && m.tshark.includes('\uFFFD'),
  },
  {
    name: 'fuzzed-sequence',
    why: 'fuzzed capture: the server\'s first captured segment (frame 109) has a sequence number 512 KiB past the data that follows, so reassembly takes frame 110 for old bytes; tshark dissects its payload anyway',
    covers: (m) => m.file === 'fuzz_wireshark_eth_2006.pcap' && m.frame === 110 && m.ours === '',
  },
  {
    name: 'port-based-dissection',
    why: 'tshark hands TCP port 80 to HTTP whatever the bytes: a stream whose first captured bytes are not a message start (fuzzed, or captured mid-connection) is desegmented as HTTP and shows bare `tcp`; we recognise HTTP by content on any port, and leave such a stream as `data`',
    covers: (m) => m.field === 'frame.protocols' && m.tshark === '' && m.ours === 'data' && ['fuzz_wireshark_eth_2006.pcap', 'ipv6_ext_hbh_rh_frag_dstopts_http.pcap'].includes(m.file),
  },
  {
    name: 'not-decoded',
    why: 'protocols above TCP/UDP that wirelens does not decode (PPTP, DHCP, PFCP, Dropbox LAN sync): tshark names them, we show `data`',
    covers: (m) => m.field === 'frame.protocols' && m.ours === 'data' && /^(pptp|dhcp|pfcp|db-lsp-disc)(:|$)/.test(m.tshark),
  },
  {
    name: 'retransmitted-payload',
    why: 'tshark passes the payload of a TCP retransmission to no dissector (bare `tcp`); on a stream we do not decode (PPTP here) the copy stays `data`',
    covers: (m) => m.field === 'frame.protocols' && m.file === 'pcap_be_usec_eth_pptp_retrans_dupack.pcap' && m.tshark === '' && m.ours === 'data',
  },
  {
    name: 'multipart-parts',
    why: 'a multipart body: tshark\'s MIME multipart dissector adds a layer per part (`mime_multipart:data`); bodies are counted, not parsed, so we show `mime_multipart` alone',
    covers: (m) => m.field === 'frame.protocols' && m.tshark.startsWith(m.ours) && m.ours.endsWith('mime_multipart'),
  },
  {
    name: 'image-signature',
    why: 'a body declared image/png that holds a GIF: tshark\'s image dissectors check the signature (the PNG one refuses it, the GIF one takes it: `image-gif`); we name the layer from the declared type (`png`)',
    covers: (m) => m.field === 'frame.protocols' && m.file === 'http_keepalive_sequential_requests.pcap' && m.tshark === 'http:image-gif' && m.ours === 'http:png',
  },
];

describe.skipIf(!haveTraces || !tsharkOk)('application fields against tshark (single pass, default reassembly)', () => {
  const files = haveTraces ? readdirSync(TRACE_DIR).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort() : [];
  const all: Mismatch[] = [];
  const counts = new Map<string, { compared: number; agree: number }>();

  it('agrees on every field of every frame, or the difference is explained', () => {
    for (const file of files) {
      const path = join(TRACE_DIR, file);
      let ours: Map<number, Record<string, string>>;
      try {
        ours = ourRows(path);
      } catch {
        continue; // files our reader refuses (the decoder differential covers them)
      }
      const theirs = tsharkRows(path);
      if (!theirs) continue;
      for (const [frame, t] of theirs) {
        const o = ours.get(frame);
        if (!o) continue;
        for (const [name] of APP_FIELDS) {
          const a = o[name] ?? '';
          const b = t[name] ?? '';
          if (!a && !b) continue;
          if (a === NO_TRANSPORT || b === NO_TRANSPORT) continue;
          const c = counts.get(name) ?? { compared: 0, agree: 0 };
          c.compared++;
          if (a === b) c.agree++;
          else all.push({ file, frame, field: name, ours: a, tshark: b });
          counts.set(name, c);
        }
      }
    }
    const unexplained = all.filter((m) => !DIFFERENCE_CLASSES.some((c) => c.covers(m)));
    if (process.env.WL_FIGURES || unexplained.length) {
      for (const [name, c] of counts) console.log(`${name.padEnd(42)} ${String(c.agree).padStart(5)}/${String(c.compared).padEnd(5)} ${((100 * c.agree) / c.compared).toFixed(2)}%`);
      for (const k of DIFFERENCE_CLASSES) console.log(`class ${k.name}: ${all.filter((m) => k.covers(m)).length} values`);
    }
    expect(unexplained.slice(0, 40).map((m) => `${m.file} #${m.frame} ${m.field}: ours ${JSON.stringify(m.ours)} tshark ${JSON.stringify(m.tshark)}`)).toEqual([]);
    // Every issue-4 field is exercised by the corpus, except http.response_in (second pass only).
    for (const [name] of APP_FIELDS) if (name !== 'http.response_in') expect(counts.get(name)?.compared ?? 0, name).toBeGreaterThan(0);
  }, 120_000);

  it('every difference class still occurs', () => {
    for (const k of DIFFERENCE_CLASSES) expect(all.some((m) => k.covers(m)), k.name).toBe(true);
  });
});
