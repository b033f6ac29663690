/**
 * A TCP proxy on 127.0.0.1 in front of the plain-HTTP S3 server, for tests that must act at a precise point
 * of a real kept process's conversation with it: each piece the client sends is shown to `beforeSend`,
 * which may hold it back (say, until the test has stored something itself) before it goes on. Bytes pass
 * unchanged, so the requests' signatures (over the Host header kept sent) still hold.
 */
export class TcpProxy {
  readonly port: number;
  readonly #listener: Deno.TcpListener;
  readonly #connections = new Set<Deno.Conn>();
  readonly #serving: Promise<void>;

  constructor(target: { hostname: string; port: number }, beforeSend: (piece: string) => Promise<void>) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = this.#listener.addr.port;
    this.#serving = this.#serve(target, beforeSend);
  }

  async #serve(target: { hostname: string; port: number }, beforeSend: (piece: string) => Promise<void>) {
    for await (const client of this.#listener) {
      const server = await Deno.connect(target);
      this.#connections.add(client).add(server);
      const decoder = new TextDecoder("latin1");
      const upstream = new WritableStream<Uint8Array>({
        write: async (piece) => {
          await beforeSend(decoder.decode(piece));
          await writeAll(server, piece);
        },
      });
      client.readable.pipeTo(upstream).catch(() => {}).finally(() => close(server));
      server.readable.pipeTo(client.writable).catch(() => {}).finally(() => close(client));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    for (const connection of this.#connections) close(connection);
    await this.#serving.catch(() => {});
  }
}

async function writeAll(connection: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) written += await connection.write(bytes.subarray(written));
}

function close(connection: Deno.Conn): void {
  try {
    connection.close();
  } catch {
    // Closed already.
  }
}
