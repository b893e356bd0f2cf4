/**
 * Timeline: explanations (codes, not wording), the ladder model, every renderer against golden
 * files on four small real traces, the grammar/structure of the diagram outputs, escaping of
 * hostile text, and teachers' notes round-tripped through tshark.
 *
 * Goldens live in fixtures/golden/; regenerate with UPDATE_GOLDEN=1 after a deliberate change.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/reader.js';
import { annotateCapture } from '../../src/timeline/annotate.js';
import { escapeMermaid, escapePlantUml, escapeTerminal, escapeXml } from '../../src/timeline/escape.js';
import { bytesText, durationText, groupDigits, type Explanation } from '../../src/timeline/explanation.js';
import { buildLadder, type Ladder } from '../../src/timeline/ladder.js';
import { buildTimeline, type Timeline } from '../../src/timeline/pipeline.js';
import { renderLadder, type LadderFormat } from '../../src/timeline/render.js';
import { renderText } from '../../src/timeline/render-text.js';
import { checkWellFormed } from './xml.js';

const ROOT = resolve(import.meta.dirname, '../..');
const REAL = resolve(ROOT, '../shared/traces/real');
const GOLDEN = join(ROOT, 'fixtures/golden');
const haveCorpus = existsSync(REAL);
if (!haveCorpus) console.warn(`SKIPPED: test/timeline corpus tests need ${REAL}`);
const haveTshark = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;
if (!haveTshark) console.warn('SKIPPED: annotation round trip through tshark needs tshark');

const TRACES = {
  http: 'pcap_le_usec_eth_http_get_fin.pcap',
  lossy: 'tcp_sack_fast_retransmit.pcap',
  websocket: 'websocket_fragmented_ping_pong_close.pcap',
  dns: 'pcapng_2if_nsec_usec_linux_windows_dns.pcapng',
} as const;

const EXT: Record<LadderFormat, string> = { text: 'txt', markdown: 'md', mermaid: 'mmd', plantuml: 'puml', svg: 'svg' };

const cache = new Map<string, Timeline>();
async function timeline(file: string): Promise<Timeline> {
  let t = cache.get(file);
  if (!t) {
    t = await buildTimeline(join(REAL, file));
    cache.set(file, t);
  }
  return t;
}

function codes(t: Timeline): string[][] {
  return t.entries.map((e) => e.explained.explanations.map((x) => x.code.replace('WL_EXPLAIN_', '')));
}

function golden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
    if (process.env.UPDATE_GOLDEN !== '1') console.warn(`golden ${name} was missing: written`);
    return;
  }
  expect(actual, `golden ${name} (UPDATE_GOLDEN=1 to regenerate)`).toBe(readFileSync(path, 'utf8'));
}

describe('number formatting', () => {
  it('groups byte counts and rounds durations for people', () => {
    expect(groupDigits(69120)).toBe('69 120');
    expect(groupDigits(512)).toBe('512');
    expect(bytesText(1)).toBe('1 byte');
    expect(bytesText(5120)).toBe('5 120 bytes');
    expect(durationText(270_000)).toBe('0.27 ms');
    expect(durationText(3_240_000)).toBe('3.2 ms');
    expect(durationText(204_400_000)).toBe('204 ms');
    expect(durationText(60_000_000_000)).toBe('60 s');
    expect(durationText(0)).toBe('0 ms');
  });
});

describe.skipIf(!haveCorpus)('explanations on real traces', () => {
  it('handshake, HTTP and FIN teardown', async () => {
    const t = await timeline(TRACES.http);
    const c = codes(t);
    expect(c[0]).toEqual(['TCP_SYN']);
    expect(c[1]).toEqual(['TCP_SYN_ACK']);
    expect(c[2]).toEqual(['TCP_HANDSHAKE_ACK']);
    expect(c[3]).toEqual(['HTTP_REQUEST', 'TCP_DATA']);
    expect(c[8]).toEqual(['HTTP_RESPONSE', 'TCP_DATA']);
    expect(c.slice(11)).toEqual([['TCP_FIN'], ['TCP_FIN'], ['TCP_FIN_ACK']]);
    const e = t.entries.map((x) => x.explained);
    expect(e[0]!.explanations[0]!.params).toMatchObject({ role: 'client', isn: 4263588410, step: 1, mss: 1460 });
    expect(e[0]!.explanations[0]!.text).toMatch(/^SYN: client opens a connection and picks initial sequence number 4263588410 .*\(handshake 1\/3\)$/);
    expect(e[2]!.explanations[0]!.text).toBe('ACK: connection established, 70 ms after the SYN (handshake 3/3)');
    expect(e[11]!.explanations[0]!.params).toMatchObject({ role: 'client', step: 1 });
    expect(e[12]!.explanations[0]!.text).toContain('teardown 2/4 + 3/4');
    expect(e[13]!.explanations[0]!.text).toBe('ACK of FIN: connection closed (teardown 4/4)');
    expect(e.map((x) => x.phase)).toEqual([...Array(3).fill('handshake'), ...Array(8).fill('data'), ...Array(3).fill('teardown')]);
    expect(e.every((x) => x.severity === 'chat')).toBe(true);
  });

  it('lossy transfer: duplicate ACKs, fast retransmission, retransmission, RST', async () => {
    const t = await timeline(TRACES.lossy);
    const byFrame = (n: number) => t.entries[n - 1]!.explained;
    for (const [n, k] of [[29, 1], [30, 2], [31, 3]] as const) {
      const x = byFrame(n).explanations[0]!;
      expect(x.code).toBe('WL_EXPLAIN_TCP_DUP_ACK');
      expect(x.params).toMatchObject({ n: k, ack: 12871, role: 'client', original: 28 });
      expect(byFrame(n).severity).toBe('note');
    }
    expect(byFrame(31).explanations[0]!.text).toContain('fast retransmit');
    const fast = byFrame(32).explanations[0]!;
    expect(fast.code).toBe('WL_EXPLAIN_TCP_FAST_RETRANSMISSION');
    expect(fast.params).toMatchObject({ seq: 12871, len: 1430, dupAcks: 3, role: 'server' });
    expect(String(fast.params.rule)).toContain('duplicate ACKs');
    const rto = byFrame(34).explanations[0]!;
    expect(rto.code).toBe('WL_EXPLAIN_TCP_RETRANSMISSION');
    expect(rto.text).toMatch(/^Retransmission of bytes 18591–20020, 388 ms after/);
    const rst = byFrame(39);
    expect(rst.explanations[0]!.code).toBe('WL_EXPLAIN_TCP_RST');
    expect(rst.phase).toBe('abort');
    expect(rst.severity).toBe('warn');
  });

  it('WebSocket messages ride on the TCP explanation', async () => {
    const c = codes(await timeline(TRACES.websocket));
    expect(c[5]).toEqual(['HTTP_RESPONSE', 'HTTP_UPGRADE', 'TCP_DATA']);
    expect(c[7]).toEqual(['WS_PING', 'TCP_DATA']);
    expect(c[9]).toEqual(['WS_PONG', 'TCP_DATA']);
    expect(c[10]).toEqual(['WS_MESSAGE', 'TCP_DATA']);
    expect(c[12]).toEqual(['WS_MESSAGE', 'TCP_DATA']);
    expect(c[13]).toEqual(['WS_CLOSE', 'TCP_DATA']);
    const t = await timeline(TRACES.websocket);
    expect(t.entries[10]!.explained.explanations[0]!.params).toMatchObject({ masked: true, opcode: 2 });
    expect(t.entries[12]!.explained.explanations[0]!.params).toMatchObject({ frames: 5 });
  });

  it('DNS: query and answer with TTL and time', async () => {
    const t = await timeline(TRACES.dns);
    expect(codes(t).map((x) => x[0])).toEqual(['DNS_QUERY', 'DNS_RESPONSE', 'DNS_QUERY', 'DNS_RESPONSE', 'DNS_QUERY', 'DNS_RESPONSE']);
    const r = t.entries[3]!.explained.explanations[0]!;
    expect(r.text).toBe('DNS A? google.com → 142.251.181.138, 142.251.181.139, 142.251.181.113 (+3 more), TTL 137, in 15 ms');
    // tshark: dns.time of frame 4.
    expect(r.params.ms).toBeCloseTo(14.563, 2);
  });

  it('explanations are data: JSON round trip keeps code, severity, params and text', async () => {
    const t = await timeline(TRACES.lossy);
    for (const e of t.entries) {
      const back = JSON.parse(JSON.stringify(e.explained.explanations)) as Explanation[];
      expect(back).toEqual(e.explained.explanations);
      for (const x of back) expect(x.code).toMatch(/^WL_EXPLAIN_[A-Z0-9_]+$/);
    }
  });
});

describe.skipIf(!haveCorpus)('ladder goldens', () => {
  for (const [kind, file] of Object.entries(TRACES)) {
    for (const format of ['text', 'markdown', 'mermaid', 'plantuml', 'svg'] as const) {
      it(`${kind} as ${format}`, async () => {
        const ladder = buildLadder(await timeline(file), { title: file });
        const out = renderLadder(ladder, format, { scaleTime: format === 'svg' });
        golden(`ladder-${kind}.${EXT[format]}`, out);
        if (format === 'svg') expect(checkWellFormed(out)).toBeUndefined();
        if (format === 'mermaid') expect(mermaidProblems(out)).toEqual([]);
        if (format === 'plantuml') expect(plantUmlProblems(out)).toEqual([]);
      });
    }
    it(`${kind} as ASCII text`, async () => {
      const out = renderText(buildLadder(await timeline(file), { title: file }), { ascii: true });
      golden(`ladder-${kind}.ascii.txt`, out);
      // Explanations keep their words (×, –, →); the drawing itself is plain ASCII.
      expect(out).not.toMatch(/[\u2500-\u259f▶◀✎⋯]/u);
    });
  }

  it('collapses bulk runs unless --all, and draws retransmissions differently', async () => {
    const t = await timeline(TRACES.lossy);
    const collapsed = buildLadder(t);
    const rows = collapsed.groups.flatMap((g) => g.rows);
    const c = rows.find((r) => r.kind === 'collapsed');
    expect(c).toMatchObject({ kind: 'collapsed', firstFrame: 4, lastFrame: 28, segments: 25 });
    expect(c!.kind === 'collapsed' && c!.text).toMatch(/^… 25 segments, 24 257 bytes, 268 ms …$/);
    const all = buildLadder(t, { all: true }).groups.flatMap((g) => g.rows);
    expect(all).toHaveLength(39);
    const styles = new Map(all.map((r) => [r.kind === 'arrow' ? r.frame : 0, r.kind === 'arrow' ? r.style : '']));
    expect(styles.get(14)).toBe('normal');
    expect(styles.get(32)).toBe('retransmission');
    expect(styles.get(34)).toBe('retransmission');
    expect(styles.get(39)).toBe('error');
    const text = renderText(buildLadder(t, { all: true }), { ascii: true });
    const line = (n: number) => text.split('\n').find((l) => new RegExp(`^\\S?\\s+${n}\\s`).test(l))!;
    expect(line(34)).toContain('~');
    expect(line(14)).not.toContain('~');
    expect(line(39)).toContain('=');
  });

  it('--by host merges ports; time modes; colour only when asked', async () => {
    const t = await timeline(TRACES.websocket);
    const byHost = buildLadder(t, { by: 'host' });
    expect(byHost.lanes.map((l) => l.label)).toEqual(['127.0.0.1']);
    expect(renderText(byHost)).toContain('GET /');
    const delta = buildLadder(t, { time: 'delta', all: true }).groups.flatMap((g) => g.rows);
    expect(delta[1]!.time).toBe('+0.000018');
    const abs = buildLadder(t, { time: 'abs', all: true }).groups.flatMap((g) => g.rows);
    expect(abs[0]!.time).toMatch(/^\d\d:\d\d:\d\d\.\d{6}$/);
    expect(renderText(buildLadder(t))).not.toContain('\x1b[');
    expect(renderText(buildLadder(t), { color: true })).toContain('\x1b[');
  });

  it('-Y and --stream select after the analysis', async () => {
    const { compileFilter } = await import('../../src/filter/index.js');
    const t = await buildTimeline(join(REAL, TRACES.lossy), { filter: compileFilter('tcp.analysis.retransmission') });
    expect(t.entries.map((e) => e.frame)).toEqual([32, 34, 36]);
    expect(t.entries[1]!.explained.explanations[0]!.code).toBe('WL_EXPLAIN_TCP_RETRANSMISSION');
    const none = await buildTimeline(join(REAL, TRACES.lossy), { stream: 1 });
    expect(none.entries).toHaveLength(0);
    const max = await buildTimeline(join(REAL, TRACES.lossy), { max: 3 });
    expect(max.entries).toHaveLength(3);
  });
});

describe('escaping hostile text', () => {
  const evil = 'x\x1b]0;pwned\x07 <script>&"\' #; %% \u202e end\n@enduml **b** //i// `c` |';

  it('per medium', () => {
    expect(escapeTerminal(evil)).not.toMatch(/[\x00-\x1f\x7f\u202e]/);
    const xml = escapeXml(evil);
    expect(xml).not.toMatch(/[<>"'\x00-\x1f]|&(?!amp;|lt;|gt;|quot;|apos;)/);
    const m = escapeMermaid(evil);
    expect(m.replace(/#[0-9a-z]+;/g, '')).not.toMatch(/[#;<>%\n]/);
    expect(m).not.toMatch(/[<>\n]/);
    const p = escapePlantUml(evil);
    expect(p).not.toMatch(/\*\*|\/\/|[<>"\n\\]/);
  });

  it('a ladder built from hostile strings stays well-formed in every format', () => {
    const explanation: Explanation = { code: 'WL_EXPLAIN_OTHER', severity: 'warn', concept: 'other', params: {}, text: evil };
    const ladder: Ladder = {
      title: evil,
      lanes: [
        { id: 0, label: evil },
        { id: 1, label: 'b' },
      ],
      groups: [
        {
          phase: 'data',
          stream: 0,
          label: evil,
          rows: [
            { kind: 'arrow', frame: 1, from: 0, to: 1, t: 0, time: '0.000000', label: evil, explanation, extra: [explanation], comments: [evil], severity: 'warn', style: 'warning', marks: [evil], stream: 0 },
            { kind: 'arrow', frame: 2, from: 1, to: 1, t: 0.1, time: '0.100000', label: evil, explanation, extra: [], comments: [], severity: 'error', style: 'error', marks: [] },
          ],
        },
      ],
      timeMode: 'rel',
      oneWay: () => Number.NaN,
      start: 0,
      end: 0.1,
    };
    expect(checkWellFormed(renderLadder(ladder, 'svg', { scaleTime: true }))).toBeUndefined();
    expect(mermaidProblems(renderLadder(ladder, 'mermaid'))).toEqual([]);
    expect(plantUmlProblems(renderLadder(ladder, 'plantuml'))).toEqual([]);
    for (const f of ['text', 'markdown'] as const) expect(renderLadder(ladder, f)).not.toMatch(/[\x00-\x09\x0b-\x1f\u202e]/);
    const md = renderLadder(ladder, 'markdown');
    for (const row of md.split('\n').filter((l) => l.startsWith('| 1 '))) expect(row.split(/(?<!\\)\|/).length).toBe(7);
  });
});

/** Mermaid sequenceDiagram statements we emit, by shape (its grammar has no npm parser without a DOM). */
function mermaidProblems(src: string): string[] {
  const lines = src.trimEnd().split('\n');
  const bad: string[] = [];
  if (lines[0] !== 'sequenceDiagram') bad.push('first line');
  let depth = 0;
  const TEXT = '[^#;\\n]*(?:#[0-9a-z]+;[^#;\\n]*)*';
  const stmt = [
    new RegExp(`^title ${TEXT}$`),
    new RegExp(`^participant P\\d+ as ${TEXT}$`),
    /^rect rgb\(\d+, \d+, \d+\)$/,
    new RegExp(`^P\\d+(->>|-->>|-\\)|-x)P\\d+: ${TEXT}$`),
    new RegExp(`^Note (right of|left of|over) P\\d+(,P\\d+)?: ${TEXT}$`),
  ];
  for (const raw of lines.slice(1)) {
    const l = raw.trim();
    if (l === 'end') depth--;
    else if (l.startsWith('rect ')) depth++;
    if (depth < 0) bad.push('end without rect');
    if (l !== 'end' && !stmt.some((r) => r.test(l))) bad.push(l);
  }
  if (depth !== 0) bad.push('unbalanced rect/end');
  return bad;
}

