// Copy buttons: shown only where the Clipboard API is available; without JavaScript the
// read-only fields can still be selected and copied by hand.
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copy);
      if (!field) return;
      try {
        await navigator.clipboard.writeText(field.value);
        button.textContent = "Copied";
        button.classList.add("copied");
        button.setAttribute("aria-live", "polite");
      } catch {
        field.select();
      }
    });
  }
});
