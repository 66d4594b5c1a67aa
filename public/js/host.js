// Host page: redraws the charts in place at each sampling interval, and shows another host as soon as it is picked.
(function () {
  'use strict';
  var box = document.getElementById('host-charts');
  if (!box) return;
  var url = box.getAttribute('data-refresh-url');
  var every = Math.max(5000, Number(box.getAttribute('data-refresh-ms')) || 10000);
  var select = document.getElementById('host-select');
  if (select && select.form) {
    select.addEventListener('change', function () {
      select.form.submit();
    });
  }
  var timer;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, every);
  }
  function refresh() {
    if (document.hidden) {
      schedule();
      return;
    }
    fetch(url, { headers: { Accept: 'text/html' }, credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.text();
      })
      .then(function (html) {
        box.innerHTML = html;
        box.setAttribute('data-updated', String(Date.now()));
      })
      .catch(function () {
        // Keep the last charts; the next round tries again.
      })
      .then(schedule);
  }
  schedule();
})();
