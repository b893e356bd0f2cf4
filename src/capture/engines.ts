/**
 * The capture tools wirelens can drive, and how to tell from their words what went wrong.
 *
 * Live capture runs in a separate process (Wireshark's dumpcap, or tcpdump) so that only that small
 * tool needs the capture capability, never the analyzer or the TUI; wirelens reads the pcapng or
 * pcap it writes on stdout with the same streaming reader as for files. This module finds the
 * tools, builds their command lines, lists interfaces and turns their error text into
 * WirelensErrors with a fix in the message.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { delimiter, join } from 'node:path';
import { WirelensError } from '../errors.js';

export type EngineName = 'dumpcap' | 'tcpdump' | 'cap';
export type EngineChoice = EngineName | 'auto';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'dumpcap', 'tcpdump', 'cap'];

const TCPDUMP_DEFAULT_BUFFER_MIB = 32;

/** libpcap's usual maximum: whole packets, even with TSO/GRO on loopback. */
export const LIVE_DEFAULT_SNAPLEN = 262144;

/** Absolute path of an executable on PATH (plus the sbin folders a non-root PATH often lacks), or undefined. */
export function findExecutable(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const extra of ['/usr/sbin', '/sbin', '/usr/bin', '/usr/local/sbin']) if (!dirs.includes(extra)) dirs.push(extra);
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export interface EngineStatus {
  engine: EngineName;
  usable: boolean;
  path?: string;
  /** Why it cannot be used here, or what to keep in mind when it can. */
  note: string;
}

/** Which engines this machine has, in the order `auto` tries them. */
export function engineStatuses(): EngineStatus[] {
  const out: EngineStatus[] = [];
  for (const tool of ['dumpcap', 'tcpdump'] as const) {
    const path = findExecutable(tool);
    out.push(
      path
        ? { engine: tool, usable: true, path, note: `kernel timestamps, original lengths, drop counts${rootNote(path)}` }
        : { engine: tool, usable: false, note: `${tool} not found on PATH (${installHint(tool)})` },
    );
  }
  // The in-process engine gives no kernel timestamps, original lengths or drop counts (the `cap`
  // package's packet event carries only a length and a truncation flag); it is not wired in yet.
  out.push({ engine: 'cap', usable: false, note: 'in-process engine (npm cap) is not implemented in this version' });
  return out;
}

/** Without root the tool itself must hold the capture capabilities; we cannot cheaply tell, so say what is needed. */
function rootNote(path: string): string {
  if (typeof process.getuid !== 'function' || process.getuid() === 0) return '';
  return `; not root, so ${path} needs CAP_NET_RAW and CAP_NET_ADMIN (${setcapLine(path)})`;
}

function installHint(tool: 'dumpcap' | 'tcpdump'): string {
  return tool === 'dumpcap' ? 'apt-get install wireshark-common, or dnf install wireshark-cli' : 'apt-get install tcpdump, or dnf install tcpdump';
}

/** The engine to use for a choice, with its path; throws a WirelensError naming the fixes when none fits. */
export function resolveEngine(choice: EngineChoice): { engine: 'dumpcap' | 'tcpdump'; path: string } {
  if (choice === 'cap') {
    throw new WirelensError(
      'WL_ERR_CAPTURE_NO_ENGINE',
      'the in-process cap engine is not available in this version of wirelens; use --engine dumpcap or --engine tcpdump',
    );
  }
  const order: ('dumpcap' | 'tcpdump')[] = choice === 'auto' ? ['dumpcap', 'tcpdump'] : [choice];
  for (const engine of order) {
    const path = findExecutable(engine);
    if (path) return { engine, path };
  }
  const what = choice === 'auto' ? 'neither dumpcap nor tcpdump is installed' : `${choice} is not installed`;
  throw new WirelensError(
    'WL_ERR_CAPTURE_NO_ENGINE',
    `cannot capture: ${what}; install one (apt-get install tcpdump, or apt-get install wireshark-common for dumpcap)`,
  );
}

export interface EngineCommand {
  engine: 'dumpcap' | 'tcpdump';
  path: string;
  args: string[];
}

export interface EngineArgs {
  iface: string;
  filter?: string;
  snaplen?: number;
  /** Kernel buffer in MiB (dumpcap -B takes MiB, tcpdump -B KiB). */
  bufferMiB?: number;
}

/** The command line that captures `iface` and writes the capture on stdout. */
export function engineCommand(engine: 'dumpcap' | 'tcpdump', path: string, a: EngineArgs): EngineCommand {
  const snap = String(a.snaplen ?? LIVE_DEFAULT_SNAPLEN);
  const args: string[] = [];
  if (engine === 'dumpcap') {
    // pcapng on stdout: nanosecond IDB, every link type, and an ISB with the drop counts at the end.
    args.push('-i', a.iface, '-s', snap, '-w', '-', '-q');
    if (a.bufferMiB !== undefined) args.push('-B', String(a.bufferMiB));
    if (a.filter) args.push('-f', a.filter);
  } else {
    // -U and --immediate-mode: each packet reaches us when it is captured, not when a buffer fills.
    args.push('-i', a.iface, '-U', '-w', '-', '--immediate-mode', '--time-stamp-precision=nano', '-s', snap);
    // In immediate mode libpcap uses a TPACKET_V2 ring of fixed-size frames, each big enough for
    // the interface's largest packet: on lo (MTU 65536) the 2 MiB default holds about 30 packets,
    // and a burst while tcpdump is descheduled is dropped (seen in our tests). 32 MiB by default.
    args.push('-B', String(Math.round((a.bufferMiB ?? TCPDUMP_DEFAULT_BUFFER_MIB) * 1024)));
    // `--` so a filter starting with a dash is never read as an option.
    if (a.filter) args.push('--', a.filter);
  }
  return { engine, path, args };
}

