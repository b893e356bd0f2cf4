/** The public library API, used the way the README shows it. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Analyzer, TcpAnalysisFlag, compileFilter, decodePacket, packetToJson, readCaptureFile, summarize } from '../src/index.js';

const TRACE = resolve(import.meta.dirname, '../traces/http-get-loopback.pcapng');

describe('wirelens library API', () => {
  it('reads, decodes, analyses, filters and serialises a capture', async () => {
    const { frames, format } = await readCaptureFile(TRACE);
    expect(format).toBe('pcapng');
    const analyzer = new Analyzer();
    const fins = compileFilter('tcp.flags.fin == 1');
    const rows = [];
    for (const frame of frames) {
      const packet = decodePacket(frame);
      const analysis = analyzer.analyze(packet);
      if (fins.matches(packet, analysis)) rows.push({ json: packetToJson(packet, analysis), line: summarize(packet, analysis) });
    }
    analyzer.finish();
    expect(rows.map((r) => r.json['frame.number'])).toEqual([8, 9, 18, 19]);
    expect(rows.map((r) => r.json['tcp.stream'])).toEqual([0, 0, 1, 1]);
    expect(rows[0]!.line.info).toMatch(/^35354 → 8080 \[FIN, ACK\] Seq=89 Ack=229 /);
    expect(analyzer.connections()).toHaveLength(2);
    expect(TcpAnalysisFlag.RETRANSMISSION).toBeGreaterThan(0);
  });
});
