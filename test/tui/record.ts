/** Test helper: one TCP stream's StreamRecord read from a file in one go, with a reader for its frames. */
import { openCaptureSync } from '../../src/capture/reader.js';
import { Pass } from '../../src/tui/scan.js';
import { StreamRecorder, type FrameAt, type StreamRecord } from '../../src/tui/stream-record.js';

export function readRecord(file: string, stream: number, step?: number): { record: StreamRecord; frameAt: FrameAt; close: () => void } {
  const recorder = new StreamRecorder(stream, step);
  const reader = openCaptureSync(file);
  // Where each frame is, as the TUI's packet index keeps it.
  const offsets: number[] = [];
  const pass = new Pass(reader, (p) => {
    offsets[p.frame.number] = p.frame.fileOffset;
    recorder.add(p);
  });
  while (!pass.step(50));
  return { record: recorder.finishRecord(reader.warnings), frameAt: (n) => reader.readFrameAt(offsets[n]!, n), close: () => reader.close() };
}
