/*! journeyline-offers.js: shows the web offers journeyline.js is served on its ping.
 *
 * Loaded by journeyline.js when the first offer arrives; not a tag of its own. It defines
 * window.journeylineOffers.show(action, report), where action is a Genesys DeploymentWebAction
 * and report(action, state, {errorCode, errorMessage}) posts its lifecycle to …/actionevent.
 *
 * - contentOffer: the action template's ContentOffer, by displayMode (Modal: a dialog over a
 *   dimmed page; Overlay: a dialog over the page, not dimmed; Toast: a small dialog in a corner)
 *   and layoutMode (TextOnly, ImageOnly, LeftText, RightText, TopText, BottomText): title,
 *   headline, body, image with its alt text, call to action {text, url, target Blank|Self}.
 * - webMessagingOffer: an invitation with the offer text, "Accept" and "No thanks". Accepting
 *   dispatches "journeyline:messaging-offer-accepted" on window, detail {actionId, actionMapId,
 *   actionMapVersion, sessionId, customerId, customerIdType, offerText}, for the site's
 *   messenger to open (and name the offer on its conversation: docs/offers.md).
 *
 * Reports: offered when shown; accepted (the call to action, Accept); rejected (Close,
 * No thanks, Escape); ignored (the page is left while it shows); timedout (no answer within
 * TIMEOUT_MS, 60 s); errored (it could not be shown). One offer shows at a time; the others wait.
 * Accessible: role=dialog with aria-labelledby, focus moved in and given back, Tab kept inside.
 * Safe: server text goes in with textContent only, links and images must be http(s), styles
 * are set through the CSSOM (no inline <style>, so a strict CSP keeps it working), and every
 * step is guarded: a failure reports errored and never breaks the page.
 */
