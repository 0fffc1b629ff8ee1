/** Keep-alive through ppi.serve(): a connection is reused, and maxRequestsPerConnection ends it after n responses. */
import http from 'node:http';
import { start, type Running } from './support/run';

function pool(config: object): Running {
  return start(['serve-ending.js'], { env: { ...process.env, CONFIG: JSON.stringify(config) } });
}

interface Answer {
  reused: boolean;
  localPort: number;
  connection: string | undefined;
  body: string;
}

function get(port: number, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ reused: req.reusedSocket, localPort: req.socket!.localPort!, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
  });
}

async function portOf(p: Running): Promise<number> {
  await p.waitForEvents('ready', 1);
  return (p.events('ready')[0] as { port: number }).port;
}

test('serve(): two requests on one keep-alive connection are both answered on that connection', async () => {
  const p = pool({});
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const port = await portOf(p);
    const first = await get(port, agent);
    const second = await get(port, agent);
    expect(first.connection).toBe('keep-alive');
    expect([second.reused, second.localPort]).toEqual([true, first.localPort]);
    expect(second.body).toMatch(/^ok \d+ 2\n$/); // the same child, its second request
  } finally {
    agent.destroy();
    p.child.kill('SIGTERM');
    await p.done;
  }
});

test('serve({ maxRequestsPerConnection: 2 }): the second response says Connection: close, and the third request comes on a new connection', async () => {
  const p = pool({ serve: { maxRequestsPerConnection: 2 } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const port = await portOf(p);
    const answers = [await get(port, agent), await get(port, agent), await get(port, agent), await get(port, agent)];
    expect(answers.map((a) => a.connection)).toEqual(['keep-alive', 'close', 'keep-alive', 'close']);
    expect(answers.map((a) => a.reused)).toEqual([false, true, false, true]);
    expect(answers[1].localPort).toBe(answers[0].localPort);
    expect(answers[2].localPort).not.toBe(answers[1].localPort);
    expect(answers[3].body).toMatch(/^ok \d+ 4\n$/); // every request answered
  } finally {
    agent.destroy();
    p.child.kill('SIGTERM');
    await p.done;
  }
});
