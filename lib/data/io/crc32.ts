/**
 * CRC-32 (ISO 3309, polynomial 0xEDB88320) as used by PNG chunks. Uses node:zlib's native
 * crc32 when the running Node has it (20.15+), else a table-driven fallback.
 */
import * as zlib from 'node:zlib';

type Crc = (data: Uint8Array) => number;

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Table-driven CRC-32, exported for tests. */
export function crc32Js(data: Uint8Array): number {
  const t = crcTable();
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;

/** CRC-32 of `data` as an unsigned 32-bit number. */
export const crc32: Crc = typeof native === 'function' ? (d) => native(d) >>> 0 : crc32Js;
