/**
 * The scenario registry and the runner: a scenario declares its parameters and builds a network
 * (hosts, links, apps); the runner adds taps, runs the engine to the end and closes the capture.
 */
import { WirelensError } from '../../errors.js';
import { Network, type Host, type Link } from '../network.js';
import { formatParam, resolveParams, type ParamSpec, type ParamValues } from '../params.js';
import type { ByteSink } from '../../capture/byte-output.js';
import type { CaptureFormat } from '../capture.js';
import { basicScenarios } from './basic.js';
import { webScenarios } from './web.js';
import { retryStorm } from './retry.js';
import { streamingScenarios } from './streaming.js';
import { circuitBreaker } from './resilience.js';
import { topologyScenarios } from './topology.js';

export interface Scenario {
  name: string;
  description: string;
  params: readonly ParamSpec[];
  /** Builds hosts, links and apps; returns where the capture sits by default (one host, as tcpdump on one machine). */
  build(net: Network, p: ParamValues): { defaultTaps: (Host | Link)[] };
}

export const SCENARIOS: readonly Scenario[] = [...basicScenarios, ...webScenarios, retryStorm, ...streamingScenarios, circuitBreaker, ...topologyScenarios];

export function findScenario(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new WirelensError('WL_ERR_USAGE', `no scenario named ${name} (known: ${SCENARIOS.map((x) => x.name).join(', ')})`);
  return s;
}

export interface RunOptions {
  seed?: number;
  /** Parameter texts as given on the command line, by name without dashes. */
  params?: Record<string, string>;
  format?: CaptureFormat;
  sink?: ByteSink;
  /** Host or link names to tap instead of the default point ("client", "client-server"). */
  taps?: readonly string[];
}

export interface RunResult {
  network: Network;
  params: ParamValues;
  packets: number;
  /** The file, when no sink was given. */
  bytes?: Uint8Array;
}

export function runScenario(name: string, options: RunOptions = {}): RunResult {
  const scenario = findScenario(name);
  const params = resolveParams(scenario.params, options.params ?? {}, name);
  const seed = options.seed ?? 1;
  const shown = scenario.params.map((s) => `--${s.name} ${formatParam(s, params[s.name]!)}`).join(' ');
  const network = new Network({ seed, format: options.format, sink: options.sink, comment: `wirelens synth ${name} --seed ${seed} ${shown}`.trim() });
  const { defaultTaps } = scenario.build(network, params);
  const taps: (Host | Link)[] = [];
  for (const t of options.taps ?? []) {
    const found = network.hosts.find((h) => h.name === t) ?? network.links.find((l) => l.name === t || `link:${l.name}` === t);
    if (!found) {
      const known = [...network.hosts.map((h) => h.name), ...network.links.map((l) => l.name)].join(', ');
      throw new WirelensError('WL_ERR_USAGE', `--taps: scenario ${name} has no host or link named ${t} (it has: ${known})`);
    }
    taps.push(found);
  }
  for (const t of taps.length > 0 ? taps : defaultTaps) {
    if ('tcp' in t) network.tap(t);
    else network.tapLink(t);
  }
  network.run();
  const packets = network.capture.packets;
  if (options.sink) {
    network.capture.close();
    return { network, params, packets };
  }
  return { network, params, packets, bytes: network.capture.bytes() };
}
