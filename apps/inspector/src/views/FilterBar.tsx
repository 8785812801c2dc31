import { parseQuery } from '@kvtrace/trace';
import { useEffect, useEffectEvent, useState, type RefObject } from 'react';
import type { AnalysisSnapshot } from '../model/analysis.ts';
import { formatRelSeconds } from '../model/format.ts';
import type { Filters } from '../model/view-state.ts';
import { filtersActive } from '../model/view-state.ts';
import { compactMethodName, methodHue } from './methods.ts';
import { QueryInput } from './QueryInput.tsx';

interface Props {
  methods: readonly string[];
  /** Server names when several traces are open (completion of `server:`); empty for one. */
  servers?: readonly string[];
  analysis: AnalysisSnapshot;
  total: number;
  onChange(patch: Partial<Filters>): void;
  onClear(): void;
  /** The query box (the `/` shortcut focuses it). */
  inputRef: RefObject<HTMLInputElement | null>;
}

/** A query is sent to the analyzer only once it parses; until then its error is shown where it is. */
const parses = (text: string): boolean => {
  try {
    parseQuery(text);
    return true;
  } catch {
    return false;
  }
};

const TEXT_DEBOUNCE_MS = 180;

/**
 * Method toggles, the argument query, the time window and the followed key, with what they
 * select. Every change goes to the worker's index; the table then shows only the answer.
 */
export function FilterBar({ methods, servers = [], analysis, total, onChange, onClear, inputRef }: Props) {
  const f = analysis.filters;
  // What is typed. A query applied from elsewhere (a link, a brush, Clear) replaces it, adjusted
  // while rendering (React's pattern for state that follows a prop), not copied in by an effect.
  const [text, setText] = useState(f.text);
  const [applied, setApplied] = useState(f.text);
  // The query this bar sent, until it comes back as the applied one: that echo must not replace
  // what was typed since (a busy machine re-rendered it after the box was already cleared).
  const [sent, setSent] = useState<string | null>(null);
  if (f.text !== applied) {
    setApplied(f.text);
    if (f.text !== sent) setText(f.text);
    setSent(null);
  }
  const send = (t: string) => {
    setSent(t);
    onChange({ text: t });
  };
  const apply = useEffectEvent(send);
  useEffect(() => {
    if (text === f.text || !parses(text)) return;
    const t = setTimeout(() => apply(text), TEXT_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [text, f.text]);

  const on = (m: number) => f.methods === null || f.methods.includes(m);
  const toggle = (m: number, solo: boolean) => {
    const all = methods.map((_, i) => i);
    let next: number[];
    if (solo) next = f.methods !== null && f.methods.length === 1 && f.methods[0] === m ? all : [m];
    else next = on(m) ? all.filter((i) => on(i) && i !== m) : [...all.filter(on), m].sort((a, b) => a - b);
    onChange({ methods: next.length === all.length ? null : next });
  };

  const active = filtersActive(f);
  // Null while active means the query has not answered, or failed: never claim "N of N" then.
  const shown = analysis.rows === null ? null : analysis.rows.length;
  const idx = analysis.index;
  return (
    <div className="filter-bar" role="search" aria-label="Filters" data-testid="filter-bar">
      <div className="method-toggles" role="group" aria-label="Methods">
        {methods.map((q, m) => (
          <button
            key={q}
            type="button"
            className={`method-toggle${on(m) ? ' is-on' : ''}`}
            aria-pressed={on(m)}
            style={{ ['--hue' as string]: methodHue(q) }}
            title={`${q}\nclick: show/hide · alt-click: only this one`}
            onClick={(e) => toggle(m, e.altKey)}
            onDoubleClick={() => toggle(m, true)}
          >
            {compactMethodName(q)}
          </button>
        ))}
      </div>
      <QueryInput
        value={text}
        onInput={setText}
        onApply={(t) => {
          if (parses(t)) send(t);
        }}
        methods={methods}
        servers={servers}
        remoteError={analysis.error}
        inputRef={inputRef}
      />
      {(f.t0 !== null || f.t1 !== null) && (
        <span className="filter-chip" data-testid="window-chip">
          {f.t0 !== null ? formatRelSeconds(f.t0) : '…'} – {f.t1 !== null ? formatRelSeconds(f.t1) : '…'} s
          <button type="button" className="chip-x" aria-label="Clear the time window" onClick={() => onChange({ t0: null, t1: null })}>
            ×
          </button>
        </span>
      )}
      {f.keyId !== null && (
        <span className="filter-chip" data-testid="key-chip" title="Only calls touching this key">
          key {analysis.key ? `#${analysis.key.info.hashHex.slice(0, 12)}${analysis.key.server ? ` on ${analysis.key.server}` : ''}` : f.keyId}
          <button type="button" className="chip-x" aria-label="Stop following the key" onClick={() => onChange({ keyId: null })}>
            ×
          </button>
        </span>
      )}
      <span className="filter-count" data-testid="filter-count" aria-live="polite">
        {active ? (
          <>
            {shown === null ? (
              <strong>{analysis.pending ? '…' : '?'}</strong>
            ) : (
              <strong>{shown.toLocaleString('en-US')}</strong>
            )}{' '}
            of {total.toLocaleString('en-US')} calls
            {shown === null && !analysis.pending && <span className="muted"> · filter failed</span>}
            {analysis.pending ? <span className="muted"> · filtering…</span> : analysis.lastQueryMs !== null && <span className="muted"> · {analysis.lastQueryMs.toFixed(0)} ms</span>}
          </>
        ) : (
          <>{total.toLocaleString('en-US')} calls</>
        )}
        {!parses(text) && <span className="badge badge-warn">query not applied</span>}
        {idx && !idx.done && idx.secondPass && (
          <span className="badge badge-info" data-testid="indexing" title="Filters, lifecycles and statistics cover the calls indexed so far">
            indexing… {idx.total ? `${Math.floor((idx.calls / idx.total) * 100)}%` : idx.calls.toLocaleString('en-US')}
          </span>
        )}
        {idx?.error && <span className="badge badge-err" title={idx.error}>index incomplete</span>}
      </span>
      {active && (
        <button type="button" className="btn btn-small" aria-label="Clear filters" title="Clear every filter: methods, query, time window and key" onClick={onClear}>
          Clear
        </button>
      )}
      {analysis.error && !/\(column \d+\)$/.test(analysis.error) && (
        <span className="badge badge-err" title={analysis.error}>
          {analysis.error.slice(0, 60)}
        </span>
      )}
    </div>
  );
}
