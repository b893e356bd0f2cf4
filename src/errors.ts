/**
 * Stable error codes. Tests and users match on `code`; the message says what was wrong, where, and
 * what still worked. A WirelensError is for a whole-file or user problem (exit code 2 on the command
 * line); a malformed packet is never an exception but a layer marked malformed (see decode/layer.ts).
 */
export type ErrorCode =
  | 'WL_ERR_FILE_OPEN'
  | 'WL_ERR_NOT_A_CAPTURE'
  | 'WL_ERR_PCAP_VERSION'
  | 'WL_ERR_PCAP_RECORD_LENGTH'
  | 'WL_ERR_PCAPNG_BLOCK_LENGTH'
  | 'WL_ERR_PCAPNG_VERSION'
  | 'WL_ERR_PCAPNG_OPTION'
  | 'WL_ERR_PCAPNG_NO_INTERFACE'
  | 'WL_ERR_PCAPNG_BAD_BLOCK'
  | 'WL_ERR_TRUNCATED_FILE'
  | 'WL_ERR_USAGE'
  /** `follow --stream N` names a stream the capture does not have. */
  | 'WL_ERR_NO_SUCH_STREAM'
  /** Display filters (src/filter/): bad syntax, an unknown field, a value of the wrong type. */
  | 'WL_ERR_FILTER_SYNTAX'
  | 'WL_ERR_FILTER_FIELD'
  | 'WL_ERR_FILTER_TYPE'
  /** Live capture (src/capture/live.ts): no capture right, no tool, unknown interface, bad BPF, the tool died, the output file failed. */
  | 'WL_ERR_CAPTURE_PERMISSION'
  | 'WL_ERR_CAPTURE_NO_ENGINE'
  | 'WL_ERR_CAPTURE_INTERFACE'
  | 'WL_ERR_CAPTURE_FILTER'
  | 'WL_ERR_CAPTURE_ENGINE'
  | 'WL_ERR_CAPTURE_WRITE';

export class WirelensError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Byte offset in the file where the problem is, when there is one. */
    readonly fileOffset?: number,
    /** Frame number the problem concerns, when there is one. */
    readonly frameNumber?: number,
  ) {
    super(message);
    this.name = 'WirelensError';
  }
}

/** A problem that did not stop reading (for example a file cut short after its last whole record). */
export interface ReadWarning {
  code: ErrorCode;
  message: string;
  fileOffset: number;
  frameNumber?: number;
}