function plantUmlProblems(src: string): string[] {
  const lines = src.trimEnd().split('\n');
  const bad: string[] = [];
  if (lines[0] !== '@startuml' || lines[lines.length - 1] !== '@enduml') bad.push('start/end');
  let depth = 0;
  const TEXT = '[^"\\n<>]*';
  const stmt = [
    new RegExp(`^title ${TEXT}$`),
    /^skinparam \w+ \S+$/,
    new RegExp(`^participant "${TEXT}" as P\\d+$`),
    new RegExp(`^group ${TEXT}$`),
    new RegExp(`^P\\d+ (->|-\\[#[0-9a-f]{6}\\]->|-\\[#[0-9a-f]{6}\\]->>|-\\[#[0-9a-f]{6}\\]->x) P\\d+ : ${TEXT}$`),
    new RegExp(`^note (left|right)( #[0-9A-F]{6})? : ${TEXT}$`),
    /^\.\.\.(?:(?!\.\.\.).)*\.\.\.$/,
  ];
  for (const l of lines.slice(1, -1)) {
    if (l === 'end') depth--;
    else if (l.startsWith('group ')) depth++;
    if (depth < 0) bad.push('end without group');
    if (l !== 'end' && !stmt.some((r) => r.test(l))) bad.push(l);
    if (/@enduml|@startuml/.test(l.slice(1))) bad.push(`directive inside: ${l}`);
  }
  if (depth !== 0) bad.push('unbalanced group/end');
  return bad;
}

