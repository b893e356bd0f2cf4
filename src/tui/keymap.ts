/**
 * The keys of the normal mode, in one table: the app dispatches from it and the help screen (`?`)
 * is generated from it, so the help can never list a key that does nothing or miss one that does.
 * Names are blessed's key names (`key.full`).
 */
export type Action =
  | 'up'
  | 'down'
  | 'pageUp'
  | 'pageDown'
  | 'home'
  | 'end'
  | 'nextPane'
  | 'prevPane'
  | 'toggle'
  | 'filter'
  | 'jump'
  | 'note'
  | 'write'
  | 'help'
  | 'search'
  | 'searchNext'
  | 'searchPrev'
  | 'connections'
  | 'messages'
  | 'ladder'
  | 'follow'
  | 'graphs'
  | 'direction'
  | 'scope'
  | 'ladderPane'
  | 'back'
  | 'quit';

export interface Binding {
  keys: readonly string[];
  /** How the help shows the keys. */
  label: string;
  action: Action;
  help: string;
}

export const KEYMAP: readonly Binding[] = [
  { keys: ['up', 'k'], label: '↑ k', action: 'up', help: 'previous packet (or tree row / hex line in those panes)' },
  { keys: ['down', 'j'], label: '↓ j', action: 'down', help: 'next packet (or tree row / hex line)' },
  { keys: ['pageup'], label: 'PgUp', action: 'pageUp', help: 'one screen up' },
  { keys: ['pagedown'], label: 'PgDn', action: 'pageDown', help: 'one screen down' },
  { keys: ['home'], label: 'Home', action: 'home', help: 'first packet' },
  { keys: ['end', 'S-g'], label: 'End G', action: 'end', help: 'last packet, and follow the tail' },
  { keys: ['tab'], label: 'Tab', action: 'nextPane', help: 'next pane: packet list → layer tree → hex; graphs: next graph' },
  { keys: ['S-tab'], label: 'S-Tab', action: 'prevPane', help: 'previous pane; graphs: previous graph' },
  { keys: ['enter', 'space', 'right', 'left'], label: 'Enter ←→', action: 'toggle', help: 'open/close a layer; connections: narrow; messages: go to frame' },
  { keys: ['/'], label: '/', action: 'filter', help: 'display filter (Enter applies, empty clears, Esc cancels)' },
  { keys: [':'], label: ':', action: 'jump', help: 'jump to a frame number' },
  { keys: ['s'], label: 's', action: 'search', help: 'search text (columns or bytes) or hex bytes: 0x4500, 45 00' },
  { keys: ['S-n'], label: 'N', action: 'searchNext', help: 'next match of the last search' },
  { keys: ['S-p'], label: 'P', action: 'searchPrev', help: 'previous match of the last search' },
  { keys: ['n'], label: 'n', action: 'note', help: 'add or edit a note on the selected packet' },
  { keys: ['w'], label: 'w', action: 'write', help: 'write the notes to FILE.notes.pcapng (packet comments)' },
  { keys: ['c'], label: 'c', action: 'connections', help: 'connections table (state, history, RTT, retransmissions, bytes)' },
  { keys: ['m'], label: 'm', action: 'messages', help: 'messages: HTTP, WebSocket, SSE, DNS … of the whole trace' },
  { keys: ['l'], label: 'l', action: 'ladder', help: "ladder full screen of the selected packet's TCP connection" },
  { keys: ['f'], label: 'f', action: 'follow', help: "follow stream: the selected packet's TCP payload as text" },
  { keys: ['g'], label: 'g', action: 'graphs', help: "graphs of the selected packet's TCP stream: seq, throughput, RTT" },
  { keys: ['d'], label: 'd', action: 'direction', help: "graphs: the sequence graph's other direction" },
  { keys: ['a'], label: 'a', action: 'scope', help: "messages: the selected packet's TCP stream only, or all" },
  { keys: ['S-l'], label: 'L', action: 'ladderPane', help: 'ladder pane on/off (shown by itself from 160 columns)' },
  { keys: ['escape'], label: 'Esc', action: 'back', help: 'close the view (its own key closes it too)' },
  { keys: ['?', 'h'], label: '? h', action: 'help', help: 'this help (any key closes it)' },
  { keys: ['q', 'C-c'], label: 'q C-c', action: 'quit', help: 'quit' },
];

/** The action bound to a key name, if any. */
export function actionFor(key: string): Action | undefined {
  for (const b of KEYMAP) if (b.keys.includes(key)) return b.action;
  return undefined;
}

/** The help screen's lines. */
export function helpLines(): string[] {
  const w = Math.max(...KEYMAP.map((b) => b.label.length));
  return [
    'wirelens — keys',
    '',
    ...KEYMAP.map((b) => `  ${b.label.padEnd(w)}  ${b.help}`),
    '',
    'In a prompt: type, Backspace deletes, Enter submits, Esc cancels.',
    'Mouse: a click selects a row (or the ladder line of a frame) and focuses its',
    'pane; the wheel scrolls the list, the tree, the dump or the view.',
  ];
}