(function () {
  "use strict";
  var w = window, d = document;
  if (w.journeylineOffers) return;

  var TIMEOUT_MS = 60000;
  var FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  var STYLE = {
    backdrop: { position: "fixed", inset: "0", background: "rgba(20, 20, 30, .45)", zIndex: "2147483646" },
    Modal: { position: "fixed", top: "50%", left: "50%", transform: "translate(-50%, -50%)", width: "min(92vw, 30rem)" },
    Overlay: { position: "fixed", top: "1.5rem", left: "50%", transform: "translateX(-50%)", width: "min(92vw, 34rem)" },
    Toast: { position: "fixed", right: "1rem", bottom: "1rem", width: "min(92vw, 22rem)" },
    box: { zIndex: "2147483647", background: "#fff", color: "#1d1d25", borderRadius: "10px", boxShadow: "0 10px 40px rgba(0,0,0,.25)", padding: "1.2rem 1.3rem", font: "15px/1.45 " + FONT, textAlign: "left", boxSizing: "border-box", maxHeight: "90vh", overflow: "auto" },
    title: { margin: "0 2rem .4rem 0", font: "600 1.15rem/1.3 " + FONT },
    headline: { margin: "0 0 .35rem", fontWeight: "600" },
    text: { margin: "0 0 .6rem" },
    image: { maxWidth: "100%", height: "auto", borderRadius: "6px", display: "block" },
    close: { position: "absolute", top: ".5rem", right: ".6rem", border: "0", background: "transparent", font: "1.4rem/1 " + FONT, cursor: "pointer", color: "#555", padding: ".2rem .4rem" },
    primary: { display: "inline-block", marginRight: ".5rem", marginTop: ".4rem", padding: ".5rem 1rem", borderRadius: "6px", border: "0", background: "#2a4fd6", color: "#fff", font: "600 .95rem " + FONT, textDecoration: "none", cursor: "pointer" },
    secondary: { display: "inline-block", marginTop: ".4rem", padding: ".5rem 1rem", borderRadius: "6px", border: "1px solid #999", background: "#fff", color: "#1d1d25", font: ".95rem " + FONT, cursor: "pointer" }
  };
  var DIRECTIONS = { LeftText: "row", RightText: "row-reverse", TopText: "column", BottomText: "column-reverse" };
  var queue = [], current = null, counter = 0;

  function styled(node, names) {
    names.split(" ").forEach(function (name) {
      var rules = STYLE[name] || {};
      Object.keys(rules).forEach(function (k) { node.style[k] = rules[k]; });
    });
    return node;
  }

  function el(tag, styles, text) {
    var node = styled(d.createElement(tag), styles || "");
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(raw) {
    if (typeof raw !== "string" || !raw) return null;
    try {
      var url = new URL(raw, location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) { return null; }
  }

  function button(label, styles, onClick) {
    var b = el("button", styles, label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  // --- one offer on screen ---------------------------------------------------------------
  function finish(state, error) {
    var shown = current;
    if (!shown) return;
    current = null;
    clearTimeout(shown.timer);
    d.removeEventListener("keydown", shown.onKey, true);
    try { shown.root.remove(); } catch (e) { /* already gone */ }
    try {
      var back = shown.previousFocus;
      if (back && back.isConnected && typeof back.focus === "function") back.focus();
    } catch (e) { /* focus is a courtesy */ }
    shown.report(shown.action, state, error);
    setTimeout(next, 0);
  }

  function keepFocusIn(box, e) {
    var focusable = [].filter.call(box.querySelectorAll("a[href], button"), function (n) { return !n.disabled; });
    if (!focusable.length) return;
    var first = focusable[0], last = focusable[focusable.length - 1];
    if (e.shiftKey && (d.activeElement === first || !box.contains(d.activeElement))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (d.activeElement === last || !box.contains(d.activeElement))) { e.preventDefault(); first.focus(); }
  }

  function dialog(action, mode) {
    var id = "jl-offer-" + (++counter);
    var box = styled(d.createElement("div"), "box " + mode);
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", mode === "Modal" ? "true" : "false");
    box.setAttribute("data-journeyline-offer", action.mediaType);
    box.setAttribute("data-action-id", action.id);
    box.id = id;
    return box;
  }

  function contentOffer(action, box) {
    var offer = action.contentOfferProperties;
    if (!offer || typeof offer !== "object") throw new Error("the action has no contentOfferProperties");
    box.appendChild(button("\u00d7", "close", function () { finish("rejected"); })).setAttribute("aria-label", "Close");
    var text = el("div", ""), label = null, go = null;
    if (offer.title) label = text.appendChild(el("h2", "title", offer.title));
    if (offer.headline) {
      var headline = text.appendChild(el("p", "headline", offer.headline));
      if (!label) { headline.setAttribute("role", "heading"); headline.setAttribute("aria-level", "2"); label = headline; }
    }
    if (offer.body) text.appendChild(el("p", "text", offer.body));
    var cta = offer.callToAction, href = cta && safeUrl(cta.url);
    if (cta && cta.text) {
      if (href) {
        go = el("a", "primary", cta.text);
        go.href = href;
        if (cta.target === "Blank") { go.target = "_blank"; go.rel = "noopener noreferrer"; }
        go.addEventListener("click", function () { finish("accepted"); });
      } else {
        go = button(cta.text, "primary", function () { finish("accepted"); });
      }
      text.appendChild(el("p", "text")).appendChild(go);
    }
    var layout = offer.layoutMode || "TextOnly", src = safeUrl(offer.imageUrl), image = null;
    if (src && layout !== "TextOnly") {
      image = el("img", "image");
      image.src = src;
      image.alt = offer.imageAltText ? String(offer.imageAltText) : "";
    }
    if (!image) box.appendChild(text);
    else if (layout === "ImageOnly") {
      box.appendChild(image);
      if (go) box.appendChild(el("p", "text")).appendChild(go); // the title and text are not shown
      label = null;
    } else {
      var row = el("div", ""), side = el("div", "");
      row.style.display = "flex";
      row.style.gap = "1rem";
      row.style.flexDirection = DIRECTIONS[layout] || "column";
      side.style.flex = "1 1 40%";
      text.style.flex = "1 1 60%";
      side.appendChild(image);
      row.appendChild(text);
      row.appendChild(side);
      box.appendChild(row);
    }
    if (label) {
      label.id = box.id + "-title";
      box.setAttribute("aria-labelledby", label.id);
    } else {
      box.setAttribute("aria-label", String(offer.imageAltText || offer.title || "Offer"));
    }
    return go || box.querySelector("button");
  }

  function messagingOffer(action, box) {
    var props = action.webMessagingOfferProperties || {};
    var text = el("p", "text", props.offerText || "Can we help you?");
    text.id = box.id + "-title";
    box.setAttribute("aria-labelledby", text.id);
    box.appendChild(text);
    var accept = box.appendChild(button("Accept", "primary", function () {
      finish("accepted");
      var detail = {
        actionId: action.id, actionMapId: action.actionMapId, actionMapVersion: action.actionMapVersion,
        sessionId: action.sessionId, customerId: action.customerId, customerIdType: action.customerIdType,
        offerText: props.offerText
      };
      try { w.dispatchEvent(new CustomEvent("journeyline:messaging-offer-accepted", { detail: detail })); }
      catch (e) { /* a listener's failure is the site's */ }
    }));
    box.appendChild(button("No thanks", "secondary", function () { finish("rejected"); }));
    return accept;
  }

  function show(action, report) {
    var root = null;
    try {
      var media = action.mediaType, mode = "Toast";
      if (media === "contentOffer") {
        var offer = action.contentOfferProperties || {};
        mode = STYLE[offer.displayMode] && /^(Modal|Overlay|Toast)$/.test(offer.displayMode) ? offer.displayMode : "Modal";
      }
      var box = dialog(action, mode);
      var focus = media === "contentOffer" ? contentOffer(action, box) : messagingOffer(action, box);
      root = box;
      if (mode === "Modal") {
        root = el("div", "backdrop");
        root.appendChild(box);
      }
      var shown = { action: action, report: report, root: root, previousFocus: d.activeElement };
      shown.onKey = function (e) {
        if (e.key === "Escape") { e.preventDefault(); finish("rejected"); }
        else if (e.key === "Tab" && mode !== "Toast") keepFocusIn(box, e);
      };
      (d.body || d.documentElement).appendChild(root);
      current = shown;
      d.addEventListener("keydown", shown.onKey, true);
      shown.timer = setTimeout(function () { if (current === shown) finish("timedout"); }, TIMEOUT_MS);
      if (focus) focus.focus();
      report(action, "offered");
    } catch (e) {
      current = null;
      try { if (root) root.remove(); } catch (e2) { /* nothing to undo */ }
      report(action, "errored", { errorCode: "render", errorMessage: String((e && e.message) || e) });
      setTimeout(next, 0);
    }
  }

  function next() {
    if (current || !queue.length) return;
    var item = queue.shift();
    show(item[0], item[1]);
  }

  w.addEventListener("pagehide", function () { if (current) finish("ignored"); });

  w.journeylineOffers = {
    TIMEOUT_MS: TIMEOUT_MS,
    show: function (action, report) {
      queue.push([action, report]);
      next();
    }
  };
})();
