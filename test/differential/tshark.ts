/**
 * The tshark side of the differential test: which fields are compared and how, running tshark once
 * per file, parsing its `-T fields` output, and turning both tshark's text and our JSON values into
 * one canonical string per field so that a plain string comparison decides.
 *
 * tshark 4.0 prints integer fields in their display base (eth.type `0x0800`, ip.id `0xdf8e`,
 * tcp.flags `0x0012`, ipv6.flow `0x000a1b2c`), booleans as `1`/`0`, checksum statuses as the numbers
 * of its value_string (0 Bad, 1 Good, 2 Unverified, 3 Not present, 4 Illegal: `tshark -G values`),
 * and FT_PROTOCOL fields such as tcp.options.sack_perm as the option's bytes (`0402`). With
 * `-E escape=y` (the default) tab, newline, carriage return, form feed and backspace inside a
 * string become `\t \n \r \f \b`; every other byte, backslash, BEL and vertical tab included, is
 * printed as it is (checked on 4.0.17 with editcap-made comments; the man page also promises `\v`,
 * which 4.0 does not do).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { FieldValue } from '../../src/decode/layer.js';

/** How a field's values are brought to one canonical form. */
export type FieldKind = 'uint' | 'bool' | 'present' | 'string' | 'checksum' | 'time';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** tshark shows the field only for pcapng files (frame.interface_id). */
  pcapngOnly?: boolean;
}

/** The compared fields, in the order they are passed to tshark. */
export const FIELDS: readonly FieldSpec[] = [
  { name: 'frame.number', kind: 'uint' },
  { name: 'frame.time_epoch', kind: 'string' },
  { name: 'frame.time_relative', kind: 'string' },
  { name: 'frame.time_delta', kind: 'string' },
  { name: 'frame.time_delta_displayed', kind: 'string' },
  { name: 'frame.len', kind: 'uint' },
  { name: 'frame.cap_len', kind: 'uint' },
  { name: 'frame.interface_id', kind: 'uint', pcapngOnly: true },
  { name: 'frame.comment', kind: 'string' },
  { name: 'eth.src', kind: 'string' },
  { name: 'eth.dst', kind: 'string' },
  { name: 'eth.type', kind: 'uint' },
  { name: 'vlan.id', kind: 'uint' },
  { name: 'sll.pkttype', kind: 'uint' },
  { name: 'ip.src', kind: 'string' },
  { name: 'ip.dst', kind: 'string' },
  { name: 'ip.proto', kind: 'uint' },
  { name: 'ip.ttl', kind: 'uint' },
  { name: 'ip.id', kind: 'uint' },
  { name: 'ip.len', kind: 'uint' },
  { name: 'ip.flags.df', kind: 'bool' },
  { name: 'ip.flags.mf', kind: 'bool' },
  { name: 'ip.frag_offset', kind: 'uint' },
  { name: 'ipv6.src', kind: 'string' },
  { name: 'ipv6.dst', kind: 'string' },
  { name: 'ipv6.nxt', kind: 'uint' },
  { name: 'ipv6.hlim', kind: 'uint' },
  { name: 'ipv6.flow', kind: 'uint' },
  { name: 'icmp.type', kind: 'uint' },
  { name: 'icmp.code', kind: 'uint' },
  { name: 'icmpv6.type', kind: 'uint' },
  { name: 'tcp.srcport', kind: 'uint' },
  { name: 'tcp.dstport', kind: 'uint' },
  { name: 'tcp.seq_raw', kind: 'uint' },
  { name: 'tcp.ack_raw', kind: 'uint' },
  { name: 'tcp.len', kind: 'uint' },
  { name: 'tcp.hdr_len', kind: 'uint' },
  { name: 'tcp.flags', kind: 'uint' },
  { name: 'tcp.flags.syn', kind: 'bool' },
  { name: 'tcp.flags.ack', kind: 'bool' },
  { name: 'tcp.flags.fin', kind: 'bool' },
  { name: 'tcp.flags.reset', kind: 'bool' },
  { name: 'tcp.flags.push', kind: 'bool' },
  { name: 'tcp.flags.urg', kind: 'bool' },
  { name: 'tcp.flags.ece', kind: 'bool' },
  { name: 'tcp.flags.cwr', kind: 'bool' },
  { name: 'tcp.window_size_value', kind: 'uint' },
  { name: 'tcp.options.mss_val', kind: 'uint' },
  { name: 'tcp.options.wscale.shift', kind: 'uint' },
  { name: 'tcp.options.sack_perm', kind: 'present' },
  { name: 'tcp.options.timestamp.tsval', kind: 'uint' },
  { name: 'tcp.options.timestamp.tsecr', kind: 'uint' },
  // The payload's bytes as hex (FT_BYTES): what `-e tcp.payload` extracts.
  { name: 'tcp.payload', kind: 'string' },
  { name: 'udp.srcport', kind: 'uint' },
  { name: 'udp.dstport', kind: 'uint' },
  { name: 'udp.length', kind: 'uint' },
  { name: 'udp.payload', kind: 'string' },
  { name: 'ip.checksum.status', kind: 'checksum' },
  { name: 'tcp.checksum.status', kind: 'checksum' },
  { name: 'udp.checksum.status', kind: 'checksum' },
  { name: 'icmp.checksum.status', kind: 'checksum' },
  { name: 'icmpv6.checksum.status', kind: 'checksum' },
];

