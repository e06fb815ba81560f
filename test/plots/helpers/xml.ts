/**
 * A strict little XML parser for the tests: it throws on anything that is not
 * well-formed (unbalanced or crossed tags, unquoted or repeated attributes,
 * a bare '<' or '&' in text, unknown entities), and returns the element tree
 * so tests can look for the elements a chart must have.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text, entities decoded. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  if (/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(raw)) throw new Error(`bare '<' or '&' or unknown entity near offset ${where}: ${raw.slice(0, 60)}`);
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : ENTITIES[e]!,
  );
}

export function parseXml(source: string): XmlElement {
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>/y;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let i = 0;
  while (i < source.length) {
    const next = source.indexOf('<', i);
    const textEnd = next === -1 ? source.length : next;
    const raw = source.slice(i, textEnd);
    if (raw.trim()) {
      if (stack.length === 0) throw new Error(`text outside the root element at ${i}`);
      stack.at(-1)!.text += decode(raw, i);
    }
    if (next === -1) break;
    tag.lastIndex = next;
    const m = tag.exec(source);
    if (!m) throw new Error(`malformed markup at offset ${next}: ${source.slice(next, next + 60)}`);
    i = tag.lastIndex;
    if (!m[2]) continue; // comment or processing instruction
    const [, closing, name, attrText, selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}> at offset ${next}`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      if (a[1]! in attrs) throw new Error(`attribute ${a[1]} repeated on <${name}>`);
      attrs[a[1]!] = decode(a[2] ?? a[3]!, next);
    }
    const el: XmlElement = { name: name!, attrs, children: [], text: '' };
    if (stack.length) stack.at(-1)!.children.push(el);
    else if (root) throw new Error('a second root element');
    else root = el;
    if (!selfClosing) stack.push(el);
  }
  if (stack.length) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element of the tree with this name, depth first. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => findAll(c, name))];
}

/** All text of the tree, concatenated. */
export function allText(el: XmlElement): string {
  return el.text + el.children.map(allText).join(' ');
}
