// Lifeline demo: a stand-in for the vSphere Client's /api/ui/htmlClientSdk.js, served only by the
// demo. It implements the part of the SDK the plugin UI uses and gets its answers from the demo
// host page (/demo/) that frames the view, by postMessage, as the real one gets them from the
// vSphere Client. Opened outside that page it defines nothing, and the UI runs standalone.
(function () {
  'use strict';
  if (window.parent === window) return;

  var PREFIX = 'lifeline-demo:';
  var host = window.parent;
  var hostOrigin = window.location.origin;
  var state = null;
  var ready = [];
  var themeListeners = [];
  var modalClosed = {};
  var nextModal = 1;

  function post(type, payload) {
    host.postMessage({ type: PREFIX + type, payload: payload === undefined ? null : payload }, hostOrigin);
  }
  function copy(value) {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }

  window.addEventListener('message', function (event) {
    if (event.source !== host || event.origin !== hostOrigin || !event.data || typeof event.data.type !== 'string') return;
    var type = event.data.type.slice(PREFIX.length);
    var payload = event.data.payload;
    if (event.data.type.indexOf(PREFIX) !== 0) return;
    if (type === 'init') {
      state = payload;
      var callbacks = ready;
      ready = [];
      callbacks.forEach(function (cb) { cb(); });
    } else if (type === 'theme' && state) {
      state.theme = payload;
      themeListeners.forEach(function (cb) { cb(copy(payload)); });
    } else if (type === 'session' && state) {
      state.sessionToken = payload.sessionToken;
    } else if (type === 'modal.closed') {
      var onClosed = modalClosed[payload.id];
      delete modalClosed[payload.id];
      if (onClosed) onClosed(payload.result === null ? undefined : payload.result);
    }
  });

  function need() {
    if (!state) throw new Error('htmlClientSdk: call initialize() and wait for its callback first');
    return state;
  }

  window.htmlClientSdk = {
    initialize: function (callback) {
      if (state) { setTimeout(callback, 0); return; }
      ready.push(callback);
      if (ready.length === 1) post('hello', { href: window.location.href });
    },
    app: {
      getContextObjects: function () { return copy(need().contextObjects); },
      getSessionInfo: function (callback) { var s = need(); setTimeout(function () { callback({ sessionToken: s.sessionToken }); }, 0); },
      getPluginBackendInfo: function (callback) {
        var s = need();
        var server = { proxiedBaseUrl: s.proxiedBaseUrl, type: 'PLUGIN_SERVER' };
        var perVc = {};
        perVc[s.vcenterGuid] = [server];
        setTimeout(function () { callback({ allPluginBackendServers: [server], backendServersPerVc: perVc }); }, 0);
      },
      getClientInfo: function () { return { type: 'lifeline-demo-host', version: need().clientVersion }; },
      getClientLocale: function () { return need().locale; },
      getTheme: function () { return copy(need().theme); },
      navigateTo: function (options) { post('navigate', copy(options)); },
    },
    event: {
      onThemeChanged: function (callback) { themeListeners.push(callback); },
    },
    modal: {
      open: function (config) {
        var id = nextModal++;
        if (typeof config.onClosed === 'function') modalClosed[id] = config.onClosed;
        var plain = {};
        Object.keys(config).forEach(function (k) { if (k !== 'onClosed') plain[k] = config[k]; });
        post('modal.open', { id: id, config: copy(plain) });
      },
      close: function (result) { post('modal.close', { result: result === undefined ? null : copy(result) }); },
      setOptions: function (options) {
        var plain = {};
        Object.keys(options).forEach(function (k) { if (k !== 'onClosed') plain[k] = options[k]; });
        post('modal.setOptions', copy(plain));
      },
      getCustomData: function () { var c = need().customData; return c === undefined ? null : copy(c); },
    },
  };
})();
