/**
 * Differential check of the IPv4/IPv6/ICMP/ICMPv6 fields against tshark 4.0 on the real corpus
 * (checksum validation on, defragmentation off, so first fragments show as we show them).
 */
import { describe, expect, it } from 'vitest';
import { decode, haveCorpus, haveTshark, normalizeTshark, oursAsTshark, readPcap, REAL, tsharkFields } from './netfixture.js';

const IPV4 = 'ip.version,ip.hdr_len,ip.dsfield,ip.dsfield.dscp,ip.dsfield.ecn,ip.len,ip.id,ip.flags,ip.flags.rb,ip.flags.df,ip.flags.mf,ip.frag_offset,ip.ttl,ip.proto,ip.checksum,ip.checksum.status,ip.src,ip.dst,ip.opt.type,ip.opt.type.copy,ip.opt.type.class,ip.opt.type.number,ip.opt.len,ip.opt.ra'.split(',');
const IPV6 = 'ipv6.version,ipv6.tclass,ipv6.tclass.dscp,ipv6.tclass.ecn,ipv6.flow,ipv6.plen,ipv6.nxt,ipv6.hlim,ipv6.src,ipv6.dst,ipv6.hopopts.nxt,ipv6.hopopts.len,ipv6.hopopts.len_oct,ipv6.routing.nxt,ipv6.routing.len,ipv6.routing.type,ipv6.routing.segleft,ipv6.routing.src.reserved,ipv6.fraghdr.nxt,ipv6.fraghdr.offset,ipv6.fraghdr.more,ipv6.fraghdr.ident,ipv6.dstopts.nxt,ipv6.dstopts.len,ipv6.opt.type,ipv6.opt.length,ipv6.opt.padn'.split(',');
const ICMP = 'icmp.type,icmp.code,icmp.checksum,icmp.checksum.status,icmp.ident,icmp.seq,icmpv6.type,icmpv6.code,icmpv6.checksum,icmpv6.checksum.status,icmpv6.echo.identifier,icmpv6.echo.sequence_number,icmpv6.nd.ns.target_address,icmpv6.nd.na.flag,icmpv6.nd.na.flag.r,icmpv6.nd.na.flag.s,icmpv6.nd.na.flag.o,icmpv6.nd.na.target_address,icmpv6.opt.type,icmpv6.opt.length,icmpv6.opt.linkaddr,icmpv6.opt.src_linkaddr,icmpv6.opt.target_linkaddr'.split(',');

const FILES = [
  'ipv4_options_igmpv2_router_alert.pcap',
  'ipv4_ipv6_fragmented_dnssec.pcap',
  'ipv6_ext_hbh_rh_frag_dstopts_http.pcap',
  'sll2_icmp_icmpv6_arp.pcap',
  'pcap_le_usec_eth_http_get_fin.pcap',
  'fuzz_wireshark_eth_2006.pcap',
];

if (!haveCorpus || !haveTshark) console.warn(`network-tshark: skipped (${!haveCorpus ? `${REAL} absent` : 'tshark not installed'})`);

describe.skipIf(!haveCorpus || !haveTshark)('IPv4/IPv6/ICMP/ICMPv6 fields match tshark', () => {
  it.each(FILES)('%s', (file) => {
    const fields = [...IPV4, ...IPV6, ...ICMP];
    const ts = tsharkFields(`${REAL}/${file}`, fields);
    const mismatches: string[] = [];
    for (const [i, frame] of readPcap(`${REAL}/${file}`).entries()) {
      const all = decode(frame).layers.flatMap((l) => l.fields());
      fields.forEach((name, k) => {
        const ours = all.filter((f) => f.name === name).map((f) => oursAsTshark(f.value));
        const theirs = (ts[i]?.[k] ?? []).map((v) => normalizeTshark(name, v));
        if (JSON.stringify(ours) !== JSON.stringify(theirs)) mismatches.push(`frame ${frame.number} ${name}: ours ${JSON.stringify(ours)} tshark ${JSON.stringify(theirs)}`);
      });
    }
    expect(mismatches).toEqual([]);
  });
});
