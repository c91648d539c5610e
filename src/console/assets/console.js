// Ferry console: the little client code there is. Pages are rendered by the server; this keeps
// live pages current (server-sent events announce a change; the page fetches itself and swaps the
// regions whose content changed) and submits switch forms on change.
'use strict';
(function () {
  document.documentElement.classList.add('js');

  for (const input of document.querySelectorAll('input[data-autosubmit]')) {
    input.addEventListener('change', () => input.form && input.form.submit());
  }

  const live = document.body.dataset.live;
  if (!live || typeof EventSource === 'undefined') return;
  const status = document.getElementById('live-status');
  let busy = false;
  let again = false;

  async function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const response = await fetch(window.location.href, { credentials: 'same-origin', cache: 'no-store' });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
      let swapped = 0;
      for (const fresh of doc.querySelectorAll('[data-region]')) {
        const current = document.getElementById(fresh.id);
        if (!current || current.dataset.version === fresh.dataset.version) continue;
        const focusedId = current.contains(document.activeElement) ? document.activeElement.id : '';
        current.replaceWith(document.importNode(fresh, true));
        if (focusedId) document.getElementById(focusedId)?.focus();
        swapped++;
      }
      if (swapped && status) status.textContent = 'Updated at ' + new Date().toLocaleTimeString();
    } finally {
      busy = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  }

  const source = new EventSource(live);
  source.addEventListener('change', () => void refresh());
  window.addEventListener('pagehide', () => source.close());
})();
