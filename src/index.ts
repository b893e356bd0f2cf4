/**
 * wirelens as a library: read captures, decode packets, analyse conversations, filter, write.
 *
 *   import { readCaptureFile, decodePacket, Analyzer, packetToJson } from 'wirelens';
 *   import { openTrace } from 'wirelens';  import 'wirelens/vitest';   // tests (README)
 *
 * The simulator has its own entry point, `wirelens/sim`.
 */
export type { Frame, InterfaceInfo } from './capture/frame.js';
export { formatEpoch } from './capture/frame.js';
export { CaptureReader, openCapture, openCaptureSync, readCaptureFile, readCaptureFileSync } from './capture/reader.js';
export type { CaptureInput, CaptureContents, ReaderOptions } from './capture/reader.js';
export { PcapWriter } from './capture/pcap-writer.js';
export { PcapngWriter } from './capture/pcapng-writer.js';
export { WirelensError } from './errors.js';
export type { ErrorCode, ReadWarning } from './errors.js';
export type { Field, FieldValue, Layer, LayerStatus, LayerProblem, Packet, ChecksumStatus } from './decode/layer.js';
export { findLayer } from './decode/layer.js';
export { decodePacket } from './decode/bindings.js';
export { Analyzer } from './analysis/analyzer.js';
export type { AnalyzerOptions, PacketAnalysis, TcpObserver, UdpObserver } from './analysis/analyzer.js';
export type { TcpConnection, UdpConversation, TcpSegment, UdpDatagram } from './analysis/connection.js';
export { TcpAnalysisFlag } from './analysis/tcp-tracker.js';
export type { TcpSegmentInfo } from './analysis/tcp-tracker.js';
export { TcpReassembler } from './analysis/reassembly.js';
export type { StreamHandler } from './analysis/reassembly.js';
export { TcpLifecycle } from './analysis/tcp-lifecycle.js';
export { compileFilter } from './filter/index.js';
export type { PacketFilter } from './filter/index.js';
export { packetToJson } from './output/json.js';
export type { PacketJson } from './output/json.js';
export { summarize } from './output/summary.js';
// Asserting protocol behaviour in tests (README): the trace query API, the matchers' rules, check specs.
export { openTrace, Trace, traceOf } from './assert/trace.js';
export type { TracePacket, PacketRef, Endpoint, Handshake, TcpConnectionInfo, UdpFlowInfo, HttpExchange, HttpHeaderPair, WebSocketMessage, SseEventInfo, DnsTransaction, TlsHello, ExpertItem, OpenTraceOptions } from './assert/trace.js';
export { withCapture, captureSupport } from './assert/capture.js';
export type { CaptureOptions } from './assert/capture.js';
export * as assertions from './assert/matchers.js';
export type { Outcome, CountRange, HttpExpectation, WebSocketExpectation } from './assert/matchers.js';
export { parseSpec, loadSpec, runChecks } from './assert/spec.js';
export type { Check, CheckResult } from './assert/spec.js';
export { startCapture, withCapture as withLiveCapture } from './capture/live.js';
