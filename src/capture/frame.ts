/**
 * A Frame is one captured record, before any decoding: what the capture file (or live source, or
 * simulator) says about the packet, plus a view of its bytes.
 *
 * Timestamps are kept as whole seconds plus nanoseconds, both plain numbers: a nanosecond epoch
 * needs 61 bits and would lose precision in a double, and bigint arithmetic on the hot path is slow.
 */
export interface Frame {
  /** 1-based position in the capture (Wireshark's `frame.number`). */
  number: number;
  /** Seconds since the Unix epoch (may be negative for broken clocks). */
  tsSec: number;
  /** Nanoseconds within `tsSec`, 0..999 999 999. */
  tsNsec: number;
  /** Length of the packet on the wire (`frame.len`). */
  origLen: number;
  /** The captured bytes (`frame.cap_len` = data.length); a view into the reader's buffer, never a copy. */
  data: Uint8Array;
  /** LINKTYPE_* value (FCS bits stripped; see `fcsLength`). */
  linkType: number;
  /** Interface index within the file: pcapng IDB number (over all sections), 0 for classic pcap. */
  interfaceId: number;
  /** Opt_comment values of the packet's block (pcapng), in file order. */
  comments?: string[];
  /** Byte offset of this record's header in the file (for random access and error messages). */
  fileOffset: number;
  /** Number of FCS bytes at the end of each frame, when the file says so (pcap link-type FCS bits, if_fcslen). */
  fcsLength?: number;
}

/** What a reader knows about one capture interface (a pcapng IDB, or the pcap file header). */
export interface InterfaceInfo {
  linkType: number;
  snapLen: number;
  name?: string;
  description?: string;
  filter?: string;
  os?: string;
  /** Timestamp units per second (e.g. 1e6 for µs, 1e9 for ns, 2^k for power-of-2 resolutions). */
  tsResolution: number;
  /** Seconds added to every timestamp of this interface (if_tsoffset). */
  tsOffset: number;
  fcsLength?: number;
  /** The IDB's opt_comment values (pcapng), e.g. the cap engine's note that timestamps are approximate. */
  comments?: string[];
}

/** The IDB comment of every capture by wirelens's in-process cap engine (cap-engine.ts). */
export const APPROXIMATE_TIMESTAMPS_NOTE =
  'wirelens cap engine: timestamps are user-space approximations (taken when wirelens received the packet, not by the kernel); drop counts unknown';

/** Whether an interface's timestamps were taken in user space (the file says so in its IDB comment). */
export function timestampsApproximate(info: InterfaceInfo): boolean {
  return info.comments?.includes(APPROXIMATE_TIMESTAMPS_NOTE) ?? false;
}

/** Formats a frame time as Wireshark's `frame.time_epoch`: seconds with exactly nine decimals. */
export function formatEpoch(tsSec: number, tsNsec: number): string {
  if (tsSec < 0 && tsNsec > 0) {
    // -1.25 s is stored as sec=-2, nsec=750000000.
    const s = tsSec + 1;
    const ns = 1_000_000_000 - tsNsec;
    return `${s === 0 ? '-0' : s}.${String(ns).padStart(9, '0')}`;
  }
  return `${tsSec}.${String(tsNsec).padStart(9, '0')}`;
}
