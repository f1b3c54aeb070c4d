// Linli resident simulator: every action goes to /simulator/api/send, which pushes it to /wechat
// exactly as WeChat would. All wording comes from the page (#words), none is written here.
"use strict";

(function () {
  const base = document.body.dataset.base || "/simulator";
  const words = document.getElementById("words").dataset;
  const $ = (id) => document.getElementById(id);
  const chat = $("chat");
  const picker = $("resident");
  const panel = $("panel");
  const plus = $("plus");
  const textBox = $("text");
  const STORE_KEY = "linli.simulator.openid";
  const GAP_MS = 5 * 60 * 1000;
  const timeFormat = new Intl.DateTimeFormat("zh-CN", {
    month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit",
  });

  let openid = "";
  let lastShown = 0;
  let lastOutbound = 0;
  let queue = Promise.resolve();
  let photoUrls = [];

  // -- small helpers -----------------------------------------------------------------------------

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
  }

  function remember(value) {
    try {
      window.localStorage.setItem(STORE_KEY, value);
    } catch (_) {
      // Private browsing may refuse storage; the picker still works for this visit.
    }
  }

  function remembered() {
    try {
      return window.localStorage.getItem(STORE_KEY) || "";
    } catch (_) {
      return "";
    }
  }

  function randomHex(bytes) {
    const data = new Uint8Array(bytes);
    window.crypto.getRandomValues(data);
    return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function api(path, options) {
    const response = await fetch(base + path, Object.assign({
      headers: { "Accept": "application/json", "Content-Type": "application/json" },
      credentials: "same-origin",
    }, options || {}));
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    return { ok: response.ok, status: response.status, data: data };
  }

  // -- rendering -----------------------------------------------------------------------------------

  function scrollDown() {
    chat.scrollTop = chat.scrollHeight;
  }

  function stamp(at) {
    const time = at ? new Date(at) : new Date();
    if (Number.isNaN(time.getTime())) {
      return;
    }
    if (time.getTime() - lastShown > GAP_MS) {
      const line = document.createElement("div");
      line.className = "time";
      line.textContent = timeFormat.format(time);
      chat.appendChild(line);
    }
    lastShown = time.getTime();
  }

  function line(className, text) {
    const element = document.createElement("div");
    element.className = className;
    element.textContent = text;
    chat.appendChild(element);
    scrollDown();
    return element;
  }

  function bubble(who, text, options) {
    const opts = options || {};
    const row = document.createElement("div");
    row.className = "msg " + who;
    const avatar = document.createElement("div");
    avatar.className = "avatar";
    avatar.setAttribute("aria-hidden", "true");
    avatar.textContent = who === "me" ? words.me : words.bot;
    const body = document.createElement("div");
    body.className = "bubble";
    if (opts.photo) {
      body.classList.add("photo");
      const img = document.createElement("img");
      img.src = opts.photo;
      img.alt = words.image;
      img.addEventListener("load", scrollDown);
      body.appendChild(img);
    } else {
      if (opts.tag) {
        const tag = document.createElement("span");
        tag.className = "tag";
        tag.textContent = opts.tag;
        body.appendChild(tag);
      }
      body.appendChild(document.createTextNode(text));
    }
    if (opts.pending) {
      body.classList.add("pending");
    }
    row.appendChild(avatar);
    row.appendChild(body);
    chat.appendChild(row);
    scrollDown();
    return body;
  }

  function clearChat() {
    chat.textContent = "";
    lastShown = 0;
    photoUrls.forEach((url) => URL.revokeObjectURL(url));
    photoUrls = [];
  }

  function showItem(item) {
    stamp(item.at);
    if (item.kind === "text" || item.kind === "location" || item.kind === "image") {
      bubble("me", item.text);
    } else if (item.kind === "voice") {
      bubble("me", item.text === words.voice ? "" : item.text, { tag: words.voice });
    } else {
      line("note", item.text);
    }
    if (item.reply) {
      bubble("bot", item.reply);
    }
  }

  // -- residents and history -----------------------------------------------------------------------

  function setEnabled(enabled) {
    document.querySelectorAll("#composer button, #composer input, #panel button, #panel input")
      .forEach((element) => { element.disabled = !enabled; });
  }

  function addOption(resident) {
    const option = document.createElement("option");
    option.value = resident.openid;
    option.textContent = resident.name + (resident.subscribed ? "" : words.unsubscribed);
    option.title = resident.openid;
    picker.appendChild(option);
  }

  async function loadResidents(prefer) {
    const result = await api("/api/residents");
    const list = result.ok && Array.isArray(result.data) ? result.data : [];
    const wanted = prefer || openid || remembered();
    picker.textContent = "";
    list.forEach(addOption);
    if (wanted && !list.some((r) => r.openid === wanted) && prefer) {
      addOption({ openid: wanted, name: wanted.slice(-6), subscribed: true });
    }
    const known = Array.from(picker.options).map((o) => o.value);
    const chosen = known.includes(wanted) ? wanted : (known[0] || "");
    picker.value = chosen;
    return chosen;
  }

  async function select(value) {
    openid = value;
    setEnabled(Boolean(openid));
    clearChat();
    if (!openid) {
      line("note", words.empty);
      return;
    }
    remember(openid);
    const result = await api("/api/history?openid=" + encodeURIComponent(openid));
    if (value !== openid) {
      return;
    }
    if (!result.ok || !Array.isArray(result.data)) {
      line("error", words.loadFailed);
      return;
    }
    result.data.forEach(showItem);
    scrollDown();
    lastOutbound = 0;
    await pollOutbound();
  }

  // -- messages Linli sent outside replies (demo: what the sandbox WeChat received) ----------------

  async function pollOutbound() {
    const asked = openid;
    if (!asked) {
      return;
    }
    const query = "?openid=" + encodeURIComponent(asked) + "&after=" + lastOutbound;
    const result = await api("/api/outbound" + query);
    if (asked !== openid || !result.ok || !Array.isArray(result.data)) {
      return;
    }
    result.data.forEach((item) => {
      lastOutbound = Math.max(lastOutbound, item.id);
      const tag = item.channel === "custom" ? words.custom : words.notice;
      bubble("bot", item.text, { tag: tag });
    });
  }

  setInterval(() => { pollOutbound().catch(() => {}); }, 3000);

  // -- sending -------------------------------------------------------------------------------------

  function describeInvalid(data) {
    if (data && Array.isArray(data.detail)) {
      return data.detail.map((d) => (d.field ? d.field + ": " : "") + d.reason).join("；");
    }
    return "";
  }

  async function deliver(payload, mine) {
    const target = payload.openid;
    let result;
    try {
      result = await api("/api/send", { method: "POST", body: JSON.stringify(payload) });
    } catch (_) {
      if (target === openid) {
        if (mine) { mine.classList.remove("pending"); }
        line("error", words.network);
      }
      return;
    }
    if (target !== openid) {
      return;
    }
    if (mine) {
      mine.classList.remove("pending");
    }
    if (result.status === 422) {
      line("error", fill(words.invalid, { detail: describeInvalid(result.data) }));
      return;
    }
    if (!result.ok || !result.data) {
      line("error", fill(words.statusError, { status: result.status, error: "" }));
      return;
    }
    const answer = result.data;
    if (answer.status !== 200) {
      line("error", fill(words.statusError, { status: answer.status, error: answer.error || "" }));
    } else if (answer.error) {
      line("error", answer.error);
    } else if (answer.reply) {
      stamp();
      bubble("bot", answer.reply);
    }
  }

  function send(payload, mine) {
    const job = queue.then(() => deliver(payload, mine));
    queue = job.catch(() => undefined);
    return job;
  }

  function sendOwn(kind, extra, show) {
    if (!openid) {
      line("error", words.pick);
      return Promise.resolve();
    }
    stamp();
    const mine = show();
    return send(Object.assign({ openid: openid, kind: kind }, extra), mine);
  }

  function sendText() {
    const text = textBox.value;
    if (!text.trim()) {
      return;
    }
    textBox.value = "";
    sendOwn("text", { text: text }, () => bubble("me", text, { pending: true }));
  }

  function sendPlace(lat, lng, label) {
    if (!Number.isFinite(lat) || !Number.isFinite(lng) || Math.abs(lat) > 90 || Math.abs(lng) > 180) {
      line("error", words.badPlace);
      return;
    }
    const where = label || lat.toFixed(6) + "," + lng.toFixed(6);
    sendOwn("location", { lat: lat, lng: lng, label: label },
      () => bubble("me", words.location + " " + where, { pending: true }));
    togglePanel(false);
  }

  function sendEvent(kind) {
    if (!openid) {
      line("error", words.pick);
      return Promise.resolve();
    }
    stamp();
    line("note", kind === "subscribe" ? words.subscribe : words.unsubscribe);
    const chosen = openid;
    return send({ openid: openid, kind: kind }, null).then(() => loadResidents(chosen));
  }

  function togglePanel(open) {
    const show = typeof open === "boolean" ? open : panel.hidden;
    panel.hidden = !show;
    plus.setAttribute("aria-expanded", String(show));
    scrollDown();
  }

  // -- wiring --------------------------------------------------------------------------------------

  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    sendText();
  });

  plus.addEventListener("click", () => togglePanel());

  picker.addEventListener("change", () => select(picker.value));

  $("new-resident").addEventListener("click", async () => {
    const fresh = "sim-" + randomHex(4);
    addOption({ openid: fresh, name: fresh.slice(-6), subscribed: true });
    picker.value = fresh;
    openid = fresh;
    remember(fresh);
    setEnabled(true);
    clearChat();
    togglePanel(false);
    await sendEvent("subscribe");
  });

  panel.querySelectorAll(".chip").forEach((chip) => {
    chip.addEventListener("click", () => {
      sendPlace(parseFloat(chip.dataset.lat), parseFloat(chip.dataset.lng), chip.dataset.label || "");
    });
  });

  $("send-place").addEventListener("click", () => {
    const lat = $("lat").value.trim();
    const lng = $("lng").value.trim();
    sendPlace(lat === "" ? NaN : Number(lat), lng === "" ? NaN : Number(lng),
      $("place-label").value.trim());
  });

  $("photo").addEventListener("change", (event) => {
    const input = event.target;
    const file = input.files && input.files[0];
    input.value = "";
    if (!file || !file.type.startsWith("image/")) {
      return;
    }
    const url = URL.createObjectURL(file);
    photoUrls.push(url);
    sendOwn("image", {}, () => bubble("me", "", { photo: url, pending: true }));
    togglePanel(false);
  });

  $("send-voice").addEventListener("click", () => {
    const box = $("voice");
    const text = box.value;
    box.value = "";
    sendOwn("voice", { text: text }, () => bubble("me", text, { tag: words.voice, pending: true }));
    togglePanel(false);
  });

  $("voice").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      $("send-voice").click();
    }
  });

  $("unsubscribe").addEventListener("click", () => {
    togglePanel(false);
    sendEvent("unsubscribe");
  });

  $("subscribe").addEventListener("click", () => {
    togglePanel(false);
    sendEvent("subscribe");
  });

  loadResidents().then(select).catch(() => line("error", words.loadFailed));
})();
