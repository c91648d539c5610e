import { Readable } from 'node:stream';
import { chunksOf, resumeAfterStatus } from './registry-upload.js';

async function sizes(parts: number[], size: number): Promise<number[]> {
  let n = 0;
  const source = Readable.from(parts.map((length) => Buffer.from(Array.from({ length }, () => n++ % 256))));
  const out: Buffer[] = [];
  for await (const chunk of chunksOf(source, size)) out.push(Buffer.from(chunk));
  const all = Buffer.concat(out);
  expect([...all]).toEqual(Array.from({ length: n }, (_, i) => i % 256));
  return out.map((c) => c.length);
}

describe('upload chunks', () => {
  it('cuts a stream into chunks of the chunk size whatever the pieces it arrives in; the last may be shorter', async () => {
    expect(await sizes([10], 4)).toEqual([4, 4, 2]);
    expect(await sizes([1, 2, 3, 2], 4)).toEqual([4, 4]);
    expect(await sizes([3, 9, 1], 5)).toEqual([5, 5, 3]);
    expect(await sizes([4], 4)).toEqual([4]);
    expect(await sizes([], 4)).toEqual([]);
  });
});

describe('resuming a chunk after a failed PATCH', () => {
  it('goes on when the registry holds the whole chunk, resends it when it holds what came before', () => {
    expect(resumeAfterStatus(204, '0-199', 100, 199)).toBe('sent');
    expect(resumeAfterStatus(204, 'bytes=0-199', 100, 199)).toBe('sent');
    expect(resumeAfterStatus(204, '0-99', 100, 199)).toBe('resend');
    expect(resumeAfterStatus(204, '', 0, 99)).toBe('resend');
  });

  it('gives up on another status or a range it cannot go on from', () => {
    expect(resumeAfterStatus(404, '0-99', 100, 199)).toBe('fail');
    expect(resumeAfterStatus(204, '0-149', 100, 199)).toBe('fail');
    expect(resumeAfterStatus(204, '', 100, 199)).toBe('fail');
    expect(resumeAfterStatus(204, '10-99', 100, 199)).toBe('fail');
  });
});
