import { describe, expect, it } from 'vitest';
import { bodyProtocol, mediaType } from '../../src/protocols/media-type.js';

describe('media types (RFC 9110 §8.3.1)', () => {
  it('compares the type without parameters, whitespace or case', () => {
    expect(mediaType(' Text/HTML ; charset=utf-8')).toBe('text/html');
    expect(mediaType('application/json')).toBe('application/json');
    expect(mediaType('')).toBe('');
  });

  it('names the body layer as tshark 4.0 does, whatever order the types come in', () => {
    // One answer is kept between calls: alternating, repeated and empty types must not reuse it wrongly.
    const types = ['text/html', 'Application/JSON', 'text/html; charset=utf-8', '', '', 'image/png', 'multipart/form-data; boundary=x', 'application/x-unknown', undefined, 'text/html'];
    expect(types.map(bodyProtocol)).toEqual(['data-text-lines', 'json', 'data-text-lines', 'media', 'media', 'png', 'mime_multipart', 'media', 'data', 'data-text-lines']);
  });
});
