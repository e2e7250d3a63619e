/*! journeyline.js: the journeyline web tracker (Genesys Predictive Engagement shaped).
 *
 * Paste on every page:
 *   <script>window.journeyline = window.journeyline || function(){(window.journeyline.q =
 *     window.journeyline.q || []).push(arguments)};</script>
 *   <script src="https://HOST/journeyline.js" data-deployment="DEPLOYMENT_ID" async></script>
 *
 * Commands: journeyline('pageview', {title?, url?, attributes?}),
 *   journeyline('record', 'event_name', {k: v}), journeyline('search', 'query', attrs?),
 *   journeyline('identify', {email, phone, givenName, familyName, ...}),
 *   journeyline('forms:track', 'css selector', {captureFormDataOnSubmit, captureFormDataOnAbandon}),
 *   journeyline('onOffer', function (action) {...}),
 *   journeyline('recordActionStateChange', action, 'accepted', {errorCode, errorMessage}).
 * Optional tag attributes: data-auto-pageview="false" turns off automatic page views;
 * data-offers="none" leaves showing web offers to the site (onOffer + recordActionStateChange);
 * otherwise journeyline-offers.js (loaded when the first offer arrives) shows them.
 */
(function () {
  "use strict";
  var w = window, d = document;
  if (w.journeyline && w.journeyline.loaded) return;

  var COOKIE = "_jlmu", YEAR_SECONDS = 365 * 24 * 3600, DEFAULT_POLL_MS = 10000;
  var EVENT_NAME = /^[A-Za-z0-9_]+$/;
  var DATA_TYPES = { string: 1, number: 1, integer: 1, boolean: 1 };

  function warn() {
    try { console.warn.apply(console, ["journeyline:"].concat([].slice.call(arguments))); } catch (e) { /* no console */ }
  }

  var script = d.currentScript || d.querySelector("script[data-deployment]");
  var deploymentId = script ? script.getAttribute("data-deployment") : null;
  var base = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var api = base + "/api/v2/journey/deployments/" + encodeURIComponent(deploymentId || "");

  // --- the visitor cookie ---------------------------------------------------------------
  function uuid4() {
    var c = w.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = [].map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function readCookie() {
    var m = d.cookie.match(/(?:^|;\s*)_jlmu=([0-9a-fA-F-]{36})(?:;|$)/);
    return m ? m[1].toLowerCase() : null;
  }

  var cookieId = readCookie() || uuid4();
  // Written on every load, so the year runs from the last visit.
  d.cookie = COOKIE + "=" + cookieId + "; Max-Age=" + YEAR_SECONDS + "; Path=/; SameSite=Lax" +
    (location.protocol === "https:" ? "; Secure" : "");

  // --- attributes -------------------------------------------------------------------------
  function typed(name, v) {
    if (v === null || v === undefined) return null;
    if (typeof v === "object" && !(v instanceof Date) && "dataType" in v && "value" in v) {
      if (DATA_TYPES[v.dataType]) return { dataType: v.dataType, value: v.value };
      warn("attribute " + name + " has an unknown dataType " + v.dataType + "; dropped");
      return null;
    }
    if (typeof v === "boolean") return { dataType: "boolean", value: v };
    if (typeof v === "number") {
      if (isFinite(v)) return { dataType: "number", value: v };
      warn("attribute " + name + " is not a finite number; dropped");
      return null;
    }
    if (typeof v === "string") return { dataType: "string", value: v };
    if (typeof v === "bigint") {  // sent as its text, which the server reads as an integer
      var text = v.toString(), digits = text.replace("-", "");
      var limit = text.charAt(0) === "-" ? "9223372036854775808" : "9223372036854775807";
      if (digits.length < 19 || (digits.length === 19 && digits <= limit)) {
        return { dataType: "integer", value: text };
      }
      warn("attribute " + name + " is outside the 64-bit integer range; dropped");
      return null;
    }
    if (v instanceof Date) return { dataType: "string", value: v.toISOString() };
    warn("attribute " + name + " must be a string, number, boolean or {dataType, value}; dropped");
    return null;
  }

  function attributeMap(obj) {
    if (!obj || typeof obj !== "object") return undefined;
    var out = {}, any = false;
    Object.keys(obj).forEach(function (k) {
      var t = typed(k, obj[k]);
      if (t) { out[k] = t; any = true; }
    });
    return any ? out : undefined;
  }

  // --- sending ----------------------------------------------------------------------------
  var referrer = d.referrer || "";
  var lastPageUrl = null;
  var autoPageviews = !script || script.getAttribute("data-auto-pageview") !== "false";
  var showOffers = !script || script.getAttribute("data-offers") !== "none";

  function send(eventName, extra) {
    if (!EVENT_NAME.test(String(eventName || ""))) {
      warn("invalid event name " + JSON.stringify(eventName) + " (letters, digits and underscores only); dropped");
      return Promise.resolve(null);
    }
    if (!deploymentId) {
      warn("no data-deployment on the journeyline.js script tag; event dropped");
      return Promise.resolve(null);
    }
    extra = extra || {};
    var body = {
      customerCookieId: cookieId,
      eventName: eventName,
      page: {
        url: extra.url || location.href,
        title: extra.title !== undefined ? String(extra.title) : d.title,
        lang: d.documentElement.lang || undefined
      },
      referrerUrl: referrer || undefined,
      browser: { lang: navigator.language || undefined },
      device: {
        screenHeight: screen.height,
        screenWidth: screen.width,
        screenDensity: Math.max(1, Math.round(w.devicePixelRatio || 1))
      },
      searchQuery: extra.searchQuery,
      attributes: attributeMap(extra.attributes),
      traits: attributeMap(extra.traits),
      externalId: extra.externalId,
      createdDate: new Date().toISOString()
    };
    return fetch(api + "/webevents", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      keepalive: true,
      credentials: "omit"
    }).then(function (r) {
      if (r.ok) return r.json().catch(function () { return null; });
      return r.json().catch(function () { return {}; }).then(function (err) {
        warn(eventName + " refused (" + r.status + "): " + ((err && err.message) || r.statusText));
        return null;
      });
    }).catch(function () { return null; }); // offline or blocked: never break the page
  }

  // --- page views ---------------------------------------------------------------------------
  function pageview(opts) {
    opts = opts || {};
    var url = opts.url ? new URL(opts.url, location.href).href : location.href;
    lastPageUrl = url;
    return send("page_viewed", { url: url, title: opts.title, attributes: opts.attributes });
  }

  function autoPageview() {
    if (!autoPageviews || location.href === lastPageUrl) return;
    var previous = lastPageUrl;
    if (previous) referrer = previous; // an SPA navigation: the previous page refers
    pageview();
  }

  function onNavigation() { setTimeout(autoPageview, 50); } // let the app set its title

  ["pushState", "replaceState"].forEach(function (method) {
    var original = history[method];
    if (typeof original !== "function") return;
    history[method] = function () {
      var result = original.apply(this, arguments);
      try { onNavigation(); } catch (e) { /* never break navigation */ }
      return result;
    };
  });
  w.addEventListener("popstate", onNavigation);
  w.addEventListener("hashchange", onNavigation);

  // --- forms ------------------------------------------------------------------------------
  var trackedForms = []; // [{selector, options}]
  var dirty = new Set();
  var SKIPPED_TYPES = { password: 1, file: 1, submit: 1, button: 1, reset: 1, image: 1 };

  function trackingFor(form) {
    if (!form || form.tagName !== "FORM") return null;
    for (var i = 0; i < trackedForms.length; i++) {
      try { if (form.matches(trackedForms[i].selector)) return trackedForms[i].options; } catch (e) { /* bad selector */ }
    }
    return null;
  }

  function formData(form) {
    var out = {};
    [].forEach.call(form.elements, function (el) {
      var name = el.name || el.id;
      var type = (el.type || "").toLowerCase();
      if (!name || el.disabled || SKIPPED_TYPES[type]) return;
      if (/^cc-/.test(el.getAttribute("autocomplete") || "")) return; // card data stays home
      if (type === "checkbox") out[name] = el.checked;
      else if (type === "radio") { if (el.checked) out[name] = el.value; }
      else if (type === "select-multiple") {
        out[name] = [].filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; }).join(",");
      } else if (typeof el.value === "string" && el.value !== "") out[name] = el.value;
    });
    return out;
  }

  function formOf(target) { return target && target.form ? target.form : (target && target.closest ? target.closest("form") : null); }

  function onFormInput(e) {
    var form = formOf(e.target);
    if (trackingFor(form)) dirty.add(form);
  }

  function onSubmit(e) {
    var form = e.target, opts = trackingFor(form);
    if (!opts) return;
    dirty.delete(form);
    send("form_submitted", { attributes: opts.captureFormDataOnSubmit ? formData(form) : undefined });
  }

  function flushAbandoned() {
    dirty.forEach(function (form) {
      var opts = trackingFor(form);
      if (opts && form.isConnected !== false) {
        send("form_abandoned", { attributes: opts.captureFormDataOnAbandon ? formData(form) : undefined });
      }
    });
    dirty.clear();
  }

  d.addEventListener("input", onFormInput, true);
  d.addEventListener("change", onFormInput, true);
  d.addEventListener("submit", onSubmit, true);
  w.addEventListener("pagehide", flushAbandoned);

  // --- offers (ping) ------------------------------------------------------------------------
  var offerCallbacks = [], seenActions = new Set();
  var pollMs = DEFAULT_POLL_MS, pingTimer = null, pinging = false, pingWarned = false;

  function schedulePing(ms) {
    clearTimeout(pingTimer);
    pingTimer = setTimeout(ping, ms);
  }

  function ping() {
    pingTimer = null;
    if (d.visibilityState === "hidden" || pinging || !deploymentId) return; // resumes when visible
    pinging = true;
    var url = api + "/customers/" + encodeURIComponent(cookieId) + "/ping?dl=" +
      encodeURIComponent(location.href) + "&dt=" + encodeURIComponent(d.title);
    fetch(url, { credentials: "omit", cache: "no-store" }).then(function (r) {
      if (r.ok) return r.json();
      if (!pingWarned) { pingWarned = true; warn("ping refused (" + r.status + ")"); }
      return null;
    }).then(function (answer) {
      if (!answer) return;
      var next = answer.pollIntervalMilliseconds;
      pollMs = typeof next === "number" && next > 0 ? Math.max(100, next) : DEFAULT_POLL_MS;
      (Array.isArray(answer.actions) ? answer.actions : []).forEach(offer);
    }).catch(function () { /* offline: try again later */ }).then(function () {
      pinging = false;
      if (d.visibilityState !== "hidden") schedulePing(pollMs);
    });
  }

  function offer(action) {
    var key = action && action.id;
    if (key) {
      if (seenActions.has(key)) return;
      seenActions.add(key);
    }
    offerCallbacks.forEach(function (cb) {
      try { cb(action); } catch (e) { warn("an onOffer callback failed", e); }
    });
    if (showOffers && key && /^(contentOffer|webMessagingOffer)$/.test(action.mediaType)) {
      offersUi().then(function (ui) { ui.show(action, report); }, function (e) {
        offersModule = null; // try loading again for the next offer
        report(action, "errored", { errorCode: "load", errorMessage: String(e && e.message) });
      });
    }
  }

  // The offers' lifecycle (POST …/actionevent), and the script that shows them.
  function report(action, state, error) {
    error = error || {};
    return fetch(api + "/actionevent", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sessionId: action.sessionId, actionId: action.id, actionState: state,
        errorCode: error.errorCode, errorMessage: error.errorMessage }),
      keepalive: true,
      credentials: "omit"
    }).then(function (r) {
      if (!r.ok) warn("actionevent " + state + " refused (" + r.status + ")");
    }).catch(function () { /* offline: never break the page */ });
  }

  var offersModule = null;
  function offersUi() {
    offersModule = offersModule || new Promise(function (resolve, reject) {
      if (w.journeylineOffers) return resolve(w.journeylineOffers);
      var tag = d.createElement("script");
      tag.src = base + "/journeyline-offers.js";
      tag.onload = function () { w.journeylineOffers ? resolve(w.journeylineOffers) : reject(new Error("no offers script")); };
      tag.onerror = function () { reject(new Error("the offers script did not load")); };
      (d.head || d.documentElement).appendChild(tag);
    });
    return offersModule;
  }

  d.addEventListener("visibilitychange", function () {
    if (d.visibilityState === "hidden") { clearTimeout(pingTimer); pingTimer = null; flushAbandoned(); }
    else if (!pingTimer && !pinging) ping();
  });

  // --- commands -----------------------------------------------------------------------------
  var commands = {
    pageview: function (opts) { return pageview(opts); },
    record: function (name, attrs) { return send(name, { attributes: attrs }); },
    search: function (query, attrs) {
      if (typeof query !== "string" || !query.trim()) { warn("search needs a query string; dropped"); return; }
      return send("searched", { searchQuery: query, attributes: attrs });
    },
    identify: function (a, b) {
      var externalId = typeof a === "string" ? a : undefined;
      var traits = typeof a === "string" ? b : a;
      return send("identified", { traits: traits || {}, externalId: externalId });
    },
    "forms:track": function (selector, options) {
      if (typeof selector !== "string" || !selector) { warn("forms:track needs a CSS selector"); return; }
      try { d.querySelector(selector); } catch (e) { warn("forms:track: invalid selector " + selector); return; }
      trackedForms.push({ selector: selector, options: options || {} });
    },
    onOffer: function (cb) {
      if (typeof cb === "function") offerCallbacks.push(cb);
      else warn("onOffer needs a function");
    },
    recordActionStateChange: function (action, state, error) {
      if (!action || !action.id || typeof state !== "string") { warn("recordActionStateChange needs an action and a state"); return; }
      return report(action, state, error);
    }
  };

  function journeyline(command) {
    try {
      var fn = commands[command];
      if (!fn) { warn("unknown command " + JSON.stringify(command)); return; }
      return fn.apply(null, [].slice.call(arguments, 1));
    } catch (e) {
      warn("command " + command + " failed", e);
    }
  }
  journeyline.loaded = true;
  journeyline.cookieId = function () { return cookieId; };
  journeyline.deploymentId = function () { return deploymentId; };

  var queued = (w.journeyline && w.journeyline.q) || [];
  w.journeyline = journeyline;
  for (var i = 0; i < queued.length; i++) journeyline.apply(null, [].slice.call(queued[i]));

  var first = autoPageviews && lastPageUrl === null ? pageview() : Promise.resolve(null);
  first.then(function () { ping(); });
})();
