// Lifeline demo: the host page that plays the vSphere Client. It reads the plugin's views and
// actions from plugin.json as the reverse proxy serves it (/plugins/<key>~<version>~<n>/<host>-<port>/…),
// frames them with the context object of the VM picked in the inventory, and answers the SDK
// stand-in (/api/ui/htmlClientSdk.js) inside each frame: the session token, the proxied backend
// URL, the theme, the refresh button and modals, as the vSphere Client would. Sign out ends the
// session: the SDK then calls back with null, as the vSphere Client's does.
(function () {
  'use strict';
  var PREFIX = 'lifeline-demo:';
  var LOCALE = 'en-US';
  var config = null;
  var manifest = null;
  var manifestBase = '';
  var sessionToken = '';
  var theme = { name: 'light' };
  var vm = null;
  var current = null;
  // Frames the host answers, with what each was opened for.
  var frames = [];
  var modal = null;
  // `/demo/?user=NAME` signs in as another simulator account, to see what it may do.
  var asUser = new URLSearchParams(window.location.search).get('user');

  var $ = function (id) { return document.getElementById(id); };
  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function label(key) {
    var entry = manifest.definitions.i18n.definitions[key];
    return (entry && entry[LOCALE]) || key;
  }
  function contextId(v) { return 'urn:vmomi:VirtualMachine:' + v.moref + ':' + config.vcenterGuid; }
  function resolve(uri) { return new URL(uri, manifestBase).href; }

  function post(win, type, payload) { win.postMessage({ type: PREFIX + type, payload: payload }, window.location.origin); }
  function broadcast(type, payload) {
    frames.forEach(function (f) { if (f.iframe.contentWindow) post(f.iframe.contentWindow, type, payload); });
  }

  function frame(container, uri, contextObjects, customData, extra) {
    var iframe = el('iframe', null, { src: resolve(uri), title: 'Lifeline' });
    var entry = Object.assign({ iframe: iframe, contextObjects: contextObjects, customData: customData }, extra || {});
    frames.push(entry);
    container.appendChild(iframe);
    return entry;
  }
  function forget(container) {
    frames = frames.filter(function (f) { return !container.contains(f.iframe); });
    container.textContent = '';
  }

  function vmViews() {
    var ext = (manifest.objects && manifest.objects.VirtualMachine) || {};
    var out = [];
    if (ext.summary) out.push({ group: 'Summary', navigationId: 'summary', labelKey: null, uri: ext.summary.view.uri });
    ['monitor', 'configure'].forEach(function (group) {
      ((ext[group] && ext[group].views) || []).forEach(function (v) {
        out.push({ group: group === 'monitor' ? 'Monitor' : 'Configure', navigationId: v.navigationId, labelKey: v.labelKey, uri: v.uri });
      });
    });
    return out;
  }
  function vmActions() {
    var ext = (manifest.objects && manifest.objects.VirtualMachine) || {};
    return (ext.menu && ext.menu.actions) || [];
  }
  // As the vSphere Client (7.0 U1+) does for dynamic extensions: POST the selection to the menu's
  // dynamicUri, resolved against plugin.json, with the user's session, and show a dynamic action
  // only when the answer says it is visible. Without an answer no dynamic action is shown.
  function visibleActions(targets) {
    var actions = vmActions();
    var menu = manifest.objects.VirtualMachine.menu || {};
    if (!actions.some(function (a) { return a.dynamic === true; })) return Promise.resolve(actions);
    if (sessionToken === null) return Promise.resolve(actions.filter(function (a) { return a.dynamic !== true; }));
    var keep = function (shown) { return actions.filter(function (a) { return a.dynamic !== true || shown[a.id] === true; }); };
    if (typeof menu.dynamicUri !== 'string') return Promise.resolve(keep({}));
    return fetch(resolve(menu.dynamicUri), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'cache-control': 'no-cache', 'vmware-api-session-id': sessionToken },
      body: JSON.stringify({ apiVersion: '1.0.0', objectIds: targets, locale: LOCALE }),
    }).then(json).then(function (answer) {
      var shown = {};
      (answer.dynamicItems || []).forEach(function (i) { shown[i.id] = i.visible === true; });
      return keep(shown);
    }, function (err) {
      console.warn('Lifeline demo: dynamic items not answered, hiding them: ' + err.message);
      return keep({});
    });
  }
  function globalViews() {
    return manifest.global ? [{ navigationId: manifest.global.view.navigationId, label: label(manifest.configuration.nameKey), uri: manifest.global.view.uri }] : [];
  }

  function show(view) {
    current = view;
    var container = $('view');
    forget(container);
    $('title').textContent = view.global ? view.label : vm ? vm.name : '';
    renderTabs();
    renderActions();
    frame(container, view.uri, view.global ? [] : [{ id: contextId(vm) }], null);
  }

  function renderTabs() {
    var tabs = $('tabs');
    tabs.textContent = '';
    if (current && current.global) return;
    var group = null;
    vmViews().forEach(function (v) {
      if (v.group !== group) { group = v.group; tabs.appendChild(el('span', group, { class: 'group' })); }
      var b = el('button', v.labelKey ? label(v.labelKey) : 'Summary', { role: 'tab', type: 'button', 'aria-selected': String(current && current.navigationId === v.navigationId) });
      b.addEventListener('click', function () { show(v); });
      tabs.appendChild(b);
    });
  }

  var actionsAsked = 0;
  function renderActions() {
    var box = $('actions');
    box.textContent = '';
    if (!vm || (current && current.global)) return;
    var target = vm;
    var asked = ++actionsAsked;
    visibleActions([contextId(target)]).then(function (actions) {
      // Only the newest question may fill the menu: the user may have picked another VM meanwhile.
      if (asked !== actionsAsked) return;
      actions.forEach(function (a) {
        var b = el('button', label(a.labelKey), { type: 'button', 'data-action-id': a.id });
        b.addEventListener('click', function () {
          openModal(null, 0, { url: a.trigger.uri, title: label(a.trigger.titleKey), size: a.trigger.size, closable: a.trigger.closable !== false, contextObjects: [{ id: contextId(target) }] });
        });
        box.appendChild(b);
      });
    });
  }

  function renderInventory() {
    var list = $('vms');
    list.textContent = '';
    config.vms.forEach(function (v) {
      var b = el('button', v.name, { type: 'button', 'aria-current': String(!!(vm && vm.moref === v.moref && current && !current.global)) });
      b.title = contextId(v);
      b.addEventListener('click', function () {
        vm = v;
        var views = vmViews();
        var keep = current && !current.global ? views.filter(function (x) { return x.navigationId === current.navigationId; })[0] : null;
        show(keep || views[0]);
        renderInventory();
      });
      list.appendChild(el('li')).appendChild(b);
    });
    var globals = $('globals');
    globals.textContent = '';
    globalViews().forEach(function (g) {
      var b = el('button', g.label, { type: 'button', 'aria-current': String(!!(current && current.global && current.navigationId === g.navigationId)) });
      b.addEventListener('click', function () { show(Object.assign({ global: true }, g)); renderInventory(); });
      globals.appendChild(el('li')).appendChild(b);
    });
  }

  function openModal(opener, id, cfg) {
    closeModal(null, false);
    var body = $('modal-body');
    var dialog = body.parentElement;
    var size = cfg.size || { width: 600, height: 400 };
    dialog.style.width = size.width + 'px';
    body.style.height = size.height + 'px';
    $('modal-title').textContent = cfg.title || '';
    $('modal-close').hidden = cfg.closable === false;
    var contextObjects = cfg.contextObjects || (opener ? opener.contextObjects : []);
    modal = { opener: opener, id: id, entry: frame(body, cfg.url, contextObjects, cfg.customData === undefined ? null : cfg.customData, { modal: true }) };
    $('modal').hidden = false;
  }
  function closeModal(result, notify) {
    if (!modal) return;
    var m = modal;
    modal = null;
    forget($('modal-body'));
    $('modal').hidden = true;
    if (notify !== false && m.opener && m.opener.iframe.contentWindow) post(m.opener.iframe.contentWindow, 'modal.closed', { id: m.id, result: result === undefined ? null : result });
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== window.location.origin || !event.data || typeof event.data.type !== 'string' || event.data.type.indexOf(PREFIX) !== 0) return;
    var from = frames.filter(function (f) { return f.iframe.contentWindow === event.source; })[0];
    if (!from) return;
    var type = event.data.type.slice(PREFIX.length);
    var p = event.data.payload || {};
    if (type === 'hello') {
      post(event.source, 'init', {
        contextObjects: from.contextObjects,
        sessionToken: sessionToken,
        // A path on the vSphere Client's origin, as the SDK sample reads it (origin + proxiedBaseUrl).
        proxiedBaseUrl: config.proxyPrefix,
        serverType: config.serverType,
        vcenterGuid: config.vcenterGuid,
        theme: theme,
        locale: LOCALE,
        clientVersion: 'demo',
        customData: from.customData,
      });
    } else if (type === 'modal.open') {
      openModal(from, p.id, p.config || {});
    } else if (type === 'modal.close' && from.modal) {
      closeModal(p.result, true);
    } else if (type === 'modal.setOptions' && from.modal) {
      if (p.title !== undefined) $('modal-title').textContent = p.title;
      if (p.height !== undefined) $('modal-body').style.height = p.height + 'px';
      if (p.closable !== undefined) $('modal-close').hidden = !p.closable;
    } else if (type === 'navigate') {
      var target = vmViews().concat(globalViews().map(function (g) { return Object.assign({ global: true }, g); }))
        .filter(function (v) { return v.navigationId === p.targetViewId; })[0];
      var objectVm = p.objectId ? config.vms.filter(function (v) { return contextId(v) === p.objectId; })[0] : null;
      if (objectVm) vm = objectVm;
      if (target) { show(target); renderInventory(); }
      else console.warn('Lifeline demo: no view ' + p.targetViewId + ' in plugin.json');
    }
  });

  $('modal-close').addEventListener('click', function () { closeModal(undefined, true); });
  // The vSphere Client's refresh button: every open view is told to reload its data.
  $('refresh').addEventListener('click', function () { broadcast('refresh', null); });
  $('signout').addEventListener('click', function () {
    fetch('/demo/logout', { method: 'POST' }).catch(function () { /* the host forgets the session anyway */ });
    sessionToken = null;
    broadcast('session', { sessionToken: null });
    $('signout').disabled = true;
  });
  $('dark').addEventListener('change', function (e) {
    theme = { name: e.target.checked ? 'dark' : 'light' };
    document.body.setAttribute('data-theme', theme.name);
    broadcast('theme', theme);
  });

  function renderUsers(signedIn) {
    var select = $('user');
    select.textContent = '';
    (config.users || [signedIn]).forEach(function (u) {
      var o = el('option', u, { value: u });
      if (u === signedIn) o.selected = true;
      select.appendChild(o);
    });
    select.onchange = function () {
      var url = new URL(window.location.href);
      url.searchParams.set('user', select.value);
      window.location.assign(url.href);
    };
  }

  function fail(message) {
    var s = $('status');
    if (s) { s.textContent = message; s.className = 'note error'; }
  }
  function json(res) {
    if (!res.ok) throw new Error(res.url + ' answered HTTP ' + res.status);
    return res.json();
  }

  fetch('/demo/config.json').then(json).then(function (c) {
    config = c;
    var manifestUrl = new URL(c.manifestUrl, window.location.href);
    manifestBase = new URL('.', manifestUrl).href;
    return Promise.all([fetch(manifestUrl.href).then(json), fetch('/demo/session' + (asUser ? '?user=' + encodeURIComponent(asUser) : ''), { method: 'POST' }).then(json)]);
  }).then(function (r) {
    manifest = r[0];
    sessionToken = r[1].sessionToken;
    renderUsers(r[1].user);
    vm = config.vms[0] || null;
    var views = vmViews();
    if (vm && views.length > 0) show(views[0]);
    else if (globalViews().length > 0) show(Object.assign({ global: true }, globalViews()[0]));
    renderInventory();
  }).catch(function (err) { fail('The demo could not start: ' + err.message); });
})();