/**
 * Fields of the analysis stage (src/analysis/): they depend on every earlier packet of the
 * connection, so they are compared as agreement rates per field over the corpus (at least 99%),
 * each disagreement belonging to a class explained in known-differences.md, rather than frame by
 * frame like the decoder fields. Times are compared as numbers (9 decimals, tshark's precision).
 */
export const ANALYSIS_FIELDS: readonly FieldSpec[] = [
  { name: 'tcp.stream', kind: 'uint' },
  { name: 'tcp.seq', kind: 'uint' },
  { name: 'tcp.ack', kind: 'uint' },
  { name: 'tcp.nxtseq', kind: 'uint' },
  { name: 'tcp.window_size', kind: 'uint' },
  { name: 'tcp.time_relative', kind: 'time' },
  { name: 'tcp.time_delta', kind: 'time' },
  { name: 'tcp.analysis.initial_rtt', kind: 'time' },
  { name: 'tcp.analysis.ack_rtt', kind: 'time' },
  { name: 'tcp.analysis.acks_frame', kind: 'uint' },
  { name: 'tcp.analysis.bytes_in_flight', kind: 'uint' },
  { name: 'tcp.analysis.flags', kind: 'present' },
  { name: 'tcp.analysis.retransmission', kind: 'present' },
  { name: 'tcp.analysis.fast_retransmission', kind: 'present' },
  { name: 'tcp.analysis.spurious_retransmission', kind: 'present' },
  { name: 'tcp.analysis.out_of_order', kind: 'present' },
  { name: 'tcp.analysis.lost_segment', kind: 'present' },
  { name: 'tcp.analysis.ack_lost_segment', kind: 'present' },
  { name: 'tcp.analysis.duplicate_ack', kind: 'present' },
  { name: 'tcp.analysis.duplicate_ack_num', kind: 'uint' },
  { name: 'tcp.analysis.duplicate_ack_frame', kind: 'uint' },
  { name: 'tcp.analysis.zero_window', kind: 'present' },
  { name: 'tcp.analysis.zero_window_probe', kind: 'present' },
  { name: 'tcp.analysis.zero_window_probe_ack', kind: 'present' },
  { name: 'tcp.analysis.window_full', kind: 'present' },
  { name: 'tcp.analysis.window_update', kind: 'present' },
  { name: 'tcp.analysis.keep_alive', kind: 'present' },
  { name: 'tcp.analysis.keep_alive_ack', kind: 'present' },
  { name: 'tcp.analysis.reused_ports', kind: 'present' },
  { name: 'udp.stream', kind: 'uint' },
];

/**
 * Extra columns that are not compared: `frame.encap_type` is empty for the records tshark makes of
 * pcapng custom blocks (CB/DCB), which carry no packet and which we do not count as frames;
 * `frame.protocols` explains a mismatch (which layers tshark saw).
 */
export const ENCAP_COLUMN = 'frame.encap_type';
export const PROTOCOLS_COLUMN = 'frame.protocols';
export const COLUMNS: readonly string[] = [...FIELDS.map((f) => f.name), ...ANALYSIS_FIELDS.map((f) => f.name), ENCAP_COLUMN, PROTOCOLS_COLUMN];

/** Separates repeated occurrences of a field: a control character no compared value contains. */
export const AGGREGATOR = '\x1f';

/**
 * Preferences: verify every checksum tshark can (ICMP and ICMPv6 are always verified), and turn off
 * IP defragmentation and TCP reassembly, which would move upper layers to the last fragment/segment
 * while we decode each frame on its own. TCP sequence analysis stays on (its default), with its
 * other defaults spelled out: the analysis fields are compared. Desegmentation and out-of-order
 * reassembly change none of the analysis fields on the corpus (checked: identical output either way).
 */
export const TSHARK_PREFS: readonly string[] = [
  'ip.check_checksum:TRUE',
  'tcp.check_checksum:TRUE',
  'udp.check_checksum:TRUE',
  'ip.defragment:FALSE',
  'ipv6.defragment:FALSE',
  'tcp.desegment_tcp_streams:FALSE',
  'tcp.analyze_sequence_numbers:TRUE',
  'tcp.relative_sequence_numbers:TRUE',
  'tcp.track_bytes_in_flight:TRUE',
  'tcp.calculate_timestamps:TRUE',
];

export function tsharkArgs(file: string): string[] {
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'separator=/t', '-E', `aggregator=${AGGREGATOR}`];
  for (const p of TSHARK_PREFS) args.push('-o', p);
  for (const c of COLUMNS) args.push('-e', c);
  return args;
}

