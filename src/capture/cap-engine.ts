/**
 * The in-process capture engine: libpcap through the optional `cap` package, behind the same
 * LiveCapture interface as the capture tools (live.ts), for machines with neither dumpcap nor tcpdump.
 *
 * What `cap` gives is less than a tool gives, and every frame says so rather than pretend:
 * - its `packet` event carries only the captured length and a truncation flag, so timestamps are
 *   taken here, in user space, when the event reaches JavaScript (process.hrtime anchored to the
 *   wall clock at start), and are marked approximate: `timestampsApproximate`, and an opt_comment on
 *   the interface that a written pcapng keeps;
 * - the original length of a cut packet is unknown: origLen is the captured length, and the frame
 *   gets a comment saying it may have been cut;
 * - libpcap's statistics are not exposed, so drops are unknown (CaptureStats.dropped undefined).
 *
 * The packet bytes sit in one buffer that the next packet overwrites, so each is copied out at once.
 */
import { WirelensError } from '../errors.js';
import { loadCap, type CapHandle } from './cap-binding.js';
import { engineMessageError, IMMEDIATE_MODE_BUFFER_MIB, LIVE_DEFAULT_SNAPLEN, listInterfaces } from './engines.js';
import { APPROXIMATE_TIMESTAMPS_NOTE, type Frame, type InterfaceInfo } from './frame.js';
import type { CaptureOptions, CaptureStats } from './live.js';
import { LiveCaptureBase } from './live-base.js';

/** binding.cc sets this snaplen whatever the caller wants; a smaller one is applied by its copy buffer. */
export const CAP_SNAPLEN = 65535;

/** How long stop() lets the event loop read what the kernel ring already holds (immediate mode: each packet is readable at once). */
const DRAIN_MS = 50;

/** Frames' bytes are copied into slabs of this size, so a packet costs no allocation of its own. */
const SLAB_BYTES = 1 << 20;

/**
 * The link type names binding.cc returns, as LINKTYPE_* values. It names a few DLT_* values and
 * reports any other as 'Unknown linktype N' with N a DLT_* value, which libpcap's dlt_to_linktype
 * (pcap-common.c) maps to the LINKTYPE_* written in files: they differ only for a few old values.
 */
const CAP_LINK_TYPES: Record<string, number> = {
  NULL: 0,
  ETHERNET: 1,
  IEEE802_11_RADIO: 127,
  LINKTYPE_LINUX_SLL: 113,
  RAW: 101,
};
const DLT_TO_LINKTYPE: Record<number, number> = { 11: 100, 12: 101, 14: 101, 15: 102, 16: 103 };

export function capLinkType(name: string): number | undefined {
  const known = CAP_LINK_TYPES[name];
  if (known !== undefined) return known;
  const m = /^Unknown linktype (\d+)$/.exec(name);
  if (!m) return undefined;
  const dlt = Number(m[1]);
  return DLT_TO_LINKTYPE[dlt] ?? dlt;
}

/**
 * Every Cap object ever opened stays referenced: binding.cc's destructor, run when one is garbage
 * collected, stops a libuv poll handle it initialises only when open() succeeds (so collecting a
 * failed one aborts the process, seen here), and never closes it (so the loop keeps a pointer into
 * a collected one). A few hundred bytes per capture, for the life of the process.
 */
const keptAlive: CapHandle[] = [];

/** Opens `options.iface` in this process; resolves once libpcap is capturing with the filter set. */
export async function startCapCapture(options: CaptureOptions): Promise<CapCapture> {
  const cap = loadCap();
  if (!cap.ok) throw new WirelensError('WL_ERR_CAPTURE_NO_ENGINE', `the cap engine cannot run: ${cap.error}`);
  // libpcap would print "Warning: … This may not actually work" and then fail; name the interfaces instead.
  const names = cap.binding.Cap.deviceList().map((d) => d.name);
  if (!names.includes(options.iface)) {
    throw new WirelensError('WL_ERR_CAPTURE_INTERFACE', `no interface named '${options.iface}'; available: ${names.join(', ')} (see wirelens interfaces)`);
  }
  const snapLen = Math.min(options.snaplen ?? LIVE_DEFAULT_SNAPLEN, CAP_SNAPLEN);
  const buffer = Buffer.alloc(snapLen);
  const handle = new cap.binding.Cap();
  keptAlive.push(handle);
  let linkName: string;
  try {
    linkName = handle.open(options.iface, options.filter ?? '', Math.round((options.bufferMiB ?? IMMEDIATE_MODE_BUFFER_MIB) * 1024 * 1024), buffer);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw (
      engineMessageError('cap', process.execPath, options, msg, msg) ??
      new WirelensError('WL_ERR_CAPTURE_ENGINE', `cap cannot capture on '${options.iface}': ${msg}`)
    );
  }
  const linkType = capLinkType(linkName);
  if (linkType === undefined) {
    handle.close();
    throw new WirelensError('WL_ERR_CAPTURE_ENGINE', `cap opened '${options.iface}' with a link type wirelens cannot name: ${linkName}`);
  }
  return new CapCapture(handle, buffer, linkType, snapLen, options);
}

