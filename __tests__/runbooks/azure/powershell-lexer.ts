/**
 * A small PowerShell lexer, enough to check scripts offline where no pwsh exists: it separates
 * code from comments and strings (single, double with `$( )` subexpressions, here-strings),
 * fails on anything left open, and finds unbalanced brackets. It is not a parser: a script that
 * passes can still be wrong, one that fails is certainly broken.
 */

export interface PsString {
  readonly kind: "single" | "double" | "here-single" | "here-double";
  /** Text between the delimiters. */
  readonly text: string;
  readonly line: number;
}

export interface LexedScript {
  /** The source with comments and string contents blanked (same length, newlines kept). */
  readonly code: string;
  /** The source with only comments blanked. */
  readonly withoutComments: string;
  readonly strings: readonly PsString[];
}

export class PsSyntaxError extends Error {}

export function lexPowerShell(source: string): LexedScript {
  const src = source.replace(/\r\n/g, "\n");
  const code = src.split("");
  const withoutComments = src.split("");
  const strings: PsString[] = [];
  const lineAt = (i: number) => src.slice(0, i).split("\n").length;
  const blank = (target: string[], from: number, to: number) => {
    for (let k = from; k < to; k++) if (target[k] !== "\n") target[k] = " ";
  };

  // Scans code from i until `close` (")" of a subexpression) or the end; returns the index after it.
  function scanCode(start: number, close: string | null): number {
    let i = start;
    let depth = 0;
    while (i < src.length) {
      const c = src[i]!;
      const prev = i > 0 ? src[i - 1]! : "\n";
      if (c === "`") {
        i += 2;
        continue;
      }
      if (c === "<" && src[i + 1] === "#") {
        const end = src.indexOf("#>", i + 2);
        if (end < 0) throw new PsSyntaxError(`line ${lineAt(i)}: block comment <# is never closed`);
        blank(code, i, end + 2);
        blank(withoutComments, i, end + 2);
        i = end + 2;
        continue;
      }
      if (c === "#" && /[\s;({]/.test(prev)) {
        const end = src.indexOf("\n", i);
        const stop = end < 0 ? src.length : end;
        blank(code, i, stop);
        blank(withoutComments, i, stop);
        i = stop;
        continue;
      }
      if (c === "@" && (src[i + 1] === "'" || src[i + 1] === '"') && /^[ \t]*\n/.test(src.slice(i + 2))) {
        const quote = src[i + 1]!;
        const bodyStart = src.indexOf("\n", i) + 1;
        const terminator = new RegExp(`^${quote}@`, "m");
        const rest = src.slice(bodyStart);
        const m = terminator.exec(rest);
        if (!m)
          throw new PsSyntaxError(
            `line ${lineAt(i)}: here-string @${quote} is never closed by a line starting with ${quote}@`,
          );
        const bodyEnd = bodyStart + m.index;
        strings.push({
          kind: quote === "'" ? "here-single" : "here-double",
          text: src.slice(bodyStart, Math.max(bodyStart, bodyEnd - 1)),
          line: lineAt(i),
        });
        blank(code, i + 2, bodyEnd);
        i = bodyEnd + 2;
        continue;
      }
      if (c === "'") {
        let j = i + 1;
        for (;;) {
          const k = src.indexOf("'", j);
          if (k < 0) throw new PsSyntaxError(`line ${lineAt(i)}: string ' is never closed`);
          if (src[k + 1] === "'") {
            j = k + 2;
            continue;
          }
          strings.push({ kind: "single", text: src.slice(i + 1, k), line: lineAt(i) });
          blank(code, i + 1, k);
          i = k + 1;
          break;
        }
        continue;
      }
      if (c === '"') {
        const end = scanDouble(i + 1);
        strings.push({ kind: "double", text: src.slice(i + 1, end - 1), line: lineAt(i) });
        blank(code, i + 1, end - 1);
        i = end;
        continue;
      }
      if (close !== null) {
        if (c === "(") depth++;
        if (c === ")") {
          if (depth === 0) return i + 1;
          depth--;
        }
      }
      i++;
    }
    if (close !== null) throw new PsSyntaxError(`line ${lineAt(start)}: subexpression $( is never closed`);
    return i;
  }

  // Scans a double-quoted string body from i; returns the index after its closing quote.
  function scanDouble(start: number): number {
    let i = start;
    while (i < src.length) {
      const c = src[i]!;
      if (c === "`") {
        i += 2;
        continue;
      }
      if (c === '"') {
        if (src[i + 1] === '"') {
          i += 2;
          continue;
        }
        return i + 1;
      }
      if (c === "$" && src[i + 1] === "(") {
        i = scanCode(i + 2, ")");
        continue;
      }
      i++;
    }
    throw new PsSyntaxError(`line ${lineAt(start)}: string " is never closed`);
  }

  scanCode(0, null);
  const codeText = code.join("");
  checkBrackets(codeText, lineAt);
  return { code: codeText, withoutComments: withoutComments.join(""), strings };
}

function checkBrackets(code: string, lineAt: (i: number) => number): void {
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  const stack: { ch: string; at: number }[] = [];
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (c === "`") {
      i++;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") stack.push({ ch: c, at: i });
    else if (c === ")" || c === "]" || c === "}") {
      const open = stack.pop();
      if (!open || open.ch !== pairs[c]) {
        throw new PsSyntaxError(
          `line ${lineAt(i)}: '${c}' closes ${open ? `'${open.ch}' opened on line ${lineAt(open.at)}` : "nothing"}`,
        );
      }
    }
  }
  const open = stack.pop();
  if (open) throw new PsSyntaxError(`line ${lineAt(open.at)}: '${open.ch}' is never closed`);
}

export interface PsParameter {
  readonly name: string;
  readonly mandatory: boolean;
  readonly type: string | null;
  readonly validateSet: readonly string[] | null;
  readonly defaultValue: string | null;
}

/** The script's top-level param( ... ) block: null when the first statement is not one. */
export function scriptParameters(source: string): PsParameter[] | null {
  const lexed = lexPowerShell(source);
  const m = /^\s*param\s*\(/i.exec(lexed.code);
  if (!m) return null;
  const open = m.index + m[0].length - 1;
  const close = matchingParen(lexed.code, open);
  const text = source.replace(/\r\n/g, "\n").slice(open + 1, close);
  const codeText = lexed.code.slice(open + 1, close);
  return splitTopLevel(codeText).map(([from, to]) => {
    const decl = text.slice(from, to);
    const name = /\$([A-Za-z][A-Za-z0-9]*)/.exec(decl);
    if (!name) throw new PsSyntaxError(`parameter declaration without a variable: ${decl.trim()}`);
    const set = /\[ValidateSet\(([^)]*)\)\]/i.exec(decl);
    const types = [...decl.matchAll(/\[([A-Za-z][A-Za-z0-9.]*)\]/g)].map((t) => t[1]!);
    const def = /\$[A-Za-z][A-Za-z0-9]*\s*=\s*(.+)$/s.exec(decl);
    return {
      name: name[1]!,
      mandatory: /\[Parameter\([^)]*Mandatory/i.test(decl),
      type: types.length > 0 ? types[types.length - 1]! : null,
      validateSet: set ? set[1]!.split(",").map((v) => v.trim().replace(/^'|'$/g, "")) : null,
      defaultValue: def ? def[1]!.trim() : null,
    };
  });
}

/** Index of the ")" matching the "(" at `open` in a lexed code view. */
export function matchingParen(code: string, open: number): number {
  return matchingBracket(code, open, "(", ")");
}

export function matchingBracket(code: string, open: number, openCh: string, closeCh: string): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === openCh) depth++;
    else if (code[i] === closeCh) {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new PsSyntaxError(`unclosed ${openCh} at ${open}`);
}

function splitTopLevel(code: string): [number, number][] {
  const parts: [number, number][] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (c === "," && depth === 0) {
      parts.push([start, i]);
      start = i + 1;
    }
  }
  if (code.slice(start).trim() !== "") parts.push([start, code.length]);
  return parts.filter(([a, b]) => code.slice(a, b).trim() !== "");
}

/** Every `function Name { body }` of a script: name and body text (comments blanked). */
export function scriptFunctions(source: string): { name: string; body: string }[] {
  const lexed = lexPowerShell(source);
  const out: { name: string; body: string }[] = [];
  for (const m of lexed.code.matchAll(/\bfunction\s+([A-Za-z][\w-]*)\s*\{/gi)) {
    const open = m.index! + m[0].length - 1;
    const close = matchingBracket(lexed.code, open, "{", "}");
    out.push({ name: m[1]!, body: lexed.withoutComments.slice(open + 1, close) });
  }
  return out;
}
