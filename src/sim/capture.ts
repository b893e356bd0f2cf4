/**
 * Where simulated packets become a capture file. Every tap is one pcapng interface (Ethernet,
 * nanosecond timestamps) and every packet one Enhanced Packet Block whose comment is its ground
 * truth. With `format: 'pcap'` the interfaces collapse into one classic-pcap stream and the
 * comments are lost (the CLI says so).
 */
import { memorySink, type ByteSink } from '../capture/byte-output.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import { PcapWriter } from '../capture/pcap-writer.js';
import { LINKTYPE_ETHERNET } from '../wire/ethernet.js';
import { NS_PER_S, SIM_EPOCH_S, type Nanos } from './clock.js';
import type { Note } from './note.js';

export type CaptureFormat = 'pcapng' | 'pcap';

export interface CaptureOptions {
  format?: CaptureFormat;
  /** Receives the file in chunks; by default it is kept in memory (`Capture.bytes()`). */
  sink?: ByteSink;
  /** Section comment (pcapng shb_comment), e.g. the scenario and its parameters. */
  comment?: string;
}

const COMMENT: Note[] = [''];

export class Capture {
  readonly format: CaptureFormat;
  private readonly memory?: { sink: ByteSink; bytes(): Uint8Array };
  private readonly ng?: PcapngWriter;
  private readonly classic?: PcapWriter;
  packets = 0;
  private readonly frame = { tsSec: 0, tsNsec: 0, data: new Uint8Array(0) as Uint8Array, interfaceId: 0, comments: COMMENT as readonly Note[] | undefined };

  constructor(options: CaptureOptions = {}) {
    this.format = options.format ?? 'pcapng';
    let sink = options.sink;
    if (!sink) {
      this.memory = memorySink();
      sink = this.memory.sink;
    }
    if (this.format === 'pcap') this.classic = new PcapWriter(sink, { linkType: LINKTYPE_ETHERNET, nanosecond: true });
    else this.ng = new PcapngWriter(sink, { comments: options.comment ? [options.comment] : [], userAppl: 'wirelens synth' });
  }

  /** Declares a capture point; returns its interface id. */
  addInterface(name: string, description: string): number {
    if (!this.ng) return 0;
    return this.ng.addInterface({ linkType: LINKTYPE_ETHERNET, name, description, tsResolution: 1e9 });
  }

  record(iface: number, at: Nanos, data: Uint8Array, comment: Note): void {
    const f = this.frame;
    const s = Math.floor(at / NS_PER_S);
    f.tsSec = SIM_EPOCH_S + s;
    f.tsNsec = at - s * NS_PER_S;
    f.data = data;
    f.interfaceId = iface;
    COMMENT[0] = comment;
    f.comments = COMMENT;
    if (this.ng) this.ng.writeFrame(f);
    else this.classic!.writeFrame(f);
    this.packets++;
  }

  close(): void {
    this.ng?.close();
    this.classic?.close();
  }

  /** The whole file, when no sink was given. */
  bytes(): Uint8Array {
    this.close();
    if (!this.memory) throw new Error('capture was written to a sink');
    return this.memory.bytes();
  }
}
