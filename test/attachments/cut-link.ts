// A network link between clients and a relay that a test can cut: a TCP proxy on
// 127.0.0.1 that forwards both ways at a bounded rate (a real link is slower than the
// relay's disk, so bytes do not pile up in the relay's socket buffers), counts what it
// delivers, and on `cut()` destroys every open connection at once, as a dropped
// network would. New connections go through again afterwards.
//
// It reads the HTTP/1.1 framing of the client's side (request line and
// Content-Length) to count the body bytes of PATCH requests it delivered to the relay:
// what the relay received of blob uploads, every attempt counted.
import net from 'node:net';

export interface CutLinkOptions {
  /** Bytes per second in each direction (per connection). */
  readonly bytesPerSecond: number;
  /** Cut every connection once this many PATCH body bytes reached the relay. */
  readonly cutAfterPatchBytes?: number;
  /** Cut every connection once this many response bytes reached the clients. */
  readonly cutAfterResponseBytes?: number;
}

const PIECE = 16 * 1024;

export class CutLink {
  /** PATCH body bytes delivered to the relay (flushed to its socket). */
  patchBodyBytes = 0;
  /** Bytes delivered to the clients, all responses. */
  responseBytes = 0;
  cuts = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private cutAfterPatch: number | undefined;
  private cutAfterResponse: number | undefined;

  private constructor(
    private readonly target: URL,
    private readonly options: CutLinkOptions,
  ) {
    this.cutAfterPatch = options.cutAfterPatchBytes;
    this.cutAfterResponse = options.cutAfterResponseBytes;
    this.server = net.createServer((client) => this.connect(client));
  }

  static async open(targetUrl: string, options: CutLinkOptions): Promise<CutLink> {
    const link = new CutLink(new URL(targetUrl), options);
    await new Promise<void>((resolve) => link.server.listen(0, '127.0.0.1', resolve));
    return link;
  }

  get url(): string {
    const address = this.server.address() as net.AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  /** Drops every open connection, both sides, now. */
  cut(): void {
    this.cuts++;
    this.dropAll();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private connect(client: net.Socket): void {
    const relay = net.connect(Number(this.target.port), this.target.hostname);
    this.sockets.add(client);
    this.sockets.add(relay);
    const drop = () => {
      client.destroy();
      relay.destroy();
      this.sockets.delete(client);
      this.sockets.delete(relay);
    };
    client.on('error', drop).on('close', drop);
    relay.on('error', drop).on('close', drop);
    const requests = new RequestFraming();
    this.forward(client, relay, (piece) => {
      const body = requests.patchBodyBytes(piece);
      return () => {
        this.patchBodyBytes += body;
        if (this.cutAfterPatch !== undefined && this.patchBodyBytes >= this.cutAfterPatch) {
          this.cutAfterPatch = undefined;
          this.cut();
        }
      };
    });
    this.forward(relay, client, (piece) => () => {
      this.responseBytes += piece.length;
      if (this.cutAfterResponse !== undefined && this.responseBytes >= this.cutAfterResponse) {
        this.cutAfterResponse = undefined;
        this.cut();
      }
    });
  }

  /** Copies `from` to `to` at the link's rate; `delivered` runs once a piece is flushed. */
  private forward(from: net.Socket, to: net.Socket, account: (piece: Buffer) => () => void): void {
    const rate = this.options.bytesPerSecond;
    let start = 0;
    let sent = 0;
    let busy = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      from.pause();
      busy = busy.then(async () => {
        for (let at = 0; at < chunk.length && !to.destroyed; at += PIECE) {
          const piece = chunk.subarray(at, at + PIECE);
          const now = performance.now();
          if (now - start > 1000) {
            start = now;
            sent = 0;
          }
          const due = start + (sent / rate) * 1000;
          if (due > now) await new Promise((resolve) => setTimeout(resolve, due - now));
          sent += piece.length;
          const delivered = account(piece);
          await new Promise<void>((resolve) => {
            if (to.destroyed) return resolve();
            to.write(piece, (error) => {
              if (!error) delivered();
              resolve();
            });
          });
        }
        if (!from.destroyed) from.resume();
      });
    });
    from.on('end', () => void busy.then(() => to.end()));
  }
}

/** Follows request boundaries on one connection (Content-Length framing only). */
class RequestFraming {
  private head = '';
  private bodyLeft = 0;
  private isPatch = false;

  /** How many bytes of `piece` are PATCH body bytes. */
  patchBodyBytes(piece: Buffer): number {
    let count = 0;
    let at = 0;
    while (at < piece.length) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, piece.length - at);
        if (this.isPatch) count += take;
        this.bodyLeft -= take;
        at += take;
        continue;
      }
      const text = piece.subarray(at).toString('latin1');
      const end = (this.head + text).indexOf('\r\n\r\n');
      if (end < 0) {
        this.head += text;
        return count;
      }
      const headLength = end + 4 - this.head.length;
      const head = (this.head + text).slice(0, end);
      this.head = '';
      at += headLength;
      this.isPatch = head.startsWith('PATCH ');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      this.bodyLeft = length ? Number(length[1]) : 0;
    }
    return count;
  }
}
