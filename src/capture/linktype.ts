/**
 * LINKTYPE_* names (tcpdump.org/linktypes.html, without the prefix) for the link types people meet on
 * laptops and servers, and those Linux interfaces can be captured as (interface-linktypes.ts).
 */
const NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'EN10MB',
  2: 'EN3MB',
  4: 'PRONET',
  5: 'CHAOS',
  6: 'IEEE802_5',
  10: 'FDDI',
  101: 'RAW',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  107: 'FRELAY',
  108: 'LOOP',
  113: 'LINUX_SLL',
  114: 'LTALK',
  119: 'PRISM_HEADER',
  122: 'IP_OVER_FC',
  127: 'IEEE802_11_RADIOTAP',
  129: 'ARCNET_LINUX',
  143: 'DOCSIS',
  144: 'LINUX_IRDA',
  177: 'LINUX_LAPD',
  202: 'AX25_KISS',
  224: 'FC_2',
  225: 'FC_2_WITH_FRAME_DELIMS',
  227: 'CAN_SOCKETCAN',
  228: 'IPV4',
  229: 'IPV6',
  230: 'IEEE802_15_4_NOFCS',
  231: 'DBUS',
  239: 'NFLOG',
  253: 'NETLINK',
  254: 'BLUETOOTH_LINUX_MONITOR',
  271: 'VSOCK',
  276: 'LINUX_SLL2',
};

export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `LINKTYPE_${linkType}`;
}
