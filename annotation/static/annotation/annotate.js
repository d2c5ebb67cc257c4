// Annotate page: keyboard shortcuts, a live word diff of each correction, and answers sent
// without leaving the page: one request saves the answer and brings the next record, which is
// filled in place. Without script the form posts and redirects, as it always did.
(() => {
  const form = document.getElementById("annotate-form");
  if (!form) return;

  const typing = (element) =>
    element && (element.tagName === "TEXTAREA" || (element.tagName === "INPUT" && element.type === "text"));

  const press = (key) => {
    const button = form.querySelector(`button[data-key="${key}"]`);
    if (button) button.click();
  };

  // Single-key shortcuts can be turned off (WCAG 2.1.4); the choice is kept in this browser.
  const SINGLE_KEYS = "somos.singleKeyShortcuts";
  let singleKeys = true;
  try {
    singleKeys = localStorage.getItem(SINGLE_KEYS) !== "off";
  } catch {
    // Storage refused (private mode, policy): the shortcuts stay on for this page.
  }
  const toggle = document.getElementById("single-key-shortcuts");
  if (toggle) {
    toggle.checked = singleKeys;
    toggle.closest("[data-shortcut-switch]").hidden = false;
    toggle.addEventListener("change", () => {
      singleKeys = toggle.checked;
      try {
        localStorage.setItem(SINGLE_KEYS, singleKeys ? "on" : "off");
      } catch {
        // Not remembered, but still off (or on) until the page is left.
      }
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      press("submit");
      return;
    }
    if (typing(document.activeElement)) {
      if (event.key === "Escape") document.activeElement.blur();
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || !singleKeys) return;
    const key = event.key.toLowerCase();
    if (/^[1-9]$/.test(key)) {
      const group = form.querySelector("[data-shortcut-options]");
      const option = group && group.querySelectorAll("input")[Number(key) - 1];
      if (option) {
        option.checked = true;
        option.focus();
        event.preventDefault();
      }
    } else if (key === "enter" && document.activeElement && document.activeElement.type !== "submit") {
      event.preventDefault();
      press("submit");
    } else if (key === "s") {
      event.preventDefault();
      press("skip");
    } else if (key === "d") {
      event.preventDefault();
      press("draft");
    } else if (key === "e") {
      const first = form.querySelector("textarea.correction");
      if (first) {
        event.preventDefault();
        first.focus();
        first.setSelectionRange(first.value.length, first.value.length);
      }
    }
  });

  // Word-level longest-common-subsequence diff; text only ever goes in through textContent.
  const words = (text) => text.split(/(\s+)/).filter((part) => part.length > 0);
  const diff = (before, after) => {
    const a = words(before);
    const b = words(after);
    if (a.length * b.length > 250000) return [["replace", before, after]];
    const table = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
    for (let i = a.length - 1; i >= 0; i--) {
      for (let j = b.length - 1; j >= 0; j--) {
        table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
      }
    }
    const parts = [];
    const push = (kind, text) => {
      const last = parts[parts.length - 1];
      if (last && last[0] === kind) last[1] += text;
      else parts.push([kind, text]);
    };
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (i < a.length && j < b.length && a[i] === b[j]) {
        push("same", a[i]);
        i++;
        j++;
      } else if (j < b.length && (i === a.length || table[i][j + 1] >= table[i + 1][j])) {
        push("ins", b[j++]);
      } else {
        push("del", a[i++]);
      }
    }
    return parts;
  };

  const render = (textarea) => {
    const box = document.getElementById(textarea.getAttribute("aria-describedby"));
    const original = textarea.dataset.original;
    if (!box) return;
    box.replaceChildren();
    if (textarea.value.trim() === original.trim()) {
      box.hidden = true;
      textarea.classList.remove("changed");
      return;
    }
    textarea.classList.add("changed");
    const title = document.createElement("span");
    title.className = "diff-title";
    title.textContent = box.closest("form").dataset.diffTitle || "";
    box.append(title);
    for (const part of diff(original, textarea.value)) {
      if (part[0] === "replace") {
        const del = document.createElement("del");
        del.textContent = part[1];
        const ins = document.createElement("ins");
        ins.textContent = part[2];
        box.append(del, " ", ins);
      } else {
        const node = document.createElement(part[0] === "same" ? "span" : part[0]);
        node.textContent = part[1];
        box.append(node);
      }
    }
    box.hidden = false;
  };

  const watch = (textarea) => {
    textarea.addEventListener("input", () => render(textarea));
    render(textarea);
  };
  for (const textarea of form.querySelectorAll("textarea.correction")) watch(textarea);

  const listFill = (list, texts) => {
    list.replaceChildren(
      ...texts.map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      }),
    );
  };

  const say = (text, level) => {
    let box = document.querySelector(".messages");
    const fresh = !box;
    if (fresh) {
      box = document.createElement("div");
      box.className = "messages";
      box.setAttribute("role", "status");
      document.getElementById("main").before(box);
    }
    const line = document.createElement("p");
    line.className = `message ${level || "info"}`;
    line.textContent = text;
    // A live region announces what changes in it, so a new one is filled a moment later.
    if (fresh) requestAnimationFrame(() => box.replaceChildren(line));
    else box.replaceChildren(line);
  };

  const errorsBox = form.querySelector("[data-errors]");
  const errorsClear = () => {
    errorsBox.hidden = true;
    listFill(errorsBox.querySelector("ul"), []);
    for (const fieldset of form.querySelectorAll("fieldset.has-error")) fieldset.classList.remove("has-error");
  };
  const errorsShow = (errors) => {
    errorsClear();
    // The last answer's thanks no longer apply to what is on screen.
    const box = document.querySelector(".messages");
    if (box) box.replaceChildren();
    listFill(errorsBox.querySelector("ul"), Object.values(errors));
    for (const name of Object.keys(errors)) {
      const fieldset = form.querySelector(`fieldset[data-question="${CSS.escape(name)}"]`);
      if (fieldset) fieldset.classList.add("has-error");
    }
    errorsBox.hidden = false;
    errorsBox.scrollIntoView({ block: "nearest" });
  };

  const blank = document.getElementById("piece-template");
  const pieceBuild = (piece, number) => {
    const section = blank.content.querySelector("[data-piece]").cloneNode(true);
    const heading = section.querySelector("h2");
    heading.id = `piece-${number}`;
    section.setAttribute("aria-labelledby", heading.id);
    section.querySelector("[data-label]").textContent = piece.label;
    if (piece.correct_answer) {
      const badge = document.createElement("span");
      badge.className = "correct-answer";
      badge.textContent = piece.correct_answer;
      heading.append(" ", badge);
    }
    section.querySelector("[data-source]").textContent = piece.source;
    section.querySelector("[data-translation]").textContent = piece.translation;
    const reasons = section.querySelector("[data-reasons]");
    listFill(reasons, piece.reasons);
    reasons.hidden = piece.reasons.length === 0;
    section.querySelector(".text.machine").classList.toggle("flagged", piece.reasons.length > 0);
    const correction = section.querySelector("[data-correction]");
    if (!piece.question) {
      correction.remove();
      return section;
    }
    const textarea = correction.querySelector("textarea");
    const box = correction.querySelector(".diff");
    textarea.id = `id_${piece.question}`;
    textarea.name = piece.question;
    correction.querySelector("label").htmlFor = textarea.id;
    box.id = `diff_${piece.question}`;
    textarea.setAttribute("aria-describedby", box.id);
    textarea.dataset.original = piece.translation;
    textarea.value = piece.corrected;
    textarea.rows = piece.translation.length > 200 ? 5 : 2;
    return section;
  };

  const fill = (record) => {
    form.setAttribute("action", record.url);
    form.dataset.record = record.id;
    form.elements.shown_at.value = record.shown_at;
    document.querySelector(".my-count").textContent = record.counts;
    form.querySelector(".record-id .badge").textContent = record.external_id;
    const note = form.querySelector("[data-edit-note]");
    if (note) note.remove();
    errorsClear();
    const reasons = form.querySelector("[data-record-reasons]");
    listFill(reasons.querySelector("ul"), record.reasons);
    reasons.hidden = record.reasons.length === 0;
    const pieces = record.pieces.map((piece, index) => pieceBuild(piece, index + 1));
    form.querySelector("[data-pieces]").replaceChildren(...pieces);
    for (const textarea of form.querySelectorAll("[data-pieces] textarea.correction")) watch(textarea);
    for (const fieldset of form.querySelectorAll("fieldset[data-question]")) {
      const value = record.values[fieldset.dataset.question];
      for (const input of fieldset.querySelectorAll("input")) {
        input.checked = Array.isArray(value) ? value.includes(input.value) : input.value === value;
      }
      for (const textarea of fieldset.querySelectorAll("textarea")) textarea.value = value || "";
    }
    form.querySelector('button[data-key="skip"]').hidden = false;
    for (const field of document.querySelectorAll("[data-record-field]")) field.value = record.id;
    for (const field of document.querySelectorAll("[data-record-url]")) field.value = record.url;
    if (window.location.pathname !== form.dataset.nextUrl) {
      window.history.replaceState(null, "", form.dataset.nextUrl);
    }
    // As after a page load: reading starts again at the top, at the new record.
    const start = form.querySelector(".record-id");
    start.tabIndex = -1;
    start.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  };

  let sending = false;
  let native = false;
  const send = async (submitter) => {
    sending = true;
    form.setAttribute("aria-busy", "true");
    // Form-encoded, as the form itself posts: lighter for the server to read than multipart.
    const body = new URLSearchParams(new FormData(form));
    if (submitter && submitter.name) body.set(submitter.name, submitter.value);
    let answer;
    try {
      const response = await fetch(form.getAttribute("action"), {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
      });
      if ((response.headers.get("Content-Type") || "").startsWith("application/json")) {
        answer = await response.json();
      }
    } catch {
      // Offline or cut off: the page and what was typed stay; the volunteer may try again.
      say(form.dataset.failed, "error");
      sending = false;
      form.removeAttribute("aria-busy");
      return;
    }
    if (!answer) {
      // Not an answer for the script (signed out, a refused token, an error page): post the
      // form the ordinary way and let the browser show whatever comes. Answers are idempotent.
      native = true;
      form.requestSubmit(submitter);
      return;
    }
    if (answer.redirect) {
      window.location.assign(answer.redirect);
      return;
    }
    if (answer.errors || answer.error) {
      errorsShow(answer.errors || { "": answer.error });
    } else {
      if (answer.record) fill(answer.record);
      say(answer.message, answer.level);
    }
    sending = false;
    form.removeAttribute("aria-busy");
  };

  form.addEventListener("submit", (event) => {
    if (native || !window.fetch) return;
    event.preventDefault();
    if (!sending) send(event.submitter);
  });
})();
