/**
 * Buffered text output for commands that print one line per packet: lines are joined into large
 * chunks (one write per ~64 KiB, not per packet) and backpressure is respected. A closed pipe
 * (`wirelens read big.pcap | head`) ends the command quietly, as tcpdump and tshark do.
 */
import type { Writable } from 'node:stream';

const CHUNK = 64 * 1024;

export class LineSink {
  private parts: string[] = [];
  private size = 0;
  private closed = false;

  constructor(private readonly out: Writable = process.stdout) {
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.closed = true;
      else throw err;
    });
  }

  /** True once the reader of our output has gone away; producers should stop. */
  get isClosed(): boolean {
    return this.closed;
  }

  line(text: string): void {
    this.parts.push(text);
    this.size += text.length + 1;
  }

  /** Writes what is buffered if it is large enough (or `force`), waiting when the pipe is full. */
  async flush(force = false): Promise<void> {
    if (this.closed || (!force && this.size < CHUNK) || this.parts.length === 0) return;
    const chunk = this.parts.join('\n') + '\n';
    this.parts = [];
    this.size = 0;
    if (!this.out.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.out.off('drain', done);
          this.out.off('close', done);
          resolve();
        };
        this.out.on('drain', done);
        this.out.on('close', done);
      });
    }
  }
}
