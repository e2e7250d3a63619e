// journeyline admin screens: the Copy buttons next to a tracker tag or a secret. Without
// JavaScript the buttons stay hidden and the text is there to select by hand.

async function copy(button) {
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent);
  } catch {
    const range = document.createRange(); // no clipboard access: select it for the user
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return;
  }
  const status = document.getElementById("live-status");
  if (status) status.textContent = button.dataset.copied || "";
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", () => copy(button));
}
