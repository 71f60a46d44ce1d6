/**
 * A protobuf writer for hand-built OTLP bytes, independent of the exporters' own serializer, and a
 * request built with it that holds every field type and unknown fields of every wire type.
 */

export const pb = {
  varint(n: bigint | number): number[] {
    let v = BigInt.asUintN(64, BigInt(n));
    const out: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      out.push(b);
    } while (v);
    return out;
  },
  tag: (f: number, wt: number): number[] => pb.varint((f << 3) | wt),
  len: (f: number, body: number[]): number[] => [...pb.tag(f, 2), ...pb.varint(body.length), ...body],
  str: (f: number, s: string): number[] => pb.len(f, [...Buffer.from(s, 'utf8')]),
  bytes: (f: number, hex: string): number[] => pb.len(f, [...Buffer.from(hex, 'hex')]),
  vint: (f: number, n: bigint | number): number[] => [...pb.tag(f, 0), ...pb.varint(n)],
  fixed64: (f: number, n: bigint): number[] => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n);
    return [...pb.tag(f, 1), ...b];
  },
  double: (f: number, x: number): number[] => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(x);
    return [...pb.tag(f, 1), ...b];
  },
  fixed32: (f: number, n: number): number[] => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return [...pb.tag(f, 5), ...b];
  },
  kv: (f: number, key: string, anyValue: number[]): number[] => pb.len(f, [...pb.str(1, key), ...pb.len(2, anyValue)]),
  /** Unknown fields of every wire type, including a (deprecated) group. */
  junk: (): number[] => [
    ...pb.vint(900, -1),
    ...pb.fixed64(901, 0xdeadbeefn),
    ...pb.fixed32(902, 7),
    ...pb.str(903, 'ignored'),
    ...pb.tag(904, 3),
    ...pb.vint(1, 5),
    ...pb.str(2, 'inside group'),
    ...pb.tag(904, 4),
  ],
};

export const TRACE = '5b8efff798038103d269b633813fc60c';
export const SPAN = 'eee19b7ec3c1b174';
export const PARENT = 'eee19b7ec3c1b173';

export function handBuiltResourceSpans(): number[] {
  const any = pb;
  const span = [
    ...pb.junk(),
    ...pb.bytes(1, TRACE),
    ...pb.bytes(2, SPAN),
    ...pb.str(3, 'k=v'),
    ...pb.bytes(4, PARENT),
    ...pb.str(5, 'hand built'),
    ...pb.vint(6, 4),
    ...pb.fixed64(7, 18_446_744_073_709_551_615n), // max uint64
    ...pb.fixed64(8, 1n),
    ...pb.kv(9, 'min', any.vint(3, -(2n ** 63n))),
    ...pb.kv(9, 'max', any.vint(3, 2n ** 63n - 1n)),
    ...pb.kv(9, 'minus1', any.vint(3, -1)),
    ...pb.kv(9, 'bytes', any.bytes(7, '00ff10')),
    ...pb.kv(9, 'empty', []),
    ...pb.kv(9, 'dbl', any.double(4, -1.25)),
    ...pb.kv(9, 'bool0', any.vint(2, 0)),
    ...pb.kv(9, 'kv', any.len(6, [...pb.kv(1, 'inner', any.str(1, 'x')), ...pb.kv(1, 'list', any.len(5, [...pb.len(1, pb.vint(3, 1)), ...pb.len(1, pb.junk()), ...pb.len(1, pb.str(1, 'y'))]))])),
    ...pb.kv(9, 'junky', [...pb.junk(), ...pb.str(1, 'ok'), ...pb.junk()]),
    ...pb.vint(10, 3),
    ...pb.len(11, [...pb.junk(), ...pb.fixed64(1, 42n), ...pb.str(2, 'e'), ...pb.kv(3, 'a', pb.str(1, 'b')), ...pb.vint(4, 1)]),
    ...pb.vint(12, 2),
    ...pb.len(13, [...pb.bytes(1, TRACE), ...pb.bytes(2, PARENT), ...pb.str(3, 'l=1'), ...pb.kv(4, 'x', pb.vint(2, 1)), ...pb.vint(5, 9), ...pb.fixed32(6, 0x301), ...pb.junk()]),
    ...pb.vint(14, 1),
    ...pb.len(15, [...pb.str(2, 'msg'), ...pb.junk(), ...pb.vint(3, 2)]),
    ...pb.fixed32(16, 0x101),
  ];
  const scope = [...pb.str(1, 'scope'), ...pb.str(2, '9.9'), ...pb.kv(3, 's', pb.vint(3, 5)), ...pb.vint(4, 0), ...pb.junk()];
  const resource = [...pb.kv(1, 'service.name', pb.str(1, 'svc')), ...pb.vint(2, 0), ...pb.junk()];
  const scopeSpans = [...pb.len(1, scope), ...pb.len(2, span), ...pb.len(2, [...pb.bytes(1, TRACE), ...pb.bytes(2, SPAN), ...pb.str(5, 'second')]), ...pb.str(3, 'schema'), ...pb.junk()];
  return [...pb.junk(), ...pb.len(1, resource), ...pb.len(2, scopeSpans), ...pb.str(3, 'schema')];
}

export function handBuiltRequest(): number[] {
  const resourceSpans = handBuiltResourceSpans();
  return [...pb.junk(), ...pb.len(1, resourceSpans), ...pb.junk(), ...pb.len(1, [...pb.len(2, [...pb.len(2, pb.str(5, 'third'))])])];
}
