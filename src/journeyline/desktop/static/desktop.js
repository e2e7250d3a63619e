// journeyline agent desktop: the small progressive part. The pages work without it; with it,
// durations tick, times show in the browser's zone, journey maps load when opened, and the live
// feed (Server-Sent Events, resumed by the browser with Last-Event-ID) refreshes what changed.
// Everything inserted comes from this server's own fragments, which escape what visitors typed.

const lang = document.documentElement.lang || "en";
const timeFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
const shownAt = new WeakMap(); // a ticking duration -> when the page showed its value

function durationText(seconds) {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll("time.duration[data-ticking]")) {
    if (!shownAt.has(el)) shownAt.set(el, now);
    const base = Number(el.dataset.seconds) || 0;
    el.textContent = durationText(base + Math.floor((now - shownAt.get(el)) / 1000));
  }
}

function enhance(root) {
  for (const el of root.querySelectorAll("time[datetime]:not(.duration)")) {
    const when = new Date(el.getAttribute("datetime"));
    if (!Number.isNaN(when.getTime())) el.textContent = timeFormat.format(when);
  }
  for (const el of root.querySelectorAll("[data-color]")) {
    const color = el.dataset.color;
    if (/^#[0-9a-fA-F]{3,8}$/.test(color)) el.style.setProperty("--segment", color);
  }
}

async function fragment(url) {
  const response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
  if (response.redirected && new URL(response.url).pathname === "/desktop/signin") {
    if (!leaving) window.location.reload(); // signed out elsewhere: show the sign-in form
    return null;
  }
  if (!response.ok) return null;
  const template = document.createElement("template");
  template.innerHTML = await response.text();
  enhance(template.content);
  return template.content;
}

async function loadMap(details) {
  const target = details.querySelector(".map");
  const content = await fragment(details.dataset.map);
  if (content && target) target.replaceChildren(content);
}

document.addEventListener(
  "toggle",
  (event) => {
    const details = event.target;
    if (details.matches && details.matches("details.map-toggle") && details.open) loadMap(details);
  },
  true,
);

document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("button.show-urls");
  if (!button) return;
  const map = button.closest(".map");
  const urls = button.getAttribute("aria-pressed") !== "true";
  button.setAttribute("aria-pressed", String(urls));
  map.classList.toggle("urls", urls);
});

// -- live --------------------------------------------------------------------------------------

let leaving = false; // a form was sent or a link followed: a reload now would undo it
document.addEventListener("submit", () => { leaving = true; });
window.addEventListener("pagehide", () => { leaving = true; });

function announce(text) {
  const status = document.getElementById("live-status");
  if (status) status.textContent = text;
}

async function refreshCard(sessionId, contactId) {
  const query = contactId ? `?for=${encodeURIComponent(contactId)}` : "";
  const content = await fragment(`/desktop/sessions/${encodeURIComponent(sessionId)}/card${query}`);
  const fresh = content && content.querySelector("article.card");
  if (!fresh) return;
  const old = document.getElementById(`card-${sessionId}`);
  if (old) {
    const wasOpen = old.querySelector("details.map-toggle")?.open;
    old.replaceWith(fresh);
    if (wasOpen) fresh.querySelector("details.map-toggle").open = true; // reloads the map
  } else {
    document.getElementById("cards")?.prepend(fresh);
  }
  const title = fresh.querySelector("h3")?.textContent || "";
  const status = fresh.querySelector(".status")?.textContent || "";
  announce(`${title}: ${status}`.trim());
}

let nowTimer = null;
function refreshNow(box) {
  if (nowTimer) return; // at most one refresh in flight, a few per second at most
  nowTimer = setTimeout(async () => {
    const content = await fragment(box.dataset.liveNow);
    if (content) box.replaceChildren(content);
    nowTimer = null;
  }, 150);
}

function listen() {
  const person = document.querySelector("[data-live-contact]");
  const single = document.querySelector("[data-live-session]");
  const nowBox = document.querySelector("[data-live-now]");
  if (!person && !single && !nowBox) return;
  let url = "/desktop/feed";
  if (person) url += `?contact=${encodeURIComponent(person.dataset.liveContact)}`;
  else if (single) url += `?session=${encodeURIComponent(single.dataset.liveSession)}`;
  const source = new EventSource(url);
  const contactId = person ? person.dataset.liveContact : null;
  const onMessage = (event) => {
    let data = {};
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    if (nowBox) {
      refreshNow(nowBox);
      return;
    }
    const name = event.type;
    if (person && (name.startsWith("contact.") || name.startsWith("identifier."))) {
      if (!leaving) window.location.reload(); // who this person is changed: merged, verified
      return;
    }
    if (data.sessionId) refreshCard(data.sessionId, contactId);
  };
  for (const name of [
    "session.started", "session.changed", "session.removed", "journey.event.added",
    "journey.event.changed", "journey.event.removed", "contact.created", "contact.changed",
    "contact.deleted", "contact.merged", "contact.unmerged", "contact.verified",
    "identifier.claimed", "identifier.released", "segment.assigned", "segment.unassigned",
    "outcome.achieved", "action.qualified", "action.blocked", "action.changed", "message",
  ]) {
    source.addEventListener(name, onMessage);
  }
  document.documentElement.dataset.live = "connecting";
  source.addEventListener("open", () => { document.documentElement.dataset.live = "open"; });
  source.addEventListener("error", () => { document.documentElement.dataset.live = "retrying"; });
}

enhance(document);
tick();
setInterval(tick, 1000);
listen();
