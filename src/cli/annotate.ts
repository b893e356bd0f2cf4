/**
 * `wirelens annotate FILE --frame N --note TEXT -o OUT.pcapng`: teachers' notes as pcapng packet
 * comments (src/timeline/annotate.ts), which Wireshark shows as frame.comment and wirelens shows
 * as notes in read, explain and ladder. `--frame` and `--note` pair up in order and may repeat;
 * `--notes FILE` reads many from JSON: `[{"frame": 3, "note": "…"}]` or `{"3": "…"}`.
 */
import { readFileSync } from 'node:fs';
import { WirelensError } from '../errors.js';
import { annotateCapture, type FrameNote } from '../timeline/annotate.js';

export interface AnnotateOptions {
  frame: number[];
  note: string[];
  notes?: string;
  output: string;
}

export function parseNotesJson(text: string, name: string): FrameNote[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new WirelensError('WL_ERR_USAGE', `${name}: not JSON (${(err as Error).message})`);
  }
  const out: FrameNote[] = [];
  const bad = () => new WirelensError('WL_ERR_USAGE', `${name}: expected [{"frame": N, "note": "text"}, …] or {"N": "text", …}`);
  if (Array.isArray(data)) {
    for (const item of data) {
      const o = item as { frame?: unknown; note?: unknown };
      if (typeof o !== 'object' || o === null || typeof o.frame !== 'number' || typeof o.note !== 'string') throw bad();
      out.push({ frame: o.frame, text: o.note });
    }
  } else if (typeof data === 'object' && data !== null) {
    for (const [k, v] of Object.entries(data)) {
      const list = Array.isArray(v) ? v : [v];
      for (const t of list) {
        if (typeof t !== 'string' || !/^\d+$/.test(k)) throw bad();
        out.push({ frame: Number(k), text: t });
      }
    }
  } else throw bad();
  return out;
}

export async function runAnnotate(file: string, opts: AnnotateOptions): Promise<number> {
  if (opts.frame.length !== opts.note.length) {
    throw new WirelensError('WL_ERR_USAGE', `--frame and --note pair up: got ${opts.frame.length} frame(s) and ${opts.note.length} note(s)`);
  }
  const notes: FrameNote[] = opts.frame.map((frame, i) => ({ frame, text: opts.note[i]! }));
  if (opts.notes !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.notes, 'utf8');
    } catch (err) {
      throw new WirelensError('WL_ERR_FILE_OPEN', `${opts.notes}: ${(err as Error).message}`);
    }
    notes.push(...parseNotesJson(text, opts.notes));
  }
  if (notes.length === 0) throw new WirelensError('WL_ERR_USAGE', 'nothing to add: give --frame N --note TEXT, or --notes FILE');
  const r = await annotateCapture(file, opts.output, notes);
  process.stderr.write(`wirelens: ${r.annotated.length} note(s) added to ${opts.output} (${r.frames} frames, ${r.format} input)\n`);
  if (r.missing.length > 0) {
    process.stderr.write(`wirelens: warning: the capture has ${r.frames} frames; no frame ${r.missing.join(', ')} [WL_ERR_USAGE]\n`);
    return 1;
  }
  return 0;
}
