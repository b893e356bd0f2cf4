/**
 * `wirelens synth NAME [--seed N] [-o OUT] [--format pcapng|pcap] [--taps a,b] [--param value …]`:
 * runs a simulation scenario and writes its capture; `wirelens synth --list [--json]` lists the
 * scenarios with their parameters and defaults. Scenario parameters are the options commander does
 * not know, given as `--name value`; they are validated by the scenario (WL_ERR_USAGE, exit 2).
 */
import * as fs from 'node:fs';
import { WirelensError } from '../errors.js';
import { fdSink } from '../capture/byte-output.js';
import { SCENARIOS, findScenario, runScenario } from '../sim/scenarios/index.js';
import { describeRange, formatParam, resolveParams } from '../sim/params.js';

export interface SynthOptions {
  seed?: string;
  output?: string;
  format?: string;
  list?: boolean;
  json?: boolean;
  taps?: string;
}

/** Turns leftover `--name value` / `--name=value` arguments into scenario parameter texts. */
export function scenarioArgs(rest: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('--')) throw new WirelensError('WL_ERR_USAGE', `unexpected argument ${a} (scenario parameters are --name value)`);
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else {
      const v = rest[i + 1];
      // A flag followed by another flag (or nothing) is a boolean switch.
      if (v === undefined || v.startsWith('--')) out[a.slice(2)] = 'true';
      else {
        out[a.slice(2)] = v;
        i++;
      }
    }
  }
  return out;
}

export function runSynth(scenario: string | undefined, opts: SynthOptions, rest: readonly string[]): number {
  if (opts.list) {
    // A reader that stops early (| head) is not an error.
    process.stdout.on('error', () => {});
    if (opts.json) {
      const list = SCENARIOS.map((s) => ({
        name: s.name,
        description: s.description,
        params: s.params.map((p) => ({ name: p.name, kind: p.kind, default: formatParam(p, p.default), allowed: describeRange(p), help: p.help })),
      }));
      process.stdout.write(JSON.stringify(list, null, 2) + '\n');
    } else {
      for (const s of SCENARIOS) {
        process.stdout.write(`${s.name}\n    ${s.description}\n`);
        for (const p of s.params) process.stdout.write(`    --${p.name} ${formatParam(p, p.default)}`.padEnd(34) + `${p.help} [${describeRange(p)}]\n`);
      }
    }
    return 0;
  }
  if (!scenario) throw new WirelensError('WL_ERR_USAGE', 'synth needs a scenario name (wirelens synth --list shows them)');
  const seed = Number(opts.seed ?? '1');
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new WirelensError('WL_ERR_USAGE', `--seed ${opts.seed}: expected a whole number from 0 to 4294967295`);
  const format = opts.format ?? 'pcapng';
  if (format !== 'pcapng' && format !== 'pcap') throw new WirelensError('WL_ERR_USAGE', `--format ${format}: expected pcapng or pcap`);
  const params = scenarioArgs(rest);
  const out = opts.output ?? `${scenario}.${format}`;
  const taps = opts.taps ? opts.taps.split(',').map((t) => t.trim()).filter(Boolean) : undefined;
  let fd: number;
  // Validate everything cheap before creating the file: a dry run of the parameters.
  runScenarioCheck(scenario, params);
  try {
    fd = out === '-' ? 1 : fs.openSync(out, 'w');
  } catch (e) {
    throw new WirelensError('WL_ERR_FILE_OPEN', `cannot write ${out}: ${(e as Error).message}`);
  }
  try {
    const r = runScenario(scenario, { seed, params, format, sink: fdSink(fd), taps });
    if (format === 'pcap') process.stderr.write('wirelens: note: classic pcap has no packet comments; the ground-truth notes are lost (use pcapng to keep them)\n');
    if (out !== '-') process.stderr.write(`wirelens: wrote ${r.packets} packets to ${out}\n`);
  } finally {
    if (fd !== 1) fs.closeSync(fd);
  }
  return 0;
}

function runScenarioCheck(scenario: string, params: Record<string, string>): void {
  // Both throw WL_ERR_USAGE naming what is allowed; nothing is written before this passes.
  resolveParams(findScenario(scenario).params, params, scenario);
}
