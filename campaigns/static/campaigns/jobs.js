// Background jobs on a page: every running job's box asks for its state each second and moves
// its bar. When the job ends the page goes where the job leads (a new campaign's preview), or
// reloads to show the outcome where the box asks for it (the job's page, the export page), or
// else offers a link to it: a page with forms is never reloaded under someone typing.
const jobWatch = (box) => {
  const bar = box.querySelector(".progress");
  const tick = async () => {
    let state;
    try {
      const response = await fetch(box.dataset.jobStateUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      state = await response.json();
    } catch {
      window.setTimeout(tick, 3000);
      return;
    }
    for (const field of box.querySelectorAll("[data-job]")) {
      const value = state[field.dataset.job];
      if (value !== undefined && value !== null) field.textContent = value;
    }
    if (state.percent === null) {
      bar.removeAttribute("aria-valuenow");
    } else {
      bar.setAttribute("aria-valuenow", String(state.percent));
      bar.querySelector("span").style.width = `${state.percent}%`;
    }
    if (["succeeded", "failed", "cancelled"].includes(state.status)) {
      if (state.next_url) {
        window.location.assign(state.next_url);
      } else if (box.dataset.jobReload !== undefined) {
        window.location.reload();
      } else {
        box.querySelector("form")?.remove();
        box.querySelector("[data-job-outcome]")?.removeAttribute("hidden");
      }
      return;
    }
    window.setTimeout(tick, 1000);
  };
  window.setTimeout(tick, 500);
};

const jobsWatch = () => {
  for (const box of document.querySelectorAll("[data-job-running][data-job-state-url]")) jobWatch(box);
};
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", jobsWatch);
} else {
  jobsWatch();
}