describe.skipIf(!haveCorpus)('teachers notes (annotate)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wl-annotate-'));

  async function roundTrip(file: string, notes: { frame: number; text: string }[]) {
    const out = join(dir, `${file}.annotated.pcapng`);
    const r = await annotateCapture(join(REAL, file), out, notes);
    const before = await readCaptureFile(join(REAL, file));
    const after = await readCaptureFile(out);
    expect(after.frames.length).toBe(before.frames.length);
    for (let i = 0; i < before.frames.length; i++) {
      const a = before.frames[i]!;
      const b = after.frames[i]!;
      expect(Buffer.from(b.data).equals(Buffer.from(a.data)), `frame ${i + 1} bytes`).toBe(true);
      expect([b.tsSec, b.tsNsec, b.origLen, b.linkType, b.interfaceId]).toEqual([a.tsSec, a.tsNsec, a.origLen, a.linkType, a.interfaceId]);
      const added = notes.filter((n) => n.frame === i + 1).map((n) => n.text);
      expect(b.comments ?? []).toEqual([...(a.comments ?? []), ...added]);
    }
    return { r, out };
  }

  it('pcapng: block-level rewrite, other blocks and comments kept', async () => {
    const file = 'pcapng_merged_2if_comments_vlan_rtp.pcapng';
    const { r, out } = await roundTrip(file, [
      { frame: 1, text: 'first packet' },
      { frame: 53, text: 'a second comment on a commented packet' },
      { frame: 2, text: 'ünïcödé; "quotes" <tags> & \\ back' },
    ]);
    expect(r).toMatchObject({ annotated: [1, 2, 53], missing: [], format: 'pcapng' });
    const inSize = readFileSync(join(REAL, file)).length;
    expect(readFileSync(out).length).toBeGreaterThan(inSize);
    if (haveTshark) {
      const x = (f: string) => execFileSync('tshark', ['-r', f, '-x'], { encoding: 'latin1', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
      expect(x(out)).toBe(x(join(REAL, file)));
      const comments = execFileSync('tshark', ['-r', out, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', '-e', 'frame.number', '-e', 'frame.comment'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .trimEnd()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(comments[0]).toEqual(['1', 'first packet']);
      expect(comments[1]).toEqual(['2', 'ünïcödé; "quotes" <tags> & \\ back']);
      expect(comments[52]![1]).toMatch(/rtp\.pcap\|a second comment on a commented packet$/);
    }
  });

  it('pcap input becomes an equivalent pcapng; unknown frames are reported', async () => {
    const { r, out } = await roundTrip(TRACES.http, [
      { frame: 1, text: 'SYN: the client picks its ISN' },
      { frame: 14, text: 'last ACK' },
      { frame: 99, text: 'no such frame' },
    ]);
    expect(r).toMatchObject({ annotated: [1, 14], missing: [99], frames: 14, format: 'pcap' });
    if (haveTshark) {
      const fields = (f: string) =>
        execFileSync('tshark', ['-r', f, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.comment'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const a = fields(join(REAL, TRACES.http)).trimEnd().split('\n');
      const b = fields(out).trimEnd().split('\n');
      expect(b[0]).toBe(`${a[0]}SYN: the client picks its ISN`);
      expect(b.slice(1, 13)).toEqual(a.slice(1, 13));
      const x = (f: string) => execFileSync('tshark', ['-r', f, '-x'], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(x(out)).toBe(x(join(REAL, TRACES.http)));
    }
  });

  it('notes show in explain and ladder', async () => {
    const { out } = await roundTrip(TRACES.http, [{ frame: 2, text: 'look at the ISN' }]);
    const t = await buildTimeline(out);
    const ex = t.entries[1]!.explained.explanations;
    expect(ex[ex.length - 1]).toMatchObject({ code: 'WL_EXPLAIN_COMMENT', severity: 'note', text: 'Note: look at the ISN' });
    expect(renderText(buildLadder(t))).toContain('✎ note: look at the ISN');
  });
});
