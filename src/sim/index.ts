/**
 * The simulator's public API: build a network of hosts and links, attach apps to their TCP/UDP
 * stacks, tap hosts or links, run, and take the pcapng. See README "Synthetic traces".
 */
export { Network, Host, Link, LinkDirection, ipToU32, u32ToIp, IPV6_KEY_BASE, isIpv6Key } from './network.js';
export type { LinkParams, HostOptions, NetworkOptions, SimPacket, IpFamily } from './network.js';
export { Engine, Timer } from './engine.js';
export { Prng } from './prng.js';
export { ms, us, sec, formatDuration, SIM_EPOCH_S, NS_PER_MS, NS_PER_S } from './clock.js';
export type { Nanos } from './clock.js';
export { Capture } from './capture.js';
export { NoteParts, NoteText } from './note.js';
export type { Note } from './note.js';
export type { CaptureFormat, CaptureOptions } from './capture.js';
export { TcpStack, TcpSocket, DEFAULT_TCP } from './tcp.js';
export type { TcpConfig, TcpHandlers, TcpState } from './tcp.js';
export { UdpStack } from './udp.js';
export type { UdpHandler } from './udp.js';
export * as apps from './apps.js';
export { SCENARIOS, findScenario, runScenario } from './scenarios/index.js';
export type { Scenario, RunOptions, RunResult } from './scenarios/index.js';
export { parseParam, resolveParams, describeRange, formatParam } from './params.js';
export type { ParamSpec, ParamKind, ParamValues } from './params.js';
