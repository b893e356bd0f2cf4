/** LINKTYPE_* names (tcpdump.org/linktypes.html) for the link types people meet on laptops and servers. */
const NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'EN10MB',
  101: 'RAW',
  105: 'IEEE802_11',
  108: 'LOOP',
  113: 'LINUX_SLL',
  127: 'IEEE802_11_RADIOTAP',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2',
};

export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `LINKTYPE_${linkType}`;
}
