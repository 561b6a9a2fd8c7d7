// Lifeline demo: a stand-in for the vSphere Client's /api/ui/htmlClientSdk.js, served only by the
// demo host. It follows VMware's "vSphere HTML Client SDK - Javascript API for remote plug-ins"
// (docs/Javascript-API-Remote.html of the vSphere Client SDK 8.0) and the "Bootstrapping the
// JavaScript API" section of "Developing Remote Plug-ins with the vSphere Client SDK":
// - until initialize() has called back, the global has only initialize, isInitialized and
//   getProxiedPluginServerOrigin; app, event and modal are added to it when it calls back;
// - app.getSessionInfo and app.getPluginBackendInfo answer through callbacks, and call back with
//   null "in case of an exception", here once the host's session is gone (Sign out);
// - getPluginBackendInfo lists the registered server with its type and a proxiedBaseUrl under
//   the host's /plugins/… reverse proxy, for all vCenters and per vCenter GUID;
// - modal.open and modal.setOptions accept the documented options only and throw on others.
// Its answers come from the host page (/ui/) that frames the view, by postMessage, as the real one
// gets them from the vSphere Client. Opened outside that page it defines nothing, and the UI runs
// standalone.
(function () {
  'use strict';
  if (window.parent === window) return;

  var PREFIX = 'lifeline-demo:';
  var MODAL_OPTIONS = ['url', 'title', 'accessibilityTitle', 'size', 'closable', 'onClosed', 'contextObjects', 'customData'];
  var DYNAMIC_MODAL_OPTIONS = ['title', 'accessibilityTitle', 'height', 'closable', 'onClosed'];
  var host = window.parent;
  var hostOrigin = window.location.origin;
  var state = null;
  var ready = [];
  var themeListeners = [];
  var refreshListeners = [];
  var modalClosed = {};
  var nextModal = 1;
  // The page itself was loaded through the proxy: /plugins/<key>~<version>~<n>/<host>-<port>/…
  var proxied = /^(\/plugins\/[^/]+\/[^/]+)\//.exec(window.location.pathname);
  var proxiedOrigin = window.location.origin + (proxied ? proxied[1] : '');

  function post(type, payload) {
    host.postMessage({ type: PREFIX + type, payload: payload === undefined ? null : payload }, hostOrigin);
  }
  function copy(value) {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }
  function later(fn) { setTimeout(fn, 0); }
  function onlyDocumented(api, options, allowed) {
    Object.keys(options || {}).forEach(function (k) {
      if (allowed.indexOf(k) < 0) throw new Error('htmlClientSdk.' + api + ': "' + k + '" is not a documented option (' + allowed.join(', ') + ')');
    });
  }
  function plain(options) {
    var out = {};
    Object.keys(options || {}).forEach(function (k) { if (k !== 'onClosed') out[k] = options[k]; });
    return copy(out);
  }

  var sdk = {
    initialize: function (callback) {
      if (state) { later(callback); return; }
      ready.push(callback);
      if (ready.length === 1) post('hello', { href: window.location.href });
    },
    isInitialized: function () { return state !== null; },
    getProxiedPluginServerOrigin: function () { return proxiedOrigin; },
  };

  function backendInfo() {
    var server = { proxiedBaseUrl: state.proxiedBaseUrl, type: state.serverType };
    var perVc = {};
    perVc[state.vcenterGuid] = [server];
    return { allPluginBackendServers: [server], backendServersPerVc: perVc };
  }

  // What the vSphere Client adds once initialize() has called back.
  function addInterfaces() {
    sdk.app = {
      getContextObjects: function () { return copy(state.contextObjects); },
      getSessionInfo: function (callback) {
        later(function () { callback(state.sessionToken === null ? null : { sessionToken: state.sessionToken }); });
      },
      getPluginBackendInfo: function (callback) {
        later(function () { callback(state.sessionToken === null ? null : backendInfo()); });
      },
      getClientInfo: function () { return { type: 'HTML', version: state.clientVersion }; },
      getClientLocale: function () { return state.locale; },
      getTheme: function () { return copy(state.theme); },
      navigateTo: function (options) { post('navigate', copy(options)); },
    };
    sdk.event = {
      onThemeChanged: function (callback) { themeListeners.push(callback); },
      onGlobalRefresh: function (callback) { refreshListeners.push(callback); },
    };
    sdk.modal = {
      open: function (config) {
        onlyDocumented('modal.open', config, MODAL_OPTIONS);
        if (typeof config.url !== 'string') throw new Error('htmlClientSdk.modal.open: url is required');
        var id = nextModal++;
        if (typeof config.onClosed === 'function') modalClosed[id] = config.onClosed;
        post('modal.open', { id: id, config: plain(config) });
      },
      close: function (result) { post('modal.close', { result: result === undefined ? null : copy(result) }); },
      setOptions: function (options) {
        onlyDocumented('modal.setOptions', options, DYNAMIC_MODAL_OPTIONS);
        post('modal.setOptions', plain(options));
      },
      getCustomData: function () { var c = state.customData; return c === undefined ? null : copy(c); },
    };
  }

  window.addEventListener('message', function (event) {
    if (event.source !== host || event.origin !== hostOrigin || !event.data || typeof event.data.type !== 'string') return;
    if (event.data.type.indexOf(PREFIX) !== 0) return;
    var type = event.data.type.slice(PREFIX.length);
    var payload = event.data.payload;
    if (type === 'init') {
      if (!state) addInterfaces();
      state = payload;
      var callbacks = ready;
      ready = [];
      callbacks.forEach(function (cb) { cb(); });
    } else if (type === 'theme' && state) {
      state.theme = payload;
      themeListeners.forEach(function (cb) { cb(copy(payload)); });
    } else if (type === 'session' && state) {
      state.sessionToken = payload.sessionToken;
    } else if (type === 'refresh' && state) {
      refreshListeners.forEach(function (cb) { cb(); });
    } else if (type === 'modal.closed') {
      var onClosed = modalClosed[payload.id];
      delete modalClosed[payload.id];
      if (onClosed) onClosed(payload.result === null ? undefined : payload.result);
    }
  });

  window.htmlClientSdk = sdk;
})();
