/**
 * A packet as one JSON object keyed by Wireshark field names (the `read --json` contract).
 * A field that occurs more than once (stacked VLAN tags, IP-in-IP) becomes an array, in the
 * order the fields appear in the frame, as `tshark -T fields -E occurrence=a` lists them.
 */
import { formatEpoch } from '../capture/frame.js';
import { formatDuration, type FrameClock } from '../capture/frame-clock.js';
import type { FieldValue, Packet } from '../decode/layer.js';
import type { PacketAnalysis } from '../analysis/analyzer.js';

export type PacketJson = Record<string, FieldValue | FieldValue[]>;

/**
 * `analysis` (from an Analyzer run over the packets in order) adds the fields only context can
 * give (tcp.stream, relative tcp.seq, tcp.analysis.*, udp.stream), right after the transport
 * layer's own fields, where tshark's tree has them. `clock`, advanced to the packet's frame, adds
 * frame.time_delta, frame.time_delta_displayed and frame.time_relative.
 */
export function packetToJson(packet: Packet, analysis?: PacketAnalysis, clock?: FrameClock): PacketJson {
  // The frame as captured; its layers as decoded whole when it completed a fragmented datagram.
  const { frame } = packet;
  const shown = analysis?.reassembled ?? packet;
  const out: PacketJson = {
    'frame.number': frame.number,
    'frame.time_epoch': formatEpoch(frame.tsSec, frame.tsNsec),
  };
  if (clock) {
    out['frame.time_delta'] = formatDuration(clock.delta);
    out['frame.time_delta_displayed'] = formatDuration(clock.deltaDisplayed);
    out['frame.time_relative'] = formatDuration(clock.relative);
  }
  out['frame.len'] = frame.origLen;
  out['frame.cap_len'] = frame.data.length;
  out['frame.interface_id'] = frame.interfaceId;
  out['frame.protocols'] = shown.layers.map((l) => l.proto).join(':');
  if (frame.comments?.length) out['frame.comment'] = frame.comments.length === 1 ? frame.comments[0]! : frame.comments;
  let extra = analysis?.fields();
  for (const layer of shown.layers) {
    for (const f of layer.fields()) addValue(out, f.name, f.value);
    if (extra?.length && extra[0]!.offset === layer.offset) {
      for (const f of extra) addValue(out, f.name, f.value);
      extra = undefined;
    }
    // Wireshark's own name for a malformed packet; the rest is ours, under `wl.`.
    if (layer.status === 'malformed') out['_ws.malformed'] = true;
    if (layer.status === 'truncated') addValue(out, 'wl.truncated', layer.proto);
    if (layer.problem) {
      addValue(out, 'wl.error.code', layer.problem.code);
      addValue(out, 'wl.error.offset', layer.problem.offset);
      addValue(out, 'wl.error.message', layer.problem.message);
    }
  }
  if (extra) for (const f of extra) addValue(out, f.name, f.value);
  return out;
}

function addValue(out: PacketJson, name: string, value: FieldValue): void {
  const prev = out[name];
  if (prev === undefined) out[name] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else out[name] = [prev, value];
}
