/**
 * A small XML well-formedness check (XML 1.0 §2.1, §2.8, §3.1): one root element, tags nested and
 * closed, attributes quoted and not repeated, only the five predefined entities or character
 * references, no characters XML cannot hold. Enough to prove our SVG parses; not a validator.
 */
export function checkWellFormed(doc: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(doc)) return 'character not allowed in XML';
  let s = doc.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const NAME = '[A-Za-z_:][-A-Za-z0-9_:.]*';
  const tag = new RegExp(`^<(/?)(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(/?)>`);
  while (s.length > 0) {
    const lt = s.indexOf('<');
    const text = lt < 0 ? s : s.slice(0, lt);
    const bad = checkText(text);
    if (bad) return bad;
    if (lt < 0) {
      if (text.trim() && stack.length === 0) return 'text outside the root element';
      break;
    }
    s = s.slice(lt);
    if (s.startsWith('<!--')) {
      const end = s.indexOf('-->');
      if (end < 0) return 'unclosed comment';
      s = s.slice(end + 3);
      continue;
    }
    const m = tag.exec(s);
    if (!m) return `bad tag near ${JSON.stringify(s.slice(0, 40))}`;
    const [all, close, name, attrs, selfClose] = m;
    const seen = new Set<string>();
    for (const a of attrs!.matchAll(new RegExp(`(${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g'))) {
      if (seen.has(a[1]!)) return `attribute ${a[1]} repeated`;
      seen.add(a[1]!);
      const bad2 = checkText(a[2] ?? a[3] ?? '');
      if (bad2) return bad2;
    }
    if (close) {
      if (stack.pop() !== name) return `</${name}> does not close the open element`;
    } else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
    s = s.slice(all!.length);
  }
  if (stack.length) return `unclosed <${stack[stack.length - 1]}>`;
  if (roots !== 1) return `${roots} root elements`;
  return undefined;
}

function checkText(t: string): string | undefined {
  for (const m of t.matchAll(/&([^;\s]*);?/g)) {
    if (!m[0].endsWith(';')) return `bare & in ${JSON.stringify(t.slice(0, 40))}`;
    if (!/^(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+)$/.test(m[1]!)) return `unknown entity &${m[1]};`;
  }
  if (t.includes('>') && t.includes(']]>')) return ']]> in text';
  return undefined;
}
