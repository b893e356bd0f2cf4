/**
 * The link types libpcap captures a Linux interface as, found without any capture privilege: a
 * network device's ARP hardware type (/sys/class/net/IF/type, an ARPHRD_* value) mapped the way
 * libpcap's pcap-linux.c (map_arphrd_to_dlt, setup_socket) maps it, and libpcap's own pseudo-devices
 * by name. The default comes first, as `tcpdump -L -i IF` lists them (which needs the capture
 * capability, since it opens the device). libpcap's special cases by device name (Android cdma_rmnet,
 * ISDN, DSA switch ports) are left out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { linkTypeName } from './linktype.js';

export interface InterfaceLinkType {
  /** LINKTYPE_* name without the prefix (EN10MB, LINUX_SLL, RAW, …). */
  name: string;
  /** LINKTYPE_* value, as in a pcapng IDB. */
  linkType: number;
}

const EN10MB = 1;
const DOCSIS = 143;
const RAW = 101;
const LINUX_SLL = 113;
const LINUX_SLL2 = 276;

/** ARPHRD_* (include/uapi/linux/if_arp.h) → LINKTYPE_* list, default first. */
const BY_ARPHRD: Record<number, number[]> = {
  772: [EN10MB], // LOOPBACK
  23: [EN10MB], // METRICOM
  2: [2], // EETHER → EN3MB
  3: [202], // AX25 → AX25_KISS
  4: [4], // PRONET
  5: [5], // CHAOS
  6: [6], // IEEE802 → IEEE802_5
  800: [6], // IEEE802_TR
  7: [129], // ARCNET → ARCNET_LINUX
  774: [10], // FDDI
  19: [LINUX_SLL], // ATM: cooked, since the encapsulation cannot be read from the device
  280: [227], // CAN → CAN_SOCKETCAN
  801: [105], // IEEE80211
  802: [119], // IEEE80211_PRISM → PRISM_HEADER
  803: [127], // IEEE80211_RADIOTAP
  512: [LINUX_SLL], // PPP: cooked, PPP drivers differ in the header they supply
  513: [104], // CISCO → C_HDLC
  770: [107], // FRAD → FRELAY
  305: [114], // LOCALTLK → LTALK
  18: [122], // IP over FC (RFC 4338)
  784: [224, 225, 122], // FCPP, FCAL, FCPL, FCFABRIC → FC_2, FC_2_WITH_FRAME_DELIMS, IP_OVER_FC
  785: [224, 225, 122],
  786: [224, 225, 122],
  787: [224, 225, 122],
  783: [144], // IRDA → LINUX_IRDA
  8445: [177], // LAPD → LINUX_LAPD
  804: [230], // IEEE802154 → IEEE802_15_4_NOFCS
  824: [253], // NETLINK
  826: [271], // VSOCKMON → VSOCK
};
// No link-layer header, only IP: TUNNEL, SIT, CSLIP, SLIP6, CSLIP6, ADAPT, SLIP, RAWHDLC, DLCI, NONE.
for (const t of [768, 776, 257, 258, 259, 264, 256, 518, 15, 0xfffe]) BY_ARPHRD[t] = [RAW];

/** libpcap's pseudo-devices (no /sys/class/net entry). */
const PSEUDO: Record<string, number[]> = {
  any: [LINUX_SLL, LINUX_SLL2],
  nflog: [239, 228], // NFLOG, IPV4
  nfqueue: [228], // IPV4
  'bluetooth-monitor': [254],
  'dbus-system': [231],
  'dbus-session': [231],
};

/** Link types for an ARP hardware type; `wireless` devices get no DOCSIS (libpcap offers it only on wired Ethernet). */
export function linkTypesForArphrd(arphrd: number, wireless = false): number[] {
  if (arphrd === 1) return wireless ? [EN10MB] : [EN10MB, DOCSIS];
  // Any type libpcap does not know is captured in cooked mode.
  return BY_ARPHRD[arphrd] ?? [LINUX_SLL];
}

/** The link types of interface `name` on this machine, default first; empty when it cannot be told. */
export function interfaceLinkTypes(name: string): InterfaceLinkType[] {
  const types = PSEUDO[name] ?? sysfsLinkTypes(name);
  return types.map((linkType) => ({ name: linkTypeName(linkType), linkType }));
}

function sysfsLinkTypes(name: string): number[] {
  // A name with a slash or dots could leave /sys/class/net; no real interface has one.
  if (!/^[^/]+$/.test(name) || name === '.' || name === '..') return [];
  const dir = `/sys/class/net/${name}`;
  try {
    const arphrd = Number.parseInt(readFileSync(`${dir}/type`, 'utf8'), 10);
    if (!Number.isFinite(arphrd)) return [];
    return linkTypesForArphrd(arphrd, existsSync(`${dir}/wireless`));
  } catch {
    return [];
  }
}
