/**
 * The simulator's ground truth against the analysers: every packet whose pcapng comment says
 * "retransmission" must be flagged as one, by our Analyzer and by tshark, and no other packet.
 * Retransmissions sent while new data is still going out, NewReno's after a partial ACK (RFC 6582)
 * and the SACK sender's of later holes (RFC 6675 NextSeg), may be flagged out-of-order instead:
 * tshark's rule (a segment within one handshake RTT of the highest sent) wins there, and ours
 * follows tshark.
 */
import { execFileSync } from 'node:child_process';
import type { Frame } from '../../src/capture/frame.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { Analyzer } from '../../src/analysis/analyzer.js';

const RTX = ['tcp.analysis.retransmission', 'tcp.analysis.fast_retransmission', 'tcp.analysis.spurious_retransmission'];

function agrees(comment: string, retransmission: boolean, outOfOrder: boolean): boolean {
  return comment.includes('retransmission') ? retransmission || (outOfOrder && (comment.includes('partial ACK') || comment.includes('SACK'))) : !retransmission && !outOfOrder;
}

/** Frames where our analysis disagrees with the comment, described for the failure message. */
export function ourDisagreements(frames: readonly Frame[]): string[] {
  const analyzer = new Analyzer();
  const wrong: string[] = [];
  for (const f of frames) {
    const names = analyzer.analyze(decodePacket(f)).fields().map((x) => x.name);
    const comment = f.comments?.[0] ?? '';
    if (!agrees(comment, RTX.some((n) => names.includes(n)), names.includes('tcp.analysis.out_of_order'))) {
      wrong.push(`${f.number}: [${names.filter((n) => n.startsWith('tcp.analysis')).join(',')}] ${comment}`);
    }
  }
  return wrong;
}

/** tshark's view of the file: the malformed or bad-checksum frames, and the rows disagreeing with their comment. */
export function tsharkFindings(file: string): { bad: string; wrong: string[] } {
  const bad = execFileSync('tshark', [
    '-r', file,
    '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
    '-Y', '_ws.malformed || tcp.checksum.status==0 || ip.checksum.status==0 || udp.checksum.status==0',
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const rows = execFileSync('tshark', [
    '-r', file, '-T', 'fields', '-E', 'separator=|',
    '-e', 'frame.number', '-e', 'tcp.analysis.retransmission', '-e', 'tcp.analysis.fast_retransmission', '-e', 'tcp.analysis.out_of_order', '-e', 'frame.comment',
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
  const wrong = rows.filter((r) => {
    const [, rtx, fast, ooo, comment = ''] = r.split('|');
    return !agrees(comment, !!(rtx || fast), !!ooo);
  });
  return { bad, wrong };
}
