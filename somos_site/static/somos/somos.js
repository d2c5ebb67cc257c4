// Ask before irreversible actions: forms carrying data-confirm="question".
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A form is sent once while its page waits for the answer: a double click would otherwise start
// two exports or file one thing twice. Forms a script sends itself (the annotate page's, which
// cancel the browser's own sending) are left to that script. After a few seconds the form may
// be sent again, for an answer that leaves the page where it is (a download, a lost request).
const SENT_AGAIN_AFTER_MS = 5000;
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || form.method !== "post") return;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "true";
  window.setTimeout(() => delete form.dataset.sending, SENT_AGAIN_AFTER_MS);
});
// Back to a page the browser kept: its forms may be sent again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const form of document.querySelectorAll("form[data-sending]")) delete form.dataset.sending;
});

// Progress bars (from aria-valuenow) and Dash's chart boxes (from data-height, or data-ratio of
// the width) are sized here: the Content-Security-Policy refuses style attributes written in
// the page, not styles set from a script.
const sizeBoxes = () => {
  for (const bar of document.querySelectorAll(".progress[aria-valuenow] > span")) {
    const percent = Number.parseFloat(bar.parentElement.getAttribute("aria-valuenow").replace(",", "."));
    if (Number.isFinite(percent)) bar.style.width = `${Math.min(Math.max(percent, 0), 100)}%`;
  }
  for (const box of document.querySelectorAll(".dash-app")) {
    if (box.dataset.height) {
      box.style.height = box.dataset.height;
    } else {
      box.style.paddingBottom = `${Number.parseFloat(box.dataset.ratio) * 100}%`;
    }
  }
};
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", sizeBoxes);
} else {
  sizeBoxes();
}
