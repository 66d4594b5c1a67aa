// gwqueue dashboard behaviour: live updates of the page's live region, confirmation dialogs for controls, history charts (uPlot). Every page works without it.
'use strict';

(function () {
  const pad = function (n) {
    return String(n).padStart(2, '0');
  };
  const clock = function (date) {
    return pad(date.getUTCHours()) + ':' + pad(date.getUTCMinutes()) + ':' + pad(date.getUTCSeconds());
  };

  // Live updates: fetch this same page every few seconds and swap in its live region, so the server renders everything.
  function startLive(region) {
    const interval = Math.max(1000, Number(region.dataset.live) || 2000);
    const status = document.getElementById('flower-live-status');
    const statusText = document.getElementById('flower-live-text');
    if (status) status.hidden = false;
    let failures = 0;
    function busy() {
      const dialog = document.querySelector('dialog[open]');
      const focused = document.activeElement;
      return !!dialog || (focused && region.contains(focused) && /^(INPUT|SELECT|TEXTAREA)$/.test(focused.tagName));
    }
    function schedule() {
      setTimeout(tick, failures ? Math.min(30000, interval * 2 ** failures) : interval);
    }
    function tick() {
      if (document.visibilityState === 'hidden' || busy()) {
        schedule();
        return;
      }
      fetch(window.location.href, { headers: { Accept: 'text/html', 'X-Flower-Live': '1' }, credentials: 'same-origin', cache: 'no-store' })
        .then(function (response) {
          if (!response.ok) throw new Error('HTTP ' + response.status);
          return response.text();
        })
        .then(function (html) {
          const fresh = new window.DOMParser().parseFromString(html, 'text/html').getElementById('flower-live');
          if (fresh && !busy() && fresh.innerHTML !== region.innerHTML) {
            region.innerHTML = fresh.innerHTML;
            region.dispatchEvent(new window.CustomEvent('flower:updated', { bubbles: true }));
          }
          failures = 0;
          if (statusText) statusText.textContent = 'live · ' + clock(new Date()) + ' UTC';
          if (status) status.classList.remove('text-danger');
        })
        .catch(function () {
          failures++;
          if (statusText) statusText.textContent = 'cannot reach the server; retrying';
          if (status) status.classList.add('text-danger');
        })
        .finally(schedule);
    }
    schedule();
  }

  // Confirmation before destructive controls: a dialog; on "yes" the form is sent with confirmed=yes.
  function confirmBeforeSubmit(event) {
    const form = event.target;
    if (!(form instanceof window.HTMLFormElement) || !form.dataset.flowerConfirm || form.dataset.confirmed === 'yes') return;
    const dialog = document.getElementById('flower-confirm');
    event.preventDefault();
    const buttons = form.querySelectorAll('button[type="submit"]');
    const reenable = function () {
      setTimeout(function () {
        buttons.forEach(function (b) {
          b.disabled = false;
        });
      }, 20);
    };
    const send = function () {
      form.dataset.confirmed = 'yes';
      if (!form.querySelector('input[name="confirmed"]')) {
        form.appendChild(Object.assign(document.createElement('input'), { type: 'hidden', name: 'confirmed', value: 'yes' }));
      }
      form.submit();
    };
    if (!dialog || typeof dialog.showModal !== 'function') {
      if (window.confirm(form.dataset.flowerConfirm)) send();
      else reenable();
      return;
    }
    document.getElementById('flower-confirm-title').textContent = form.dataset.flowerConfirm;
    const details = [];
    form.querySelectorAll('select').forEach(function (select) {
      details.push(select.name + ': ' + select.options[select.selectedIndex].text);
    });
    document.getElementById('flower-confirm-text').textContent = details.join(' · ');
    dialog.returnValue = '';
    dialog.showModal();
    dialog.addEventListener('close', function onClose() {
      dialog.removeEventListener('close', onClose);
      if (dialog.returnValue === 'ok') send();
      else reenable();
    });
  }

  // History charts, drawn with uPlot (served by the app) from the JSON API; redrawn every minute and on resize.
  const PALETTE = ['#0d6efd', '#198754', '#dc3545', '#fd7e14', '#6f42c1', '#20c997', '#d63384', '#6c757d', '#0dcaf0'];
  function chartSeries(data, name) {
    const pick = function (list, key) {
      return list.map(function (s) {
        return { label: s.name, values: s[key] };
      });
    };
    switch (name) {
      case 'totals':
        return [
          { label: 'received', values: data.totals.received, color: PALETTE[0] },
          { label: 'succeeded', values: data.totals.succeeded, color: PALETTE[1] },
          { label: 'failed', values: data.totals.failed, color: PALETTE[2] },
        ];
      case 'runtime':
        return [
          { label: 'p50 ms', values: data.runtime.p50, color: PALETTE[1] },
          { label: 'p95 ms', values: data.runtime.p95, color: PALETTE[3] },
          { label: 'p99 ms', values: data.runtime.p99, color: PALETTE[2] },
        ];
      case 'failedByTask':
        return pick(data.byTask, 'failed');
      case 'receivedByTask':
        return pick(data.byTask, 'received');
      case 'byQueue':
        return pick(data.byQueue, 'received');
      case 'depth':
        return data.depth.map(function (d) {
          return { label: d.name, values: d.values };
        });
      case 'workers':
        return [{ label: 'workers online', values: data.workers, color: PALETTE[1] }];
      default:
        return [];
    }
  }
  const shortName = function (label) {
    return String(label).replace(/^gwqueue\.tasks\./, '');
  };
  const nonZero = function (s) {
    return s.values.some(function (v) {
      return v;
    });
  };
  // Axis labels in UTC, 24-hour: the time of day within a day, the date beyond.
  function timeLabels(spanSeconds) {
    return function (u, splits) {
      return splits.map(function (t) {
        const d = new Date(t * 1000);
        const hm = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
        return spanSeconds > 2 * 86400 ? pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + (d.getUTCHours() ? ' ' + hm : '') : hm;
      });
    };
  }

  // The y axis as wide as its widest label, measured in the axis's own font (a fixed width cut "10,000" to "0,000").
  // uPlot calls this again with the labels it settled on until the width stops changing.
  function yAxisSize(u, values, axisIndex) {
    const axis = u.axes[axisIndex];
    let widest = 0;
    if (values && u.ctx) {
      u.ctx.save();
      u.ctx.font = axis.font[0];
      values.forEach(function (value) {
        if (value !== null && value !== undefined) widest = Math.max(widest, u.ctx.measureText(String(value)).width);
      });
      u.ctx.restore();
    }
    // The font is scaled to the device's pixels; the axis's size is in CSS pixels. A few pixels spare at the left edge.
    return Math.max(40, Math.ceil(widest / (window.devicePixelRatio || 1)) + axis.ticks.size + axis.gap + 6);
  }

  function drawCharts(container, data) {
    container.querySelectorAll('.flower-chart').forEach(function (element) {
      const name = element.dataset.chart;
      let series = chartSeries(data, name);
      // Per-task lines that stay at zero only clutter the legend.
      if (/ByTask$|^byQueue$/.test(name)) series = series.filter(nonZero);
      element.textContent = '';
      if (!series.length) {
        const text = name === 'failedByTask' ? 'No task failed in this range.' : 'Nothing recorded in this range yet.';
        element.appendChild(
          Object.assign(document.createElement('p'), { className: 'small text-body-secondary mb-0 p-2', textContent: text }),
        );
        return;
      }
      const width = Math.max(260, element.clientWidth || 600);
      // Samples and percentiles exist only for some points: draw those as dots so that a lone one shows.
      const sparse = /^(runtime|depth|workers)$/.test(name);
      const options = {
        width: width,
        height: width < 500 ? 180 : 220,
        legend: { live: width >= 500 },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true },
          y: {
            range: function (u, min, max) {
              return [0, Math.max(1, max * 1.1)];
            },
          },
        },
        axes: [
          {
            stroke: '#6c757d',
            grid: { stroke: '#e9ecef' },
            values: timeLabels((data.times[data.times.length - 1] - data.times[0]) / 1000),
          },
          { stroke: '#6c757d', grid: { stroke: '#e9ecef' }, size: yAxisSize },
        ],
        series: [
          {
            label: 'UTC',
            value: function (u, v) {
              if (v == null) return '--';
              const d = new Date(v * 1000);
              return pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + clock(d).slice(0, 5);
            },
          },
        ].concat(
          series.map(function (s, i) {
            const color = s.color || PALETTE[i % PALETTE.length];
            return {
              label: shortName(s.label),
              stroke: color,
              width: 1.5,
              spanGaps: name === 'runtime',
              points: sparse ? { show: true, size: 5, fill: color } : { size: 5, fill: color },
            };
          }),
        ),
      };
      const times = data.times.map(function (t) {
        return t / 1000;
      });
      new window.uPlot(
        options,
        [times].concat(
          series.map(function (s) {
            return s.values;
          }),
        ),
        element,
      );
    });
  }

  function startHistory(container) {
    if (!window.uPlot) return;
    let data;
    function load() {
      fetch(container.dataset.historyUrl, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (json) {
          if (json) {
            data = json;
            drawCharts(container, data);
          }
        })
        .catch(function () {})
        .finally(function () {
          setTimeout(load, 60000);
        });
    }
    let resizeTimer;
    window.addEventListener('resize', function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () {
        if (data) drawCharts(container, data);
      }, 200);
    });
    load();
  }

  document.addEventListener('submit', confirmBeforeSubmit);
  const live = document.getElementById('flower-live');
  if (live && live.dataset.live) startLive(live);
  const history = document.getElementById('history');
  if (history) startHistory(history);
})();
