// Ask before irreversible actions: forms carrying data-confirm="question".
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
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
