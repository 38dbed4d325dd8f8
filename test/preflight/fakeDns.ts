// A public-DNS stand-in on loopback UDP: answers NS queries (RFC 1035 §4.1) from a map of name -> name servers,
// NXDOMAIN for any other name, so the preflight's real node:dns Resolver asks it through GUMSTACK_PREFLIGHT_DNS_SERVER.
import { createSocket } from "node:dgram";
import type { AddressInfo } from "node:net";

const NS = 2;

function readName(msg: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let i = offset;
  while (msg[i]! !== 0) {
    const len = msg[i]!;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString("ascii"));
    i += 1 + len;
  }
  return { name: labels.join(".").toLowerCase(), next: i + 1 };
}

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, "").split(".").filter(Boolean);
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, "ascii")])), Buffer.from([0])]);
}

export interface FakeDns {
  readonly server: string;
  /** name -> NS records (a name not listed answers NXDOMAIN). */
  readonly records: Map<string, string[]>;
  close(): Promise<void>;
}

export async function startFakeDns(records: Record<string, string[]>): Promise<FakeDns> {
  const map = new Map(Object.entries(records));
  const socket = createSocket("udp4");
  socket.on("message", (msg, rinfo) => {
    const id = msg.readUInt16BE(0);
    const { name, next } = readName(msg, 12);
    const qtype = msg.readUInt16BE(next);
    const question = msg.subarray(12, next + 4);
    const ns = map.get(name);
    const answers = qtype === NS && ns ? ns : [];
    // Header: QR=1, RD copied, RA=1; RCODE 3 (NXDOMAIN) for an unknown name, 0 (no answer: ENODATA) for another type.
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    header.writeUInt16BE(0x8180 | (msg.readUInt16BE(2) & 0x0100) | (ns ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const rrs = answers.map((server) => {
      const rdata = encodeName(server);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      rr.writeUInt16BE(NS, 2);
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(300, 6);
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    socket.send(Buffer.concat([header, question, ...rrs]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address() as AddressInfo;
  return { server: `127.0.0.1:${port}`, records: map, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}
