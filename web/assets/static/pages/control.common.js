// Helpers shared by the control panel's parts.

/** running reports whether a session occupies its rooms (sign-in to its end). */
export const running = (phase) => phase === 'signin' || phase === 'evaluating' || phase === 'paused';

/** phaseClass is the badge class of a phase. */
export function phaseClass(p) {
  return { signin: 'info', evaluating: 'ok', paused: 'warn', aborted: 'err' }[p] || '';
}

/** roomLabel names a room for people: "第一评标室（JS-NJ）". */
export const roomLabel = (r) => (r ? `${r.name}（${r.venue_code}）` : '');

/** card makes a titled card section. */
export function card(h, id, title, ...children) {
  return h('section', { class: 'card', id }, h('h2', { text: title }), ...children);
}
