// gwqueue console behaviour: typeahead suggestions (and the chosen ID's GraceDB link), confirmation dialogs, live task and GraceDB pages. Everything works without it.
'use strict';

(function () {
  function debounce(fn, ms) {
    let timer;
    return function () {
      const args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () {
        fn.apply(null, args);
      }, ms);
    };
  }

  function describe(item) {
    if (typeof item === 'string') return { value: item, label: item, detail: '' };
    const parts = [item.group, item.pipeline];
    if (item.snr !== null && item.snr !== undefined) parts.push('SNR ' + Number(item.snr).toFixed(1));
    if (item.far !== null && item.far !== undefined) parts.push('FAR ' + Number(item.far).toExponential(2) + ' Hz');
    if (item.preferred) parts.push('preferred');
    return { value: item.graceid, label: item.graceid, detail: parts.filter(Boolean).join(' · ') };
  }

  // A superevent or event ID field: a link to the typed or chosen ID's GraceDB page, below the field (a link of its
  // own, outside the suggestion list, so ↑/↓/Enter stay the list's and Tab reaches the link).
  const SUPEREVENT_ID = /^[MT]?S\d{6}[a-z]+$|^[MT]?GW\d{6}[A-Z]*$/;
  const EVENT_ID = /^[GEHMT]\d+$/;
  function gracedbLink(input) {
    const link = document.createElement('a');
    link.className = 'small typeahead-gracedb';
    link.hidden = true;
    input.parentNode.appendChild(link);
    function update() {
      const id = input.value.trim();
      const kind = SUPEREVENT_ID.test(id) ? 'superevents' : EVENT_ID.test(id) ? 'events' : null;
      link.hidden = kind === null;
      if (kind === null) return;
      link.href = input.dataset.gracedb + kind + '/' + id + '/view/';
      link.textContent = id + ' in GraceDB';
    }
    input.addEventListener('input', update);
    input.addEventListener('change', update);
    update();
    return link;
  }

  // Typeahead: suggestions as the operator types, navigable with ↑/↓, Enter to pick, Escape to close.
  function attachTypeahead(input) {
    const form = input.form;
    const menu = document.createElement('div');
    menu.className = 'list-group typeahead-menu shadow-sm';
    menu.setAttribute('role', 'listbox');
    menu.hidden = true;
    input.parentNode.appendChild(menu);
    if (input.dataset.gracedb) gracedbLink(input);
    let items = [];
    let active = -1;

    function close() {
      menu.hidden = true;
      active = -1;
    }
    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(menu.children, function (child, i) {
        child.classList.toggle('active', i === index);
      });
    }
    function choose(index) {
      if (index < 0 || index >= items.length) return;
      input.value = items[index].value;
      close();
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }
    function render() {
      menu.textContent = '';
      items.forEach(function (item, index) {
        const option = document.createElement('button');
        option.type = 'button';
        option.className = 'list-group-item list-group-item-action';
        option.setAttribute('role', 'option');
        const label = document.createElement('span');
        label.className = 'font-monospace';
        label.textContent = item.label;
        option.appendChild(label);
        if (item.detail) {
          const detail = document.createElement('small');
          detail.className = 'text-body-secondary ms-2';
          detail.textContent = item.detail;
          option.appendChild(detail);
        }
        option.addEventListener('mousedown', function (event) {
          event.preventDefault();
          choose(index);
        });
        menu.appendChild(option);
      });
      menu.hidden = items.length === 0;
      active = -1;
    }
    // Answers can come back out of order (a slow one for an earlier keystroke): only the latest request's is shown.
    let latest = 0;
    const fetchSuggestions = debounce(function () {
      const request = ++latest;
      const url = new URL(input.dataset.typeahead, window.location.origin);
      const superevent = form.elements.namedItem('superevent_id');
      if (input.name === 'superevent_id') url.searchParams.set('superevent_id', input.value.trim());
      else {
        url.searchParams.set('superevent_id', superevent ? superevent.value.trim() : '');
        url.searchParams.set(input.name === 'event_id' ? 'event_id' : 'filename', input.value.trim());
        // A file of an event (copying a sky map): the form's event names whose files are offered.
        const event = form.elements.namedItem('event_id');
        if (input.name !== 'event_id' && event) url.searchParams.set('event_id', event.value.trim());
      }
      fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (response) {
          return response.ok ? response.json() : [];
        })
        .then(function (data) {
          if (request !== latest) return;
          const next = Array.isArray(data) ? data.map(describe) : [];
          // The same suggestions again: keep the one the keyboard is on.
          const same = next.length === items.length && next.every((item, i) => item.value === items[i].value);
          items = next;
          if (same && !menu.hidden) return;
          if (document.activeElement === input) render();
        })
        .catch(function () {
          if (request !== latest) return;
          items = [];
          render();
        });
    }, 150);

    input.addEventListener('input', fetchSuggestions);
    input.addEventListener('focus', fetchSuggestions);
    input.addEventListener('blur', function () {
      setTimeout(close, 100);
    });
    input.addEventListener('keydown', function (event) {
      if (menu.hidden) return;
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        highlight(Math.min(active + 1, items.length - 1));
      } else if (event.key === 'ArrowUp') {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === 'Enter' && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === 'Escape') {
        close();
      }
    });
  }

  // The alert a form would send, asked of the server as its confirmation step (nothing is sent: no confirmed=yes).
  function showPreview(form, box) {
    box.textContent = 'Building the alert this sends…';
    const body = new window.URLSearchParams();
    new window.FormData(form).forEach(function (value, name) {
      if (name !== 'confirmed' && typeof value === 'string') body.append(name, value);
    });
    const line = function (text, className) {
      const element = document.createElement('div');
      if (className) element.className = className;
      element.textContent = text;
      box.appendChild(element);
    };
    fetch(form.action, { method: 'POST', body: body, headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        return response.json();
      })
      .then(function (answer) {
        box.textContent = '';
        const alert = answer && answer.preview;
        if (!alert) return line(answer && answer.error ? answer.error : 'No preview: the form is not complete.', 'text-danger');
        if (alert.problem) return line('No alert can be built now: ' + alert.problem, 'text-danger');
        line('The alert this sends: ' + alert.alert_type, 'fw-semibold');
        if (alert.alert_type !== 'RETRACTION') {
          line(
            'significant: ' +
              (alert.significant ? 'yes' : 'no') +
              (alert.far === null ? '' : ', FAR ' + alert.far.toExponential(2) + ' Hz'),
          );
          Object.keys(alert.files).forEach(function (kind) {
            line(kind + ': ' + alert.files[kind], 'font-monospace');
          });
        }
        line(alert.last ? 'Since the last alert (' + alert.last.alert_type + '):' : 'Compared with before:');
        alert.changes.forEach(function (change) {
          line('• ' + change);
        });
      })
      .catch(function () {
        box.textContent = 'The preview could not be loaded; the confirmation page of the form shows it without JavaScript.';
      });
  }

  // Confirmation: a dialog before forms that send or change something public; on "yes" the form is sent with confirmed=yes.
  function attachConfirm(form) {
    const dialog = document.getElementById('confirm-dialog');
    form.addEventListener('submit', function (event) {
      if (form.dataset.confirmed === 'yes') return;
      const hidden = form.querySelector('input[name="confirmed"]');
      if (!dialog || typeof dialog.showModal !== 'function') {
        if (!window.confirm(form.dataset.confirm)) {
          event.preventDefault();
          return;
        }
        if (!hidden) form.appendChild(Object.assign(document.createElement('input'), { type: 'hidden', name: 'confirmed', value: 'yes' }));
        return;
      }
      event.preventDefault();
      document.getElementById('confirm-dialog-title').textContent = form.dataset.confirm;
      const list = document.getElementById('confirm-dialog-fields');
      list.textContent = '';
      Array.prototype.forEach.call(form.elements, function (element) {
        if (!element.name || element.type === 'hidden' || element.type === 'submit') return;
        if (element.type === 'checkbox' && !element.checked) return;
        const line = document.createElement('div');
        line.textContent = element.name + ' = ' + (element.type === 'checkbox' ? 'yes' : element.value);
        list.appendChild(line);
      });
      const preview = document.getElementById('confirm-dialog-preview');
      if (preview) {
        preview.hidden = !form.dataset.preview;
        if (form.dataset.preview) showPreview(form, preview);
      }
      dialog.returnValue = '';
      dialog.showModal();
      dialog.addEventListener('close', function onClose() {
        dialog.removeEventListener('close', onClose);
        if (dialog.returnValue !== 'ok') return;
        form.dataset.confirmed = 'yes';
        if (!form.querySelector('input[name="confirmed"]')) {
          form.appendChild(Object.assign(document.createElement('input'), { type: 'hidden', name: 'confirmed', value: 'yes' }));
        }
        const button = form.querySelector('button[type="submit"]');
        if (button) button.disabled = true;
        form.submit();
      });
    });
  }

  // The server shows a flash message ("Queued … (task …)") once; the task page's own reload below would lose it, so the
  // messages on the page are carried across that reload in sessionStorage (for this task and this reload only).
  const FLASH_KINDS = ['success', 'info', 'warning', 'danger'];
  function flashKey(id) {
    return 'gwqueue.flash.' + id;
  }
  function keepFlash(id) {
    const shown = Array.prototype.map.call(document.querySelectorAll('#main > .alert[role="status"]'), function (alert) {
      const kind = FLASH_KINDS.find(function (k) {
        return alert.classList.contains('alert-' + k);
      });
      return { kind: kind || 'info', message: alert.textContent.trim() };
    });
    try {
      if (shown.length) window.sessionStorage.setItem(flashKey(id), JSON.stringify(shown));
    } catch {
      // No storage (private mode, disabled): the message is lost on reload, as before.
    }
  }
  function restoreFlash(id) {
    let saved = [];
    try {
      saved = JSON.parse(window.sessionStorage.getItem(flashKey(id)) || '[]');
      window.sessionStorage.removeItem(flashKey(id));
    } catch {
      return;
    }
    const main = document.getElementById('main');
    if (!main || !Array.isArray(saved)) return;
    const present = Array.prototype.map.call(main.querySelectorAll(':scope > .alert[role="status"]'), function (alert) {
      return alert.textContent.trim();
    });
    saved
      .filter(function (f) {
        return f && typeof f.message === 'string' && present.indexOf(f.message) < 0;
      })
      .reverse()
      .forEach(function (f) {
        const alert = document.createElement('div');
        alert.className = 'alert alert-' + (FLASH_KINDS.indexOf(f.kind) >= 0 ? f.kind : 'info');
        alert.setAttribute('role', 'status');
        alert.textContent = f.message;
        main.insertBefore(alert, main.firstChild);
      });
  }

  // Task page: ask the JSON API about once a second and reload when the state changes, until the task is finished.
  // Each request waits up to a second for the task to end (?wait=1), so the page shows the end at once.
  function followTask(element) {
    if (element.dataset.finished === 'true') return;
    const id = element.dataset.taskId;
    let state = element.dataset.state;
    function poll() {
      const started = Date.now();
      const again = function () {
        setTimeout(poll, Math.max(0, 1000 - (Date.now() - started)));
      };
      // The page names its API address, so the console's URL prefix (GWQUEUE_URL_PREFIX) is kept.
      fetch(element.dataset.api + '?wait=1', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (task) {
          if (task && task.state !== state) {
            state = task.state;
            keepFlash(id);
            window.location.reload();
            return;
          }
          again();
        })
        .catch(function () {
          setTimeout(poll, 3000);
        });
    }
    setTimeout(poll, 500);
  }

  // A GraceDB record page: fetch the page again every few seconds and swap in its live region when it changed (new log
  // entries, labels, files), so the server renders everything. Not while the tab is hidden, nor while focus is inside
  // the region (a swap would take it away).
  function followRegion(region) {
    const interval = Math.max(1000, Number(region.dataset.live) || 3000);
    function poll() {
      if (document.hidden || region.contains(document.activeElement)) return setTimeout(poll, interval);
      fetch(window.location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin', cache: 'no-store' })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          const fresh = html && new window.DOMParser().parseFromString(html, 'text/html').getElementById(region.id);
          if (fresh && fresh.innerHTML !== region.innerHTML && !region.contains(document.activeElement)) region.innerHTML = fresh.innerHTML;
          setTimeout(poll, interval);
        })
        .catch(function () {
          setTimeout(poll, interval * 3);
        });
    }
    setTimeout(poll, interval);
  }

  // Checkboxes offered per event (detectors to disable): once the form's event is known, only the ones its lookup lists.
  function attachLookup(form) {
    const event = form.elements.namedItem('event_id');
    const boxes = Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"][data-lookup]'));
    if (!event || !boxes.length) return;
    const note = document.createElement('div');
    note.className = 'small text-body-secondary';
    note.setAttribute('aria-live', 'polite');
    boxes[0].closest('.form-check').before(note);
    const update = debounce(function () {
      const id = event.value.trim();
      const url = new URL(boxes[0].dataset.lookup, window.location.origin);
      url.searchParams.set('event_id', id);
      const show = function (names) {
        boxes.forEach(function (box) {
          const offered = names === null || names.indexOf(box.name) >= 0;
          box.closest('.form-check').hidden = !offered;
          if (!offered) box.checked = false;
        });
        note.textContent =
          names === null ? '' : names.length ? id + ' has ' + names.join(', ') + '.' : 'No detectors found for ' + id + '.';
      };
      if (!/^[A-Z]\d+$/.test(id)) return show(null);
      fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (names) {
          show(Array.isArray(names) ? names : null);
        })
        .catch(function () {
          show(null);
        });
    }, 200);
    event.addEventListener('input', update);
    event.addEventListener('change', update);
    if (event.value) update();
  }

  // A copy button (a circular's text): shown only here, as copying needs JavaScript; the text itself is on the page.
  // The clipboard API needs a secure context (https or localhost); elsewhere the text is selected for Ctrl-C.
  function attachCopy(button) {
    const source = document.getElementById(button.dataset.copy);
    const status = document.querySelector('[data-copy-status="' + button.dataset.copy + '"]');
    if (!source) return;
    const say = function (text) {
      if (status) status.textContent = text;
    };
    const select = function () {
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      say('Selected: press Ctrl-C (⌘-C) to copy.');
    };
    button.hidden = false;
    button.addEventListener('click', function () {
      if (!window.navigator.clipboard || !window.isSecureContext) return select();
      window.navigator.clipboard.writeText(source.textContent).then(function () {
        say('Copied.');
      }, select);
    });
  }

  document.querySelectorAll('button[data-copy]').forEach(attachCopy);
  document.querySelectorAll('input[data-typeahead]').forEach(attachTypeahead);
  document.querySelectorAll('form').forEach(attachLookup);
  document.querySelectorAll('form[data-confirm]').forEach(attachConfirm);
  const live = document.getElementById('gracedb-live');
  if (live) followRegion(live);
  const task = document.getElementById('task');
  if (task) {
    restoreFlash(task.dataset.taskId);
    followTask(task);
  }
  // A form is sent once: disable its button after the first submit (the server's one-time token is the real guard).
  document.querySelectorAll('form[method="post"]:not([data-confirm])').forEach(function (form) {
    form.addEventListener('submit', function () {
      const button = form.querySelector('button[type="submit"]');
      if (button)
        setTimeout(function () {
          button.disabled = true;
        }, 0);
    });
  });
})();
