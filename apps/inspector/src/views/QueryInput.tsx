import { parseQuery, QUERY_EXAMPLES, QUERY_FIELDS, QueryError, shortMethodName, suggest, type Completion } from '@kvtrace/trace';
import { useCallback, useMemo, useRef, useState, type RefObject } from 'react';
import { useDismiss } from './use-dismiss.ts';

interface Props {
  /** The query as typed (the filter applies it once it parses). */
  value: string;
  onInput(text: string): void;
  /** Apply now (Enter, a picked example). */
  onApply(text: string): void;
  /** Qualnames of the trace, for method completion. */
  methods: readonly string[];
  /** Server names when several traces are open, for `server:` completion. */
  servers?: readonly string[];
  /** An error the analyzer found (compile errors: an unknown method, `dur` without spans). */
  remoteError: string | null;
  inputRef: RefObject<HTMLInputElement | null>;
}

/** Where a query error is: the parser's offsets, or the column an analyzer message names. */
export function queryErrorOf(text: string, remote: string | null): { reason: string; start: number; end: number } | null {
  try {
    parseQuery(text);
  } catch (e) {
    if (e instanceof QueryError) return { reason: e.reason, start: e.start, end: e.end };
    throw e;
  }
  if (remote === null) return null;
  const m = /^(?:\w*Error: )?([\s\S]*) \(column (\d+)\)$/.exec(remote);
  if (!m) return null;
  const start = Math.min(text.length, Number(m[2]) - 1);
  let end = start;
  while (end < text.length && !/\s/.test(text[end]!)) end++;
  return { reason: m[1]!, start, end: Math.max(end, start + 1) };
}

/**
 * The query box: the language of libs/trace's analyze/query (field names and methods completed as
 * you type, Ctrl+Space lists every field), an error shown under the part it is about, and a help
 * popover with the fields and clickable examples.
 */
export function QueryInput({ value, onInput, onApply, methods, servers = [], remoteError, inputRef }: Props) {
  const [completion, setCompletion] = useState<Completion | null>(null);
  const [active, setActive] = useState(0);
  const [help, setHelp] = useState(false);
  const helpRef = useRef<HTMLDivElement>(null);
  const closeHelp = useCallback(() => setHelp(false), []);
  useDismiss(help, helpRef, closeHelp);
  const shortNames = useMemo(() => methods.map(shortMethodName), [methods]);
  const error = useMemo(() => queryErrorOf(value, remoteError), [value, remoteError]);

  const complete = (text: string, cursor: number, explicit = false) => {
    setCompletion(suggest(text, cursor, shortNames, explicit, servers));
    setActive(0);
  };
  const accept = (i: number) => {
    const c = completion;
    const it = c?.items[i];
    const input = inputRef.current;
    if (!c || !it || !input) return;
    const next = value.slice(0, c.from) + it.insert + value.slice(c.to);
    const caret = c.from + it.insert.length;
    onInput(next);
    setCompletion(null);
    requestAnimationFrame(() => {
      input.setSelectionRange(caret, caret);
      // A field name asks for its value next: offer the methods after `method:`, the servers after `server:`.
      complete(next, caret);
    });
  };

  return (
    <div className="query" ref={helpRef}>
      <input
        ref={inputRef}
        className="filter-text"
        type="search"
        placeholder="Query: method:reserve_write keys>16 · #c217f27c · model:llama AND t>2.5s   (press ? for help)"
        aria-label="Argument query"
        aria-invalid={error !== null}
        aria-autocomplete="list"
        aria-expanded={completion !== null}
        aria-controls="query-suggestions"
        aria-activedescendant={completion ? `query-suggestion-${active}` : undefined}
        value={value}
        spellCheck={false}
        autoComplete="off"
        onChange={(e) => {
          onInput(e.currentTarget.value);
          complete(e.currentTarget.value, e.currentTarget.selectionStart ?? e.currentTarget.value.length);
        }}
        onBlur={() => setCompletion(null)}
        onKeyDown={(e) => {
          const c = completion;
          if (e.key === ' ' && e.ctrlKey) {
            e.preventDefault();
            complete(value, e.currentTarget.selectionStart ?? value.length, true);
          } else if (c && e.key === 'ArrowDown') {
            e.preventDefault();
            setActive((active + 1) % c.items.length);
          } else if (c && e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((active - 1 + c.items.length) % c.items.length);
          } else if (c && (e.key === 'Tab' || e.key === 'Enter')) {
            e.preventDefault();
            accept(active);
          } else if (e.key === 'Escape' && c) {
            e.preventDefault();
            e.stopPropagation();
            setCompletion(null);
          } else if (e.key === 'Enter') {
            onApply(value);
          }
        }}
      />
      <button type="button" className="btn btn-icon query-help-btn" aria-label="Query syntax" aria-expanded={help} title="Query syntax and examples" onClick={() => setHelp(!help)} data-testid="query-help-button">
        ?
      </button>
      {completion && (
        <ul className="menu-list query-suggestions" role="listbox" id="query-suggestions" aria-label="Suggestions" data-testid="query-suggestions">
          {completion.items.map((it, i) => (
            <li
              key={it.label}
              id={`query-suggestion-${i}`}
              role="option"
              aria-selected={i === active}
              className={`menu-item${i === active ? ' is-active' : ''}`}
              // mousedown, not click: the input's blur would close the list before a click lands.
              onMouseDown={(e) => {
                e.preventDefault();
                accept(i);
              }}
            >
              <span className="mono">{it.label}</span>
              <span className="muted suggestion-detail">{it.detail}</span>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <div className="query-error" role="alert" data-testid="query-error" data-start={error.start} data-end={error.end}>
          <code className="query-echo">
            {value.slice(0, error.start)}
            <mark>{value.slice(error.start, error.end) || ' '}</mark>
            {value.slice(error.end)}
          </code>
          <span>
            column {error.start + 1}: {error.reason}
          </span>
        </div>
      )}
      {help && (
        <div className="menu-list query-help" role="dialog" aria-label="Query syntax" data-testid="query-help">
          <p className="muted">
            Terms side by side must all match; <code>OR</code>, <code>NOT</code> and parentheses combine them; quote values with spaces. A bare word
            matches a hash prefix, a model, a salt, a request id or the argument text.
          </p>
          <table className="data-table">
            <tbody>
              {QUERY_FIELDS.map((f) => (
                <tr key={f.name}>
                  <td className="mono">{f.kind === 'match' ? `${f.name}:` : `${f.name}> <`}</td>
                  <td>{f.help}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3 className="sub-title">Examples (click to use)</h3>
          <ul className="query-examples">
            {QUERY_EXAMPLES.map((x) => (
              <li key={x.query}>
                <button
                  type="button"
                  className="link mono"
                  onClick={() => {
                    onInput(x.query);
                    onApply(x.query);
                    setHelp(false);
                  }}
                >
                  {x.query}
                </button>{' '}
                <span className="muted">{x.means}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