export interface InterfaceEntry {
  name: string;
  description?: string;
  /** Flags as the engine reports them (Up, Running, Loopback, Wireless, …). */
  flags: string[];
  addresses: string[];
  loopback: boolean;
}

/** Interfaces as the capture tool sees them, with addresses from the OS; empty when no tool runs. */
export function listInterfaces(): InterfaceEntry[] {
  const os = networkInterfaces();
  const addrs = (name: string) => (os[name] ?? []).map((a) => `${a.address}/${a.netmask && a.cidr ? a.cidr.split('/')[1] : ''}`.replace(/\/$/, ''));
  const tcpdump = findExecutable('tcpdump');
  const dumpcap = findExecutable('dumpcap');
  // tcpdump -D carries the flags (Up, Running, Loopback); dumpcap -D -M the description and addresses.
  const entries: InterfaceEntry[] = [];
  if (tcpdump) {
    const r = spawnSync(tcpdump, ['-D'], { encoding: 'utf8', timeout: 10_000 });
    for (const line of (r.stdout ?? '').split('\n')) {
      const m = /^\d+\.(\S+)(?: \((.*?)\))?(?: \[(.*)\])?\s*$/.exec(line);
      if (!m) continue;
      const flags = m[3] && m[3] !== 'none' ? m[3].split(',').map((s) => s.trim()) : [];
      entries.push({ name: m[1]!, description: m[2], flags, addresses: addrs(m[1]!), loopback: flags.includes('Loopback') });
    }
  } else if (dumpcap) {
    const r = spawnSync(dumpcap, ['-D', '-M'], { encoding: 'utf8', timeout: 10_000 });
    for (const line of (r.stdout ?? '').split('\n')) {
      const m = /^\d+\. ([^\t]+)\t([^\t]*)\t([^\t]*)\t[^\t]*\t([^\t]*)\t(\w*)/.exec(line);
      if (!m) continue;
      const name = m[1]!;
      entries.push({ name, description: m[3] || m[2] || undefined, flags: [], addresses: addrs(name), loopback: m[5] === 'loopback' });
    }
  }
  if (entries.length > 0) return entries;
  // No tool: at least the OS's own list, so an error message can still name the interfaces.
  return Object.keys(os).map((name) => ({ name, flags: [], addresses: addrs(name), loopback: (os[name] ?? []).some((a) => a.internal) }));
}

function setcapLine(path: string): string {
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // keep the path as given
  }
  return `sudo setcap cap_net_raw,cap_net_admin=eip ${real}`;
}

/**
 * Turns what a capture tool printed before dying into the one WirelensError that says what to do.
 * The tools' own words are kept (last meaningful line), since they are the most precise.
 */
export function engineFailure(cmd: EngineCommand, opts: EngineArgs, stderr: string, code: number | null, signal: string | null): WirelensError {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Capturing on|^Running as user|^File: |dangerous\.?$/.test(l));
  const text = lines.join(' ');
  const tool = cmd.engine;
  const first = lines.find((l) => l.startsWith(`${tool}:`))?.replace(`${tool}: `, '') ?? lines[0] ?? '';
  if (/no (such )?device|There is no device named|doesn't exist|No such device/i.test(text)) {
    const names = listInterfaces().map((i) => i.name);
    return new WirelensError(
      'WL_ERR_CAPTURE_INTERFACE',
      `no interface named '${opts.iface}'${names.length ? `; available: ${names.join(', ')}` : ''} (see wirelens interfaces)`,
    );
  }
  if (/capture filter|parse filter|syntax error|filter expression|illegal|unknown host|not a valid/i.test(text) && opts.filter) {
    return new WirelensError('WL_ERR_CAPTURE_FILTER', `bad capture filter "${opts.filter}": ${first}`);
  }
  if (/permission|not permitted|EPERM|You don't have/i.test(text)) {
    const group = tool === 'dumpcap' ? ' (on Debian/Ubuntu: sudo dpkg-reconfigure wireshark-common, then sudo usermod -aG wireshark $USER and log in again)' : '';
    return new WirelensError(
      'WL_ERR_CAPTURE_PERMISSION',
      `${tool} may not capture on '${opts.iface}': capture needs root or CAP_NET_RAW and CAP_NET_ADMIN; run as root or: ${setcapLine(cmd.path)}${group}`,
    );
  }
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return new WirelensError('WL_ERR_CAPTURE_ENGINE', `${tool} ${how}${first ? `: ${first}` : ''}`);
}
