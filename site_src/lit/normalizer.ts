/**
 * SentencePiece text normalisation, byte for byte as the C++ library does it: the model's
 * precompiled character map (a Darts-clone double-array trie over UTF-8 bytes mapping
 * prefixes to replacement strings, e.g. NFKC + NMT rules), whitespace handling and `▁`.
 */

import type {NormalizerSpec} from './formats';

const SPACE_SYMBOL = '\u2581';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function base64ToBytes(b64: string): Uint8Array {
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Length of the UTF-8 character starting at `bytes[pos]`, or 0 when it is malformed. */
function utf8CharLength(bytes: Uint8Array, pos: number): number {
  const b = bytes[pos];
  const need = b < 0x80 ? 1 : (b >> 5) === 0x6 ? 2 : (b >> 4) === 0xe ? 3 : (b >> 3) === 0x1e ? 4 : 0;
  if (need === 0 || pos + need > bytes.length) return 0;
  for (let i = 1; i < need; i++) if ((bytes[pos + i] & 0xc0) !== 0x80) return 0;
  return need;
}

/** The precompiled charsmap: longest-prefix replacement rules. */
export class CharsMap {
  private readonly units: Uint32Array;
  private readonly strings: Uint8Array;

  constructor(blob: Uint8Array) {
    if (blob.length === 0) {
      this.units = new Uint32Array(0);
      this.strings = new Uint8Array(0);
      return;
    }
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const trieBytes = view.getUint32(0, true);
    if (trieBytes + 4 > blob.length || trieBytes % 4 !== 0) throw new Error('malformed precompiled_charsmap');
    this.units = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = view.getUint32(4 + 4 * i, true);
    this.strings = blob.subarray(4 + trieBytes);
  }

  /** Longest rule matching at `pos`: [bytes consumed, replacement bytes], or null. */
  match(bytes: Uint8Array, pos: number): [number, Uint8Array] | null {
    const units = this.units;
    if (units.length === 0) return null;
    // Darts-clone unit layout: label = u & 0x800000FF, has_leaf = (u >> 8) & 1,
    // offset = (u >> 10) << ((u & (1 << 9)) >> 6), value = u & 0x7FFFFFFF.
    const offset = (u: number) => ((u >>> 10) << ((u & 0x200) >>> 6)) >>> 0;
    let node = offset(units[0]);
    let bestLength = 0;
    let bestValue = -1;
    for (let i = pos; i < bytes.length; i++) {
      const c = bytes[i];
      node = (node ^ c) >>> 0;
      const unit = units[node];
      if (unit === undefined || ((unit & 0x800000ff) >>> 0) !== c) break;
      node = (node ^ offset(unit)) >>> 0;
      if ((unit >>> 8) & 1) {
        bestLength = i - pos + 1;
        bestValue = units[node] & 0x7fffffff;
      }
    }
    if (bestLength === 0) return null;
    let end = bestValue;
    while (end < this.strings.length && this.strings[end] !== 0) end++;
    return [bestLength, this.strings.subarray(bestValue, end)];
  }
}

const SPACE = 0x20;
const REPLACEMENT = encoder.encode('\ufffd');

/** SentencePiece's `Normalizer::Normalize` (without user-defined symbols). */
export class Normalizer {
  private readonly map: CharsMap;

  constructor(private readonly spec: NormalizerSpec) {
    this.map = new CharsMap(base64ToBytes(spec.precompiled_charsmap));
  }

  /** One normalised prefix of `bytes[pos:]`: [replacement bytes, bytes consumed]. */
  private prefix(bytes: Uint8Array, pos: number): [Uint8Array, number] {
    const rule = this.map.match(bytes, pos);
    if (rule) return [rule[1], rule[0]];
    const length = utf8CharLength(bytes, pos);
    if (length === 0) return [REPLACEMENT, 1];
    return [bytes.subarray(pos, pos + length), length];
  }

  /** Normalise `text`; spaces become `▁` when the model escapes whitespace. */
  normalize(text: string): string {
    const input = encoder.encode(text);
    const spec = this.spec;
    let pos = 0;
    if (spec.remove_extra_whitespaces) {
      while (pos < input.length) {
        const [out, used] = this.prefix(input, pos);
        if (!(out.length === 1 && out[0] === SPACE)) break;
        pos += used;
      }
    }
    if (pos >= input.length) return '';
    const out: number[] = [];
    const space = spec.escape_whitespaces ? Array.from(encoder.encode(SPACE_SYMBOL)) : [SPACE];
    if (spec.add_dummy_prefix) out.push(...space);
    let prevSpace = spec.remove_extra_whitespaces;
    while (pos < input.length) {
      const [piece, used] = this.prefix(input, pos);
      let start = 0;
      if (prevSpace && spec.remove_extra_whitespaces) {
        while (start < piece.length && piece[start] === SPACE) start++;
      }
      if (start < piece.length) {
        for (let i = start; i < piece.length; i++) {
          if (spec.escape_whitespaces && piece[i] === SPACE) out.push(...space);
          else out.push(piece[i]);
        }
        prevSpace = piece[piece.length - 1] === SPACE;
      }
      pos += used;
      if (!spec.remove_extra_whitespaces) prevSpace = false;
    }
    if (spec.remove_extra_whitespaces) {
      while (out.length >= space.length && space.every((b, i) => out[out.length - space.length + i] === b)) {
        out.length -= space.length;
      }
    }
    return decoder.decode(new Uint8Array(out));
  }
}
