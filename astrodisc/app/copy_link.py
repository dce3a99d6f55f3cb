"""A "Copy link" button: puts the page's address, which holds the whole view (``astrodisc.app.view_link``), on
the clipboard, in the browser, without a rerun.

The Clipboard API needs a secure context (https or localhost); elsewhere (a demo served over plain http) the
button falls back to a hidden text field and ``document.execCommand('copy')``, and if that is refused too it
shows the address selected in a text field for the person to copy.
"""

from __future__ import annotations

import streamlit as st

_HTML = """<div class="astrodisc-copy-link">
<button type="button" title="Copy the address of this view: whoever opens it sees the same view">Copy link</button>
<span class="outcome" aria-live="polite"></span>
<input class="fallback" readonly hidden aria-label="Address of this view">
</div>"""

_CSS = """
.astrodisc-copy-link button {
  font: inherit; padding: 0.25rem 0.75rem; border-radius: var(--st-base-radius);
  border: 1px solid var(--st-border-color); background: var(--st-secondary-background-color);
  color: var(--st-text-color); cursor: pointer;
}
.astrodisc-copy-link .outcome { margin-left: 0.5rem; font-size: 0.85rem; opacity: 0.8; }
.astrodisc-copy-link .fallback { width: 100%; margin-top: 0.25rem; }
"""

_JS = """
function copiedByCommand(text) {
  const field = document.createElement('textarea');
  field.value = text; field.style.cssText = 'position:fixed;opacity:0;';
  document.body.appendChild(field); field.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch (err) { ok = false; }
  field.remove();
  return ok;
}

export default function (component) {
  const root = component.parentElement;
  const button = root.querySelector('button'), outcome = root.querySelector('.outcome');
  const fallback = root.querySelector('.fallback');
  button.onclick = async () => {
    const address = window.location.href;
    let ok = false;
    if (navigator.clipboard && window.isSecureContext) {
      try { await navigator.clipboard.writeText(address); ok = true; } catch (err) { ok = false; }
    }
    ok = ok || copiedByCommand(address);
    outcome.textContent = ok ? 'Link copied' : 'Copy this address:';
    fallback.hidden = ok;
    if (!ok) { fallback.value = address; fallback.select(); }
  };
}
"""

_COMPONENT = st.components.v2.component("astrodisc_copy_link", html=_HTML, css=_CSS, js=_JS, isolate_styles=False)


def copy_link_button(key: str = "copy_link") -> None:
    """Draw the button (no state, no rerun: the address is read in the browser when it is clicked)."""
    _COMPONENT(key=key)
