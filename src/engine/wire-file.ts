/**
 * The spool file of span batches the export worker could not take in at the app's pace: the
 * batches as the hand-off wrote them (batch-codec.ts), and the resource and scope definitions
 * they name, so that any process can read them back. One such file per destination sits in that
 * destination's spool directory, next to its own spool, under its size limit.
 *
 * Layout after the header line: u32 length + JSON of the definitions, then records of
 * u32 span count, u32 byte length, batch bytes. A record cut short (disk full) ends the file.
 */
import type { WireDefinitions } from './wire';

export const WIRE_SPOOL_HEADER = '#agentops-wire-spool v1\n';
export { OVERFLOW_SUFFIX as WIRE_SPOOL_SUFFIX } from '../exporters/spool';

export interface StoredBatch {
  bytes: Uint8Array;
  count: number;
}

export function wireFileChunks(defs: WireDefinitions, batches: readonly StoredBatch[]): Uint8Array[] {
  const json = Buffer.from(JSON.stringify(defs));
  const out: Uint8Array[] = [u32(json.length), json];
  for (const b of batches) {
    const head = Buffer.allocUnsafe(8);
    head.writeUInt32LE(b.count, 0);
    head.writeUInt32LE(b.bytes.byteLength, 4);
    out.push(head, b.bytes);
  }
  return out;
}

export function readWireFile(body: Buffer): { defs: WireDefinitions; batches: StoredBatch[] } {
  if (body.length < 4) throw new Error('wire spool file has no definitions');
  const n = body.readUInt32LE(0);
  if (4 + n > body.length) throw new Error('wire spool file is cut short in its definitions');
  const defs = JSON.parse(body.toString('utf8', 4, 4 + n)) as WireDefinitions;
  const batches: StoredBatch[] = [];
  let pos = 4 + n;
  while (pos + 8 <= body.length) {
    const count = body.readUInt32LE(pos);
    const length = body.readUInt32LE(pos + 4);
    if (pos + 8 + length > body.length) break;
    batches.push({ bytes: body.subarray(pos + 8, pos + 8 + length), count });
    pos += 8 + length;
  }
  return { defs, batches };
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n, 0);
  return b;
}
