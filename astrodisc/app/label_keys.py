"""Labeling at keyboard speed: a component that owns the Label page's keys and sends one action per label.

Keys (read by their physical position, ``KeyboardEvent.code``, so any keyboard layout works):

    1-9, 0        the class listed under that number (the dataset's first ten classes)
    Shift+0-5     interest 0-5
    Enter         save the class, interest and note chosen (refused without a class: nothing saved by accident)
    u  unsure · n  skip · b  back to the previous object of this session · z  undo the last label

The class and interest chosen are kept in the browser and shown at once; nothing reaches the server until
Enter (or u, n, b, z), so a label costs one rerun, and a class typed fast is never lost between reruns: after
an action the keys wait for the next object (the panel says so) rather than apply to the wrong one. Keys typed
in a text field (the note, a new class name) stay there, except Enter, which saves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

CLASS_KEYS = "1234567890"  # the n-th class's key
INTEREST_KEYS = 6  # Shift+0 ... Shift+5

_HTML = """<div class="astrodisc-label-keys">
<div class="chosen" aria-live="polite"></div>
<div class="row"><input class="new-class" placeholder="or a new class name" aria-label="Keyboard panel: new class name">
<input class="note" placeholder="note" aria-label="Keyboard panel: note"></div>
<div class="legend"></div>
</div>"""

_CSS = """
.astrodisc-label-keys { border: 1px solid var(--st-border-color); border-radius: var(--st-base-radius);
  padding: 0.5rem 0.75rem; }
.astrodisc-label-keys .chosen { font-size: 1.05rem; margin-bottom: 0.35rem; }
.astrodisc-label-keys .chosen b { color: var(--st-primary-color); }
.astrodisc-label-keys .chosen .wait { opacity: 0.6; }
.astrodisc-label-keys .row { display: flex; gap: 0.5rem; margin-bottom: 0.35rem; }
.astrodisc-label-keys input { flex: 1; min-width: 0; box-sizing: border-box; font: inherit;
  padding: 0.2rem 0.4rem; color: var(--st-text-color);
  background: var(--st-secondary-background-color); border: 1px solid var(--st-border-color);
  border-radius: var(--st-base-radius); }
.astrodisc-label-keys .legend { font-size: 0.8rem; opacity: 0.8; line-height: 1.5; }
.astrodisc-label-keys kbd { font: inherit; border: 1px solid var(--st-border-color); border-radius: 3px;
  padding: 0 0.25rem; }
"""

_JS = """
const esc = s => String(s).replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;',
  "'": '&#39;'})[c]);

export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  const root = parentElement.querySelector('.astrodisc-label-keys');
  const chosen = root.querySelector('.chosen'), legend = root.querySelector('.legend');
  const newClass = root.querySelector('.new-class'), note = root.querySelector('.note');
  if (root.__object !== data.object_id) {  // a new object: a fresh choice
    root.__object = data.object_id;
    root.__state = { label: data.label, interest: data.interest, busy: false, said: '' };
    newClass.value = ''; note.value = data.note || '';
  }
  const state = root.__state;
  const show = () => {
    const label = newClass.value.trim() || state.label;
    chosen.innerHTML = state.busy ? '<span class="wait">saved — the next object is coming…</span>' :
      `class <b>${label ? esc(label) : '—'}</b> · interest <b>${state.interest ?? '—'}</b>` +
      (state.said ? ` · <span class="wait">${esc(state.said)}</span>` : '');
  };
  legend.innerHTML = data.classes.map((c, i) => `<kbd>${'1234567890'[i]}</kbd> ${esc(c)}`).join(' · ') +
    '<br><kbd>Shift</kbd>+<kbd>0</kbd>–<kbd>5</kbd> interest · <kbd>Enter</kbd> save · <kbd>u</kbd> unsure · ' +
    '<kbd>n</kbd> skip · <kbd>b</kbd> back · <kbd>z</kbd> undo';
  const send = kind => {
    const label = newClass.value.trim() || state.label;
    if (kind === 'save' && !label) { state.said = 'choose a class first (1–9, 0 or a new name)'; show(); return; }
    state.busy = true; show();
    setTriggerValue('action', { kind, object_id: data.object_id, label: label || null,
      interest: state.interest, note: note.value });
  };
  root.__onKey = event => {
    if (!root.isConnected || event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.closest && event.target.closest('input, textarea, [contenteditable]');
    if (typing && event.key !== 'Enter') return;  // a note or a name being typed
    if (typing && !root.contains(event.target)) return;  // another field of the page (the sidebar)
    if (state.busy) { event.preventDefault(); return; }
    const digit = /^Digit([0-9])$/.exec(event.code);
    let handled = true;
    if (digit && event.shiftKey) {
      const score = Number(digit[1]);
      if (score < 6) { state.interest = score; state.said = ''; } else handled = false;
    } else if (digit) {
      const index = '1234567890'.indexOf(digit[1]);
      if (index < data.classes.length) { state.label = data.classes[index]; newClass.value = ''; state.said = ''; }
      else handled = false;
    } else if (event.key === 'Enter') send('save');
    else if (event.code === 'KeyU') send('unsure');
    else if (event.code === 'KeyN') send('skip');
    else if (event.code === 'KeyB') send('back');
    else if (event.code === 'KeyZ') send('undo');
    else handled = false;
    if (handled) { event.preventDefault(); event.stopPropagation(); show(); }
  };
  newClass.oninput = show;
  if (!window.__astrodiscLabelKeys) {  // one listener per page; it calls the latest component's handler
    window.__astrodiscLabelKeys = true;
    document.addEventListener('keydown', event => {
      const panel = document.querySelector('.astrodisc-label-keys');
      if (panel && panel.__onKey) panel.__onKey(event);
    }, true);
  }
  show();
}
"""

_COMPONENT = st.components.v2.component("astrodisc_label_keys", html=_HTML, css=_CSS, js=_JS, isolate_styles=False)


def label_keys(
    key: str,
    object_id: str,
    classes: Sequence[str],
    on_action: Callable[[dict[str, Any]], None],
    known: dict[str, Any] | None = None,
) -> None:
    """The keyboard panel for ``object_id`` with ``classes`` on keys 1-9, 0; ``known`` (label, interest, note)
    prefills the choice (an object revisited with b). ``on_action(action)`` runs, before the page's next run,
    with ``{"kind": "save" | "unsure" | "skip" | "back" | "undo", "object_id", "label", "interest", "note"}``."""

    def acted() -> None:
        action = st.session_state[key].get("action")
        if action:
            on_action(dict(action))

    known = known or {}
    data = {
        "object_id": object_id,
        "classes": list(classes)[: len(CLASS_KEYS)],
        "label": known.get("label"),
        "interest": known.get("interest"),
        "note": known.get("note") or "",
    }
    _COMPONENT(key=key, data=data, on_action_change=acted)
