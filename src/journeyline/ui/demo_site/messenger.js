/* The demo shop's stand-in for a web messenger: when the visitor accepts a web messaging offer,
 * journeyline.js dispatches "journeyline:messaging-offer-accepted" and a real messenger opens a
 * conversation that names the offer in its journey context (docs/offers.md). This one shows the
 * journey context it would send. */
window.addEventListener("journeyline:messaging-offer-accepted", function (e) {
  var offer = e.detail || {};
  var context = {
    customer: { id: offer.customerId, idType: offer.customerIdType },
    customerSession: { id: offer.sessionId, type: "web" },
    triggeringAction: { id: offer.actionId, actionMap: { id: offer.actionMapId, version: offer.actionMapVersion } }
  };
  var box = document.createElement("aside");
  box.className = "messenger";
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", "Messenger");
  box.innerHTML = "<h4>Lumen &amp; Loom chat</h4><p>An agent will be with you shortly.</p>" +
    "<p class=\"muted\">The conversation's journey context:</p><pre></pre><button type=button>Close</button>";
  box.querySelector("pre").textContent = JSON.stringify({ journeyContext: context }, null, 1);
  box.querySelector("button").onclick = function () { box.remove(); };
  document.body.appendChild(box);
});
