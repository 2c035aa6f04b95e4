// Switchboard console behaviour. Loaded as a file (the CSP allows no inline script); everything
// user-supplied is written with textContent, never innerHTML.
(function () {
  'use strict';

  // ---- toasts ----------------------------------------------------------------------------------
  function showToast(message, kind) {
    var box = document.getElementById('toasts');
    if (!box || !message) return;
    var t = document.createElement('div');
    t.className = 'toast toast-' + (kind || 'success');
    t.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    t.textContent = message;
    box.appendChild(t);
    setTimeout(function () { t.classList.add('leaving'); }, 4000);
    setTimeout(function () { t.remove(); }, 4600);
  }
  document.addEventListener('toast', function (e) { showToast(e.detail && e.detail.message, e.detail && e.detail.kind); });
  document.addEventListener('htmx:sendError', function () { showToast('Could not reach the server. Check your connection and try again.', 'error'); });
  document.addEventListener('htmx:responseError', function (e) { showToast('The server answered ' + e.detail.xhr.status + '. Reload the page and try again.', 'error'); });

  // ---- confirmation dialogs (hx-confirm) -------------------------------------------------------
  document.addEventListener('htmx:confirm', function (e) {
    var elt = e.detail.elt;
    if (!elt.hasAttribute('hx-confirm')) return;
    e.preventDefault();
    closeMenus();
    var kind = elt.getAttribute('data-confirm-kind');
    var dialog = document.getElementById(kind === 'delete' ? 'delete-dialog' : 'confirm-dialog');
    if (!dialog) return;
    if (kind === 'delete') {
      var input = dialog.querySelector('#delete-confirm');
      var yes = dialog.querySelector('#delete-yes');
      input.value = '';
      yes.disabled = true;
      input.oninput = function () { yes.disabled = input.value !== 'DELETE'; };
    } else {
      dialog.querySelector('#confirm-text').textContent = e.detail.question;
      dialog.querySelector('#confirm-yes').textContent = kind === 'rotate' ? 'Rotate' : 'Yes';
    }
    dialog.returnValue = '';
    dialog.onclose = function () {
      if (dialog.returnValue === 'yes') e.detail.issueRequest(true);
      if (document.body.contains(elt)) elt.focus();
    };
    dialog.showModal();
  });

  // ---- ⋮ menus ----------------------------------------------------------------------------------
  function closeMenus(except) {
    document.querySelectorAll('details.menu[open]').forEach(function (d) { if (d !== except) d.open = false; });
  }
  document.addEventListener('toggle', function (e) {
    var d = e.target;
    if (d.matches && d.matches('details.menu') && d.open) {
      closeMenus(d);
      var first = d.querySelector('[role=menuitem]');
      if (first) first.focus();
    }
  }, true);
  document.addEventListener('click', function (e) {
    if (!e.target.closest('details.menu')) closeMenus();
  });
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return;
    var open = document.querySelector('details.menu[open]');
    if (open) {
      open.open = false;
      open.querySelector('summary').focus();
    }
  });
  document.addEventListener('keydown', function (e) {
    var menu = e.target.closest && e.target.closest('details.menu[open] .menu-list');
    if (!menu || (e.key !== 'ArrowDown' && e.key !== 'ArrowUp')) return;
    var items = Array.prototype.slice.call(menu.querySelectorAll('[role=menuitem]'));
    var i = items.indexOf(e.target);
    var next = items[(i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length];
    if (next) { e.preventDefault(); next.focus(); }
  });

  // ---- copy ------------------------------------------------------------------------------------
  document.addEventListener('click', function (e) {
    var btn = e.target.closest('[data-copy-target]');
    if (!btn) return;
    var src = document.querySelector(btn.getAttribute('data-copy-target'));
    if (!src) return;
    var text = src.textContent;
    var done = function () { showToast('Copied to the clipboard'); };
    var fallback = function () {
      var range = document.createRange();
      range.selectNodeContents(src);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      showToast('Selected: press Ctrl+C (or ⌘C) to copy', 'success');
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  });

  // ---- webhook form ----------------------------------------------------------------------------
  function serialize(form) {
    var parts = [];
    new FormData(form).forEach(function (v, k) { parts.push(k + '=' + v); });
    return parts.join('&');
  }

  function liveCheck(form) {
    var probe = form.querySelector('#live-check');
    if (probe && window.htmx) window.htmx.trigger(probe, 'check');
  }

  function updateEvents(form) {
    var total = 0;
    form.querySelectorAll('[data-group]').forEach(function (g) {
      var boxes = g.querySelectorAll('input[name=events]');
      var n = 0;
      boxes.forEach(function (b) { if (b.checked) n++; });
      total += n;
      var toggle = g.querySelector('[data-group-toggle]');
      toggle.checked = n === boxes.length && n > 0;
      toggle.indeterminate = n > 0 && n < boxes.length;
      g.querySelector('[data-group-count]').textContent = n + '/' + boxes.length;
    });
    total += form.querySelectorAll('[data-event-extra]').length;
    var count = form.querySelector('#events-count');
    if (count) count.textContent = total + ' selected';
  }

  function renumberHeaders(form) {
    var rows = form.querySelectorAll('[data-header-row]');
    rows.forEach(function (row, i) {
      row.querySelectorAll('[id]').forEach(function (el) {
        el.id = el.id.replace(/_(\d+)$/, '_' + i);
      });
      row.querySelectorAll('label[for]').forEach(function (l) { l.htmlFor = l.htmlFor.replace(/_(\d+)$/, '_' + i); });
      var rm = row.querySelector('[data-remove-header]');
      if (rm) rm.setAttribute('aria-label', 'Remove header ' + (i + 1));
      row.querySelectorAll('[aria-describedby]').forEach(function (el) {
        el.setAttribute('aria-describedby', el.getAttribute('aria-describedby').replace(/_(\d+)$/, '_' + i));
      });
    });
    var box = form.querySelector('#header-rows');
    var add = form.querySelector('#add-header');
    var max = Number(box.getAttribute('data-max'));
    add.disabled = rows.length >= max;
    add.textContent = rows.length >= max ? 'Maximum of ' + max + ' headers reached' : '+ Add Header';
  }

  function writeFilter(form) {
    var area = form.querySelector('#filter_json');
    var obj = {};
    try { obj = area.value.trim() ? JSON.parse(area.value) : {}; } catch (err) { return; }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) obj = {};
    form.querySelectorAll('[data-filter-path]').forEach(function (p) {
      var path = p.getAttribute('data-filter-path');
      var kind = p.getAttribute('data-filter-kind');
      var values = [];
      if (kind === 'list') values = p.value.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
      else if (kind === 'select') values = p.value ? [p.value] : [];
      else p.querySelectorAll('input:checked').forEach(function (c) { values.push(c.value); });
      if (values.length === 0) delete obj[path];
      else if (values.length === 1) obj[path] = values[0];
      else obj[path] = { $in: values };
    });
    area.value = Object.keys(obj).length ? JSON.stringify(obj, null, 2) : '';
    checkFilterJson(form);
  }

  function checkFilterJson(form) {
    var area = form.querySelector('#filter_json');
    var slot = form.querySelector('#err-filter_json');
    var msg = '';
    if (area.value.trim()) {
      try {
        var v = JSON.parse(area.value);
        if (!v || typeof v !== 'object' || Array.isArray(v)) msg = 'The filter must be a JSON object.';
      } catch (err) { msg = 'Not valid JSON: ' + err.message; }
    }
    slot.textContent = msg;
    slot.hidden = !msg;
    if (msg) area.setAttribute('aria-invalid', 'true'); else area.removeAttribute('aria-invalid');
  }

  function initForm(form) {
    if (form.__sbInit) return;
    form.__sbInit = true;
    var initial = serialize(form);
    var save = form.querySelector('#save');
    var track = form.hasAttribute('data-track-changes');
    function changed() {
      if (track) save.disabled = serialize(form) === initial;
    }
    form.querySelectorAll('[data-indeterminate]').forEach(function (b) { b.indeterminate = true; });
    updateEvents(form);

    form.addEventListener('input', function (e) {
      if (e.target.classList.contains('live')) liveCheck(form);
      if (e.target.id === 'filter_json') checkFilterJson(form);
      if (e.target.closest('[data-filter-pickers]')) writeFilter(form);
      changed();
    });
    form.addEventListener('change', function (e) {
      var t = e.target;
      if (t.hasAttribute('data-group-toggle')) {
        t.closest('[data-group]').querySelectorAll('input[name=events]').forEach(function (b) { b.checked = t.checked; });
      }
      if (t.name === 'events' || t.hasAttribute('data-group-toggle')) updateEvents(form);
      if (t.hasAttribute('data-auth-type')) {
        form.querySelectorAll('[data-auth-for]').forEach(function (s) { s.hidden = s.getAttribute('data-auth-for') !== t.value; });
        liveCheck(form);
      }
      if (t.closest('[data-filter-pickers]')) writeFilter(form);
      changed();
    });
    form.addEventListener('click', function (e) {
      var collapse = e.target.closest('.group-collapse');
      if (collapse) {
        var list = form.querySelector('#' + collapse.getAttribute('aria-controls'));
        var open = collapse.getAttribute('aria-expanded') === 'true';
        collapse.setAttribute('aria-expanded', open ? 'false' : 'true');
        list.hidden = open;
      }
      if (e.target.closest('[data-add-header]')) {
        var box = form.querySelector('#header-rows');
        var tpl = form.querySelector('#header-template');
        var row = tpl.content.firstElementChild.cloneNode(true);
        box.appendChild(row);
        renumberHeaders(form);
        row.querySelector('input').focus();
        changed();
      }
      var rm = e.target.closest('[data-remove-header]');
      if (rm) {
        rm.closest('[data-header-row]').remove();
        renumberHeaders(form);
        form.querySelector('#add-header').focus();
        liveCheck(form);
        changed();
      }
    });
    // Plain browser validation is off (novalidate) so the server's messages show inline; keep a required-URL hint.
    form.addEventListener('submit', function () { if (track) save.disabled = true; });
  }

  function init(root) {
    (root.querySelectorAll ? root : document).querySelectorAll('form.webhook-form').forEach(initForm);
    if (root.matches && root.matches('form.webhook-form')) initForm(root);
    document.querySelectorAll('[data-tz-offset]').forEach(function (i) { i.value = String(new Date().getTimezoneOffset()); });
    // The server cannot know the browser's zone: default "since" to 24 h ago in local time.
    document.querySelectorAll('input[data-local-time]:not([data-touched])').forEach(function (i) {
      var d = new Date(Date.now() - 24 * 3600 * 1000 - new Date().getTimezoneOffset() * 60000);
      i.value = d.toISOString().slice(0, 16);
      i.setAttribute('data-touched', '');
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var box = document.getElementById('toasts');
    if (box && box.getAttribute('data-toast')) showToast(box.getAttribute('data-toast'));
    if (window.htmx) window.htmx.onLoad(init); else init(document);
  });
})();
