/**
 * Which protocol layer a message body shows as, by its media type (RFC 9110 §8.3.1), as Wireshark
 * 4.0 names it in `frame.protocols` after `http` (its "media_type" dissector table): text bodies
 * are `data-text-lines`, JSON `json`, XML `xml`, a body without Content-Type `data`, and any type
 * with no dissector of its own `media`.
 *
 * The table holds only what tshark 4.0.17 was seen to do, one generated response per type
 * (test/analysis/app.test.ts checks a sample against tshark); Wireshark's own list is longer. The
 * type is compared without parameters and case-insensitively (§8.3.1).
 */

const BODY_PROTOCOLS: ReadonlyMap<string, string> = new Map([
  ...[
    'text/html', 'text/plain', 'text/css', 'text/javascript', 'text/richtext', 'text/enriched', 'text/parameters',
    'text/xml-external-parsed-entity', 'text/vnd.sun.j2me.app-descriptor', 'application/x-javascript',
    'application/x-ns-proxy-autoconfig', 'application/x-tia-p25-issi', 'application/vnd.poc.refer-to',
    'application/vnd.drm.message', 'application/x-rtsp-udp-packetpair',
  ].map((t) => [t, 'data-text-lines'] as const),
  ...[
    'application/json', 'application/problem+json', 'application/x-ndjson', 'application/jsonrequest', 'application/json-rpc',
    'application/vnd.oma.lwm2m+json', 'application/dds-web+json',
  ].map((t) => [t, 'json'] as const),
  ...[
    'application/xml', 'text/xml', 'image/svg+xml', 'application/soap+xml', 'application/xml-dtd', 'application/rss+xml',
    'application/atom+xml', 'text/vnd.wap.wml', 'application/x-wms-logplaystats',
  ].map((t) => [t, 'xml'] as const),
  ...['application/grpc', 'application/grpc+proto', 'application/grpc-web'].map((t) => [t, 'grpc'] as const),
  ['application/octet-stream', 'data'],
  ['application/x-www-form-urlencoded', 'urlencoded-form'],
  ['message/http', 'message-http'],
  ['application/vnd.wap.mms-message', 'mmse'],
  // Image dissectors take the body when it has their signature; a body that lies about its type
  // is `media` (or another image) in tshark: not checked here, bodies are only counted.
  ['image/png', 'png'],
  ['image/gif', 'image-gif'],
  ['image/jpeg', 'image-jfif'],
]);

/** The last answer kept: a capture's bodies mostly repeat a few Content-Types, so most calls end at one comparison. */
let lastContentType: string | undefined;
let lastMediaType = '';

/**
 * The media type of a Content-Type value (as written, parameters allowed): the type/subtype, lower
 * case, without parameters or surrounding whitespace (RFC 9110 §8.3.1).
 */
export function mediaType(contentType: string): string {
  if (contentType === lastContentType) return lastMediaType;
  const semi = contentType.indexOf(';');
  lastMediaType = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  lastContentType = contentType;
  return lastMediaType;
}

/** bodyProtocol's last answer, by media type (the string mediaType kept, compared by identity first). */
let lastBodyType: string | undefined;
let lastBodyProtocol = 'data';

/** The protocol a body of this Content-Type (as written, parameters allowed) shows as. */
export function bodyProtocol(contentType: string | undefined): string {
  if (contentType === undefined) return 'data';
  const type = mediaType(contentType);
  if (type === lastBodyType) return lastBodyProtocol;
  // multipart/* goes to Wireshark's MIME multipart dissector, whose parts add layers of their own.
  lastBodyProtocol = BODY_PROTOCOLS.get(type) ?? (type.startsWith('multipart/') ? 'mime_multipart' : 'media');
  lastBodyType = type;
  return lastBodyProtocol;
}
