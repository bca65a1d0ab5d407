// Broadcasts: enhancements only (the page works without this file).
// 1. The compose form's recipient count follows the audience fields live.
// 2. A broadcast being sent: its progress is polled every 2 s until it is finished.
(() => {
  const form = document.getElementById("compose");
  if (form) {
    const out = document.getElementById("recipients");
    const update = async () => {
      const params = new URLSearchParams();
      for (const name of ["kind", "district", "interest", "event"]) {
        params.set(name, form.elements[name].value);
      }
      const response = await fetch("/broadcasts/count.json?" + params, { credentials: "same-origin" });
      if (response.ok) {
        const data = await response.json();
        out.textContent = data.text;
      }
    };
    for (const name of ["kind", "district", "interest", "event"]) {
      form.elements[name].addEventListener("change", update);
    }
  }
  const box = document.getElementById("progress");
  if (box && box.dataset.live) {
    const bar = document.getElementById("bc-bar");
    const percent = document.getElementById("bc-percent");
    const status = document.getElementById("bc-status");
    const poll = async () => {
      const response = await fetch(box.dataset.src, { credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      bar.value = data.percent;
      bar.textContent = data.percent + "%";
      percent.textContent = data.percent_text;
      status.textContent = data.status_text;
      for (const [key, n] of Object.entries(data.counts)) {
        const cell = box.querySelector(`[data-outcome="${key}"]`);
        if (cell) cell.textContent = String(n);
      }
      if (data.live) setTimeout(poll, 2000);
    };
    setTimeout(poll, 2000);
  }
})();
