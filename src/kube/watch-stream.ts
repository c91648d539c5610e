import { StringDecoder } from 'node:string_decoder';
import { KubeApiError } from './errors.js';

/** One event of a watch stream. */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** The events of a watch response body: one JSON object per line, split across chunks anywhere. */
export async function* watchEvents<T>(body: AsyncIterable<Buffer | string>): AsyncGenerator<WatchEvent<T>> {
  // a chunk can end inside a multi-byte character: the decoder keeps its first bytes for the next one
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) yield JSON.parse(line) as WatchEvent<T>;
    }
  }
}

/** The Status an ERROR event carries, as the error to throw (410 Gone means relist). */
export function watchError(event: WatchEvent<unknown>): KubeApiError {
  const status = event.object as { code?: number; reason?: string; message?: string };
  return new KubeApiError(status.code ?? 500, status.reason ?? 'Unknown', status.message ?? 'watch error');
}
