// Live dashboard: numbers and the ranking follow the campaign's websocket group.
(() => {
  const root = document.getElementById("live-dashboard");
  if (!root) return;
  const status = root.querySelector("[data-live-status]");
  const number = new Intl.NumberFormat(document.documentElement.lang || "es");

  const tabs = [...root.querySelectorAll("[data-tab]")];
  const select = (tab) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.dataset.tab).hidden = !selected;
    }
  };
  // The WAI-ARIA tabs pattern: one tab in the Tab order, arrows, Home and End move between them.
  const moves = {
    ArrowRight: (index) => (index + 1) % tabs.length,
    ArrowLeft: (index) => (index - 1 + tabs.length) % tabs.length,
    Home: () => 0,
    End: () => tabs.length - 1,
  };
  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      const next = tabs[move(tabs.indexOf(tab))];
      select(next);
      next.focus();
    });
  }

  const renderRanking = (rows) => {
    const body = root.querySelector("[data-live-ranking]");
    if (!body) return;
    body.replaceChildren();
    if (!rows.length) {
      const row = body.insertRow();
      const cell = row.insertCell();
      cell.colSpan = 4;
      cell.textContent = root.dataset.empty;
      return;
    }
    for (const item of rows) {
      const row = body.insertRow();
      for (const value of [item.rank, item.display_name, number.format(item.submitted), number.format(item.corrections)]) {
        row.insertCell().textContent = value;
      }
    }
  };

  const apply = (progress) => {
    for (const element of root.querySelectorAll("[data-live]")) {
      const value = progress[element.dataset.live];
      if (value !== undefined) element.textContent = number.format(value);
    }
    const bar = root.querySelector("[data-live-bar]");
    if (bar) {
      bar.style.width = `${progress.percent_completed}%`;
      bar.parentElement.setAttribute("aria-valuenow", String(progress.percent_completed));
    }
    if (progress.ranking) renderRanking(progress.ranking);
    root.dataset.updates = String(Number(root.dataset.updates || 0) + 1);
  };

  let delay = 1000;
  const connect = () => {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}${root.dataset.socket}`);
    socket.addEventListener("open", () => {
      delay = 1000;
      status.textContent = status.dataset.on;
      status.classList.add("on");
      root.dataset.connected = "true";
    });
    socket.addEventListener("message", (event) => apply(JSON.parse(event.data)));
    socket.addEventListener("close", () => {
      status.textContent = status.dataset.off;
      status.classList.remove("on");
      root.dataset.connected = "false";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };
  connect();
})();