/** tshark's version string, or undefined when it cannot be run. */
export function tsharkVersion(): string | undefined {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return /TShark \(Wireshark\) (\S+)/.exec(r.stdout)?.[1] ?? r.stdout.split('\n')[0];
}

/** One line of tshark output: raw text per column (an empty string when the field is absent). */
export type TsharkRow = Record<string, string>;

export interface TsharkRun {
  rows: TsharkRow[];
  /** tshark's exit status: 2 when it stopped on a damaged or unsupported file (after printing what it read). */
  exitCode: number;
  stderr: string;
}

/**
 * Splits `-T fields` output into rows. Lines are separated by '\n' and columns by '\t' (both are
 * escaped inside values); a last line without its newline, or with the wrong column count, is
 * dropped as cut off.
 */
export function parseFieldsOutput(text: string, columns: readonly string[] = COLUMNS): TsharkRow[] {
  const rows: TsharkRow[] = [];
  const lines = text.split('\n');
  lines.pop(); // the text after the last '\n': empty, or a line tshark did not finish
  for (const line of lines) {
    const cells = line.split('\t');
    if (cells.length !== columns.length) continue;
    const row: TsharkRow = {};
    columns.forEach((c, i) => (row[c] = cells[i]!));
    rows.push(row);
  }
  return rows;
}

export function runTshark(file: string): Promise<TsharkRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('tshark', tsharkArgs(file), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        rows: parseFieldsOutput(Buffer.concat(out).toString('utf8')),
        exitCode: code ?? -1,
        stderr: Buffer.concat(err)
          .toString('utf8')
          .split('\n')
          .filter((l) => l && !l.startsWith('Running as user'))
          .join('\n'),
      }),
    );
  });
}

/** Runs `task` over `items` with at most `width` running at once, keeping the input order. */
export async function pool<T, R>(items: readonly T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

const CHECKSUM_STATUS = ['bad', 'good', 'unverified', 'not present', 'illegal'];

/** Canonical form of one tshark token. Unparseable text is kept as it is, so it shows in the mismatch. */
export function canonTsharkToken(kind: FieldKind, token: string): string {
  switch (kind) {
    case 'uint':
      if (/^0x[0-9a-f]+$/i.test(token)) return String(Number.parseInt(token.slice(2), 16));
      if (/^\d+$/.test(token)) return String(Number(token));
      return token;
    case 'bool':
      if (token === '1' || token === 'True') return 'true';
      if (token === '0' || token === 'False') return 'false';
      return token;
    case 'present':
      return 'present';
    case 'checksum':
      return /^\d$/.test(token) ? (CHECKSUM_STATUS[Number(token)] ?? token) : token;
    case 'string':
      return token;
    case 'time':
      return /^-?\d+(\.\d+)?$/.test(token) ? Number(token).toFixed(9) : token;
  }
}

/** Applies tshark's `-E escape=y` to a string of ours. */
export function tsharkEscape(s: string): string {
  return s.replace(/[\t\n\r\f\b]/g, (c) => ({ '\t': '\\t', '\n': '\\n', '\r': '\\r', '\f': '\\f', '\b': '\\b' })[c]!);
}

/**
 * Canonical form of one value of ours. A value of the wrong JSON type for the field (a hex string
 * for a number, 1 for a boolean) is shown as JSON, so it can never compare equal.
 */
export function canonOurValue(kind: FieldKind, v: FieldValue): string {
  switch (kind) {
    case 'uint':
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? String(v) : JSON.stringify(v);
    case 'bool':
      return typeof v === 'boolean' ? String(v) : JSON.stringify(v);
    case 'present':
      return v === false ? 'false' : 'present';
    case 'checksum':
      return typeof v === 'string' ? v : JSON.stringify(v);
    case 'string':
      return typeof v === 'string' ? tsharkEscape(v) : JSON.stringify(v);
    case 'time':
      return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(9) : JSON.stringify(v);
  }
}

/**
 * A whole field, every occurrence, as one string. Splitting tshark's text on the aggregator and
 * joining again is the identity for strings, so a comment containing the aggregator still compares.
 */
export function canonTshark(kind: FieldKind, raw: string): string {
  if (raw === '') return '';
  // A presence-only field may occur twice (tcp.analysis.duplicate_ack is both a field and an expert item).
  if (kind === 'present') return 'present';
  return raw
    .split(AGGREGATOR)
    .map((t) => canonTsharkToken(kind, t))
    .join(AGGREGATOR);
}

export function canonOurs(kind: FieldKind, value: FieldValue | FieldValue[] | undefined): string {
  if (value === undefined) return '';
  if (kind === 'present' && Array.isArray(value)) return 'present';
  const values = Array.isArray(value) ? value : [value];
  return values.map((v) => canonOurValue(kind, v)).join(AGGREGATOR);
}

/** For messages: occurrences separated by ' | ', absence shown as ∅. */
export function show(canonical: string): string {
  if (canonical === '') return '∅';
  const s = canonical.split(AGGREGATOR).join(' | ');
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
