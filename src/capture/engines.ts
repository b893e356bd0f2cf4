/**
 * The capture engines wirelens can drive, and how to tell from their words what went wrong.
 *
 * Live capture runs by default in a separate process (Wireshark's dumpcap, or tcpdump) so that only
 * that small tool needs the capture capability, never the analyzer or the TUI; wirelens reads the
 * pcapng or pcap it writes on stdout with the same streaming reader as for files. The in-process
 * `cap` engine (cap-engine.ts) is the fallback when neither tool is installed. This module finds
 * the engines, builds the tools' command lines, lists interfaces and turns engine error text into
 * WirelensErrors with a fix in the message.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { delimiter, join } from 'node:path';
import { WirelensError } from '../errors.js';
import { CAP_FIX, loadCap } from './cap-binding.js';
import { interfaceLinkTypes, type InterfaceLinkType } from './interface-linktypes.js';

export type EngineName = 'dumpcap' | 'tcpdump' | 'cap';
export type EngineChoice = EngineName | 'auto';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'dumpcap', 'tcpdump', 'cap'];

/**
 * Kernel buffer for engines in libpcap's immediate mode (tcpdump, cap): there libpcap uses a
 * TPACKET_V2 ring of fixed-size frames, each big enough for the interface's largest packet, so on lo
 * (MTU 65536) the 2 MiB default holds about 30 packets, and a burst while the reader is descheduled
 * is dropped (seen in our tests).
 */
export const IMMEDIATE_MODE_BUFFER_MIB = 32;

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
  // package's packet event carries only a length and a truncation flag): the fallback, last.
  const cap = loadCap();
  out.push(
    cap.ok
      ? {
          engine: 'cap',
          usable: true,
          path: cap.path,
          note: `in-process libpcap: approximate timestamps (taken in user space), no drop counts, no original length of cut packets${rootNote(process.execPath)}`,
        }
      : { engine: 'cap', usable: false, note: `npm package cap cannot be loaded (${cap.error}); fix: ${CAP_FIX}` },
  );
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

/**
 * The engine to use for a choice, with its path (for cap, the package's); throws a WirelensError
 * naming the fixes when none fits. `auto` prefers the tools (kernel timestamps, drop counts) and
 * falls back to the in-process engine.
 */
