// Enhancements only: every page works without this file.
// A form with data-confirm asks before it is sent (bulk actions, stopping a broadcast).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
