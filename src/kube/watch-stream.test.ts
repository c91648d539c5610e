import { KubeApiError } from './errors.js';
import type { WatchEvent } from './watch-stream.js';
import { watchError, watchEvents } from './watch-stream.js';

async function* chunks(...parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield part;
}

async function collect(body: AsyncIterable<Buffer>): Promise<WatchEvent<{ note?: string }>[]> {
  const out: WatchEvent<{ note?: string }>[] = [];
  for await (const event of watchEvents<{ note?: string }>(body)) out.push(event);
  return out;
}

describe('watchEvents', () => {
  it('joins a line split across chunks, skips blank lines and keeps a character split between chunks whole', async () => {
    const first = Buffer.from(
      '{"type":"ADDED","object":{"note":"渡船"}}\n\n{"type":"MODIFIED","object":{"note":"彩虹"}}\n',
    );
    // cut inside the first character's three bytes, and inside the second line
    const cut1 = first.indexOf(Buffer.from('渡')) + 1;
    const cut2 = first.indexOf(Buffer.from('彩')) + 2;
    const events = await collect(
      chunks(first.subarray(0, cut1), first.subarray(cut1, cut2), first.subarray(cut2)),
    );
    expect(events).toEqual([
      { type: 'ADDED', object: { note: '渡船' } },
      { type: 'MODIFIED', object: { note: '彩虹' } },
    ]);
  });

  it('holds a last line without its newline back until the newline arrives', async () => {
    const events = await collect(chunks(Buffer.from('{"type":"ADDED","object":{}}\n{"type":"DEL')));
    expect(events).toEqual([{ type: 'ADDED', object: {} }]);
  });
});

describe('watchError', () => {
  it('turns an ERROR event into the API error it reports', () => {
    const error = watchError({
      type: 'ERROR',
      object: { code: 410, reason: 'Expired', message: 'too old resource version: 1 (42)' },
    });
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error.gone).toBe(true);
    expect(error.message).toBe('too old resource version: 1 (42)');
  });
});
