/**
 * The server's background queue (server/lsp/background-queue.ts) against the real vscode-jsonrpc over a real
 * socket: a request that arrives while a background task runs is handled, and its answer written, before the next
 * background task; tasks run one a turn, in order, and a cancelled one never runs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createMessageConnection, RequestType, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { BackgroundQueue } from '../../server/lsp/background-queue';

const PING = new RequestType<number, number, void>('test/ping');

/** Two ends of a unix socket: the bytes one end writes are read in the other's next poll phase, as stdio's are. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-queue-'));
  const file = path.join(dir, 's');
  const accepted = new Promise<net.Socket>((resolve) => {
    const server = net.createServer((s) => {
      server.close();
      resolve(s);
    });
    server.listen(file);
  });
  const client = net.connect(file);
  await new Promise((r) => client.once('connect', r));
  const server = await accepted;
  fs.rmSync(dir, { recursive: true, force: true });
  return [client, server];
}

test('a request that arrives during a background task is handled and answered before the next task', async () => {
  const [clientEnd, serverEnd] = await socketPair();
  const log: string[] = [];
  const queue = new BackgroundQueue();
  const server = createMessageConnection(new StreamMessageReader(serverEnd), new StreamMessageWriter(serverEnd));
  server.onRequest(
    PING,
    queue.handler((n: number) => {
      log.push('handled');
      return n + 1;
    }),
  );
  // The server's bytes out: the answer is written when they go.
  const write = serverEnd.write.bind(serverEnd) as (...args: unknown[]) => boolean;
  (serverEnd as { write: unknown }).write = (...args: unknown[]) => {
    if (!log.includes('written')) log.push('written');
    return write(...args);
  };
  serverEnd.on('data', () => queue.input());
  server.listen();
  const client = createMessageConnection(new StreamMessageReader(clientEnd), new StreamMessageWriter(clientEnd));
  client.listen();

  let answer: Promise<number> | undefined;
  const done = new Promise<void>((resolve) => {
    queue.later(() => {
      log.push('task 1');
      // The client's request goes out now, while this task holds the server's thread (a hover during a slice).
      answer = client.sendRequest(PING, 41);
      const until = performance.now() + 20;
      while (performance.now() < until); // the request's bytes are in the socket before this task ends
    });
    queue.later(() => {
      log.push('task 2');
      resolve();
    });
  });
  try {
    await done;
    assert.equal(await answer, 42);
    assert.deepEqual(log, ['task 1', 'handled', 'written', 'task 2']);
  } finally {
    client.dispose();
    server.dispose();
    clientEnd.destroy();
    serverEnd.destroy();
  }
});

test('tasks run in order, one a turn; a cancelled task never runs', async () => {
  const queue = new BackgroundQueue();
  const order: string[] = [];
  let turns = 0;
  let counting = true;
  const count = () => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  const seen: number[] = [];
  const cancel = queue.later(() => order.push('cancelled'));
  await new Promise<void>((resolve) => {
    queue.later(() => {
      order.push('a');
      seen.push(turns);
    });
    queue.later(() => {
      order.push('b');
      seen.push(turns);
      resolve();
    });
    cancel();
  });
  counting = false;
  assert.deepEqual(order, ['a', 'b']);
  assert.equal(queue.size, 0);
  assert.ok(seen[1] > seen[0], `b ran ${seen[1] - seen[0]} turns after a`);
});