/**
 * The monotonic clock at the moment the wall clock turns to a new millisecond. Date.now() only has
 * milliseconds: read at a random moment it is up to 1 ms early (0.5 ms on average, seen here as
 * timestamps ahead of the kernel's); read right at its edge it is exact to about a microsecond.
 * Waits at most one millisecond, once per capture.
 */
function wallClockEdge(): { ms: number; hr: bigint } {
  const first = Date.now();
  for (;;) {
    const hr = process.hrtime.bigint();
    const ms = Date.now();
    if (ms !== first) return { ms, hr };
  }
}

/** A capture by libpcap in this process (use startCapture with engine 'cap'). */
export class CapCapture extends LiveCaptureBase {
  readonly engine = 'cap' as const;
  readonly timestampsApproximate = true;
  readonly dropsCounted = false;
  readonly engineMessages = '';
  readonly interfaces: InterfaceInfo[];
  private readonly queue: Frame[][] = [];
  private pending: Frame[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private captured = 0;
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private slabUsed = 0;
  // The wall clock at `hrStart`; every timestamp is it plus the monotonic time since.
  private readonly startSec: number;
  private readonly startNsec: number;
  private readonly hrStart: bigint;

  /** @internal use startCapture */
  constructor(
    private readonly handle: CapHandle,
    private readonly buffer: Buffer,
    private readonly linkType: number,
    private readonly snapLen: number,
    readonly options: CaptureOptions,
  ) {
    super();
    const { ms, hr } = wallClockEdge();
    this.startSec = Math.floor(ms / 1000);
    this.startNsec = (ms % 1000) * 1_000_000;
    this.hrStart = hr;
    this.interfaces = [
      {
        linkType,
        snapLen,
        name: options.iface,
        filter: options.filter,
        tsResolution: 1e9,
        tsOffset: 0,
        comments: [APPROXIMATE_TIMESTAMPS_NOTE],
      },
    ];
    handle.on('packet', (nbytes, truncated) => this.packet(nbytes, truncated));
  }

  /** One packet from libpcap: copy it out of the shared buffer now, hand it over with its batch. */
  private packet(nbytes: number, truncated: boolean): void {
    if (this.ended) return;
    const elapsed = Number(process.hrtime.bigint() - this.hrStart);
    const ns = this.startNsec + elapsed;
    if (this.slabUsed + nbytes > this.slab.length) {
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, nbytes));
      this.slabUsed = 0;
    }
    const data = this.slab.subarray(this.slabUsed, this.slabUsed + nbytes);
    this.buffer.copy(data, 0, 0, nbytes);
    this.slabUsed += nbytes;
    const frame: Frame = {
      number: ++this.captured,
      tsSec: this.startSec + Math.floor(ns / 1e9),
      tsNsec: ns % 1e9,
      // cap does not pass pcap_pkthdr.len on: the wire length is known only for packets not cut.
      origLen: nbytes,
      data,
      linkType: this.linkType,
      interfaceId: 0,
      // Not read from any file.
      fileOffset: -1,
    };
    // Cut by our copy buffer (truncated) or, unseen by cap, by libpcap's own 65535-byte snaplen.
    if (truncated || nbytes >= CAP_SNAPLEN) frame.comments = [`may be cut at ${nbytes} bytes (snaplen ${this.snapLen}); the cap engine does not report the length on the wire`];
    // All packets of one poll callback form a batch, handed over once the callback is done.
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push(frame);
  }

  private flush(): void {
    if (this.pending.length > 0) {
      this.queue.push(this.pending);
      this.pending = [];
    }
    this.wake?.();
    this.wake = undefined;
  }

  async *batches(): AsyncGenerator<Frame[], void, undefined> {
    for (;;) {
      const b = this.queue.shift();
      if (b) yield b;
      else if (this.ended) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Resolves to the counts: received is what libpcap delivered, dropped is unknown. */
  protected async doStop(): Promise<CaptureStats> {
    // The ring is read by our own event loop: a short wait lets it hand over what the kernel holds.
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
    this.handle.close();
    this.flush();
    this.ended = true;
    this.wake?.();
    this.wake = undefined;
    return { captured: this.captured, received: this.captured, dropped: undefined };
  }
}
