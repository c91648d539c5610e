/**
 * HTML built from data, escaped by construction: every value interpolated into `html`...`` is
 * escaped unless it is itself an `Html` (made by `html` or, for markup built here, `raw`). Template
 * text comes from vendors and cluster objects: nothing they write can become markup.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export const escapeHtml = (text: string) => text.replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);

/** Markup this module's callers built themselves (never data). */
export const raw = (text: string) => new Html(text);

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => (out += render(v) + strings[i + 1]!));
  return new Html(out);
}

/** Joins fragments. */
export const join = (parts: readonly Value[], separator = '') => new Html(parts.map(render).join(separator));

/** An image source that is a data: URI of a raster or SVG image, else undefined (never a URL). */
export function safeImageSource(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  return /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]+$/.test(uri) ? uri : undefined;
}

/** A path with its segments URI-encoded: `path('installs', ns, name)` → /installs/a/b. */
export const path = (...segments: readonly (string | number)[]) =>
  '/' + segments.map((s) => encodeURIComponent(String(s))).join('/');
