import type { IncomingMessage, Server } from 'node:http';

/** Listens on 127.0.0.1:`port`, with a clear message when the port is taken. */
export const listen = (server: Server, port: number, what: string): Promise<void> =>
  new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `Port ${port} (${what}) is taken. Free it or choose another port (see README, "Local cloud").`,
            )
          : error,
      );
    });
    server.listen(port, '127.0.0.1', () => resolve());
  });

/** Past this many bytes an oversized body is no longer drained: the connection is cut. */
const MAX_DRAINED_BYTES = 16 * 1024 * 1024;

/**
 * The request body, or a rejection when it passes `limit` bytes. An oversized body is
 * read to its end (and dropped) before rejecting, so the caller's 413 reaches the client
 * instead of a reset connection; only an absurdly large one is cut off.
 */
export const readBody = (request: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit + MAX_DRAINED_BYTES) {
        reject(new Error('too large'));
        request.destroy();
      } else if (size <= limit) {
        chunks.push(chunk);
      }
    });
    request.on('end', () => (size > limit ? reject(new Error('too large')) : resolve(Buffer.concat(chunks))));
    request.on('error', reject);
  });

export const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
