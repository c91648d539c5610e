import { escapeHtml, html, join, path, raw, safeImageSource } from './html.js';

describe('html', () => {
  it('escapes every interpolated value, nested arrays included', () => {
    const evil = `<script>alert("x")</script>' onload='x' \``;
    expect(html`<p title="${evil}">${evil}</p>`.text).toBe(
      `<p title="${escapeHtml(evil)}">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;x&#39; &#96;</p>`,
    );
    const list = html`<ul>
      ${['<a>', html`<li>${'&'}</li>`]}
    </ul>`;
    expect(list.text.replace(/\s+/g, '')).toBe('<ul>&lt;a&gt;<li>&amp;</li></ul>');
  });

  it('keeps markup made by html or raw, drops null, undefined and false', () => {
    expect(html`${raw('<b>')}${null}${undefined}${false}${0}`.text).toBe('<b>0');
    expect(join(['a', html`<i>b</i>`], ', ').text).toBe('a, <i>b</i>');
  });

  it('accepts only data: image URIs as image sources', () => {
    expect(safeImageSource('data:image/png;base64,iVBORw0KGgo=')).toBe('data:image/png;base64,iVBORw0KGgo=');
    expect(safeImageSource('https://example.com/x.png')).toBeUndefined();
    expect(safeImageSource('data:text/html;base64,PHNjcmlwdD4=')).toBeUndefined();
    expect(safeImageSource('data:image/svg+xml;base64,PHN2Zz4=" onerror="x')).toBeUndefined();
  });

  it('encodes path segments', () => {
    expect(path('installs', 'a b', '../x')).toBe('/installs/a%20b/..%2Fx');
  });
});
