// Annotate page: keyboard shortcuts and a live word diff of each correction.
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

  for (const textarea of form.querySelectorAll("textarea.correction")) {
    textarea.addEventListener("input", () => render(textarea));
    render(textarea);
  }
})();