export function resolveEngine(choice: EngineChoice): { engine: EngineName; path: string } {
  const order: EngineName[] = choice === 'auto' ? ['dumpcap', 'tcpdump', 'cap'] : [choice];
  for (const engine of order) {
    if (engine === 'cap') {
      const cap = loadCap();
      if (cap.ok) return { engine, path: cap.path };
      continue;
    }
    const path = findExecutable(engine);
    if (path) return { engine, path };
  }
  if (choice === 'cap') {
    throw new WirelensError('WL_ERR_CAPTURE_NO_ENGINE', `cannot capture with --engine cap: the npm package cap cannot be loaded; fix: ${CAP_FIX}`);
  }
  const what = choice === 'auto' ? 'neither dumpcap nor tcpdump is installed, and the npm package cap cannot be loaded' : `${choice} is not installed`;
  throw new WirelensError(
    'WL_ERR_CAPTURE_NO_ENGINE',
    `cannot capture: ${what}; install one (apt-get install tcpdump, or apt-get install wireshark-common for dumpcap${choice === 'auto' ? `; or ${CAP_FIX}` : ''})`,
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
    args.push('-B', String(Math.round((a.bufferMiB ?? IMMEDIATE_MODE_BUFFER_MIB) * 1024)));
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
  /** What libpcap can capture it as, its default first (see interface-linktypes.ts); empty when unknown. */
  linkTypes: InterfaceLinkType[];
}

/** Interfaces as the capture engine sees them, with addresses from the OS and link types from /sys. */
export function listInterfaces(): InterfaceEntry[] {
  const os = networkInterfaces();
  const addrs = (name: string) => (os[name] ?? []).map((a) => `${a.address}/${a.netmask && a.cidr ? a.cidr.split('/')[1] : ''}`.replace(/\/$/, ''));
  const entry = (name: string, description: string | undefined, flags: string[], loopback: boolean): InterfaceEntry => ({
    name,
    description,
    flags,
    addresses: addrs(name),
    loopback,
    linkTypes: interfaceLinkTypes(name),
  });
  const tcpdump = findExecutable('tcpdump');
  const dumpcap = findExecutable('dumpcap');
  // tcpdump -D carries the flags (Up, Running, Loopback); dumpcap -D -M the description and addresses;
  // cap's pcap_findalldevs only the loopback flag.
  const entries: InterfaceEntry[] = [];
  if (tcpdump) {
    const r = spawnSync(tcpdump, ['-D'], { encoding: 'utf8', timeout: 10_000 });
    for (const line of (r.stdout ?? '').split('\n')) {
      const m = /^\d+\.(\S+)(?: \((.*?)\))?(?: \[(.*)\])?\s*$/.exec(line);
      if (!m) continue;
      const flags = m[3] && m[3] !== 'none' ? m[3].split(',').map((s) => s.trim()) : [];
      entries.push(entry(m[1]!, m[2], flags, flags.includes('Loopback')));
    }
  } else if (dumpcap) {
    const r = spawnSync(dumpcap, ['-D', '-M'], { encoding: 'utf8', timeout: 10_000 });
    for (const line of (r.stdout ?? '').split('\n')) {
      const m = /^\d+\. ([^\t]+)\t([^\t]*)\t([^\t]*)\t[^\t]*\t([^\t]*)\t(\w*)/.exec(line);
      if (!m) continue;
      entries.push(entry(m[1]!, m[3] || m[2] || undefined, [], m[5] === 'loopback'));
    }
  } else {
    const cap = loadCap();
    if (cap.ok) {
      try {
        for (const d of cap.binding.Cap.deviceList()) {
          const loopback = d.flags === 'PCAP_IF_LOOPBACK';
          entries.push(entry(d.name, d.description, loopback ? ['Loopback'] : [], loopback));
        }
      } catch {
        // pcap_findalldevs failed: fall back to the OS's list below
      }
    }
  }
  if (entries.length > 0) return entries;
  // No engine: at least the OS's own list, so an error message can still name the interfaces.
  return Object.keys(os).map((name) => entry(name, undefined, [], (os[name] ?? []).some((a) => a.internal)));
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
  const tool = cmd.engine;
  const first = lines.find((l) => l.startsWith(`${tool}:`))?.replace(`${tool}: `, '') ?? lines[0] ?? '';
  const known = engineMessageError(tool, cmd.path, opts, lines.join(' '), first);
  if (known) return known;
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return new WirelensError('WL_ERR_CAPTURE_ENGINE', `${tool} ${how}${first ? `: ${first}` : ''}`);
}

/**
 * The error for a message libpcap (through any engine) gives when it cannot start: unknown
 * interface, bad filter or no right to capture; undefined for anything else. `path` is the binary
 * that needs the capabilities (the tool, or node itself for the in-process engine); `first` the
 * engine's own words to quote.
 */
export function engineMessageError(engine: EngineName, path: string, opts: EngineArgs, text: string, first: string): WirelensError | undefined {
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
  // libpcap 1.10.2+ says "Attempt to create packet socket failed - CAP_NET_RAW may be required".
  if (/permission|not permitted|EPERM|You don't have|CAP_NET_RAW may be required/i.test(text)) {
    const group = engine === 'dumpcap' ? ' (on Debian/Ubuntu: sudo dpkg-reconfigure wireshark-common, then sudo usermod -aG wireshark $USER and log in again)' : '';
    return new WirelensError(
      'WL_ERR_CAPTURE_PERMISSION',
      `${engine} may not capture on '${opts.iface}': capture needs root or CAP_NET_RAW and CAP_NET_ADMIN; run as root or: ${setcapLine(path)}${group}`,
    );
  }
  return undefined;
}
