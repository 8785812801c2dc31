import { shortMethodName } from '@kvtrace/trace';
import { useEffect, useEffectEvent, useRef, type CSSProperties, type KeyboardEvent } from 'react';
import type { ArgsCache } from '../model/args-cache.ts';
import type { CallSpanCache } from '../model/call-spans.ts';
import { formatRelSeconds, formatWall } from '../model/format.ts';
import type { RecordStore } from '../model/record-store.ts';
import { scrollTopFor, slotCount, slotShift, type ScrollGeometry } from '../model/scroll-map.ts';
import { methodHue } from './methods.ts';
import { serverHue } from './servers.ts';
import { spanCell, spanTitle } from './span-text.ts';
import { useExternal } from './use-external.ts';
import { useRowWindow } from './use-row-window.ts';

export const ROW_HEIGHT = 22;
/** Well under Firefox's ~17.9M px and Chromium's ~33.5M px element height limits. */
const MAX_SCROLL_PX = 8_000_000;
/** Rows rendered beyond each edge of the viewport, so a short scroll never shows a gap. */
const OVERSCAN = 8;

interface Props {
  store: RecordStore;
  /** Calls shown, ascending (a filter's answer); null shows every call in the store. */
  rows: Uint32Array | null;
  count: number;
  /** Session version: the store mutates in place, this tells React it did. */
  version: number;
  args: ArgsCache;
  /** Each shown call's request span, for the duration column (asked for the rows on screen). */
  spans: CallSpanCache;
  /**
   * The selected call index (not a position): it is the keyboard cursor, and it is scrolled into
   * view when it changes. A filter changes positions under it; the cursor stays on the call (or the
   * nearest shown one when the filter hides it).
   */
  selected: number | null;
  onSelect(call: number): void;
  emptyText: string;
}

/** Position of a call among the shown rows, or -1 (binary search: rows are ascending). */
export function positionOf(rows: Uint32Array | null, count: number, call: number): number {
  if (rows === null) return call >= 0 && call < count ? call : -1;
  let lo = 0, hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]! < call) lo = mid + 1;
    else hi = mid;
  }
  return lo < rows.length && rows[lo] === call ? lo : -1;
}

/**
 * The shown position nearest to a call (a call a filter hid: the cursor lands next to where it was),
 * or -1 when nothing is shown. Ties go to the earlier call.
 */
export function nearestPositionOf(rows: Uint32Array | null, count: number, call: number): number {
  if (count <= 0) return -1;
  if (rows === null) return Math.max(0, Math.min(count - 1, call));
  if (rows.length === 0) return -1;
  let lo = 0, hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]! < call) lo = mid + 1;
    else hi = mid;
  }
  if (lo === rows.length) return lo - 1;
  if (lo === 0 || rows[lo] === call) return lo;
  return call - rows[lo - 1]! <= rows[lo]! - call ? lo - 1 : lo;
}

/**
 * The call table: an ARIA grid over the columnar store, virtualized (useRowWindow: rows of one
 * height, only those in view rendered) over at most MAX_SCROLL_PX of real pixels; past that the
 * scroll map (model/scroll-map.ts) shifts which records the rendered slots show, so all of a
 * 10M-call trace is reachable by scrolling. Several traces open as one add a server column; the
 * duration column is each call's request span, asked of the worker for the rows on screen.
 */
export function CallTable({ store, rows, count, args, spans, selected, onSelect, emptyText }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  useExternal(args);
  useExternal(spans);
  const servers = store.severalServers;
  const columns = servers ? 8 : 7;

  const slots = slotCount({ count, rowHeight: ROW_HEIGHT, maxPx: MAX_SCROLL_PX, viewport: 1 });
  // Past the height cap the rows move with the scroll map at every pixel; under it only the window does.
  const win = useRowWindow(scrollRef, count === 0 ? 0 : slots, ROW_HEIGHT, OVERSCAN, slots < count);
  const viewport = win.viewport;
  const geom: ScrollGeometry = { count, rowHeight: ROW_HEIGHT, maxPx: MAX_SCROLL_PX, viewport };
  const { shift, delta } = slotShift(geom, win.scrollTop);
  const slotsShown: number[] = [];
  for (let k = win.first; k < win.end; k++) slotsShown.push(k);
  const callAt = (pos: number): number => (rows === null ? pos : rows[pos]!);
  // The cursor is the selection (issue 13, defect 5: the details follow the arrow keys).
  const active = nearestPositionOf(rows, count, selected ?? 0);
  const visible: number[] = [];
  for (const slot of slotsShown) {
    const pos = slot + shift;
    if (pos >= 0 && pos < count) visible.push(callAt(pos));
  }

  useEffect(() => {
    const want = [...visible];
    if (selected !== null) want.push(selected);
    args.request(want);
    spans.request(visible);
  });

  const reveal = (index: number) => {
    const el = scrollRef.current;
    if (!el) return;
    const top = scrollTopFor({ ...geom, viewport: el.clientHeight }, el.scrollTop, index);
    if (top !== null) el.scrollTop = top;
  };

  // A selection made elsewhere (a flag, the timeline, a link) is brought into view: when it, or the
  // rows under it, change; not when the trace grows (a live table may be scrolled away from it).
  const selectedPos = selected === null ? -1 : positionOf(rows, count, selected);
  const revealSelected = useEffectEvent((pos: number) => reveal(pos));
  useEffect(() => {
    if (selectedPos >= 0) revealSelected(selectedPos);
  }, [selectedPos, rows]);

  // Enter stays as a no-op re-select for those used to it.
  const move = (index: number) => {
    const next = Math.max(0, Math.min(count - 1, index));
    reveal(next);
    onSelect(callAt(next));
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (count === 0) return;
    const page = Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1);
    switch (e.key) {
      case 'ArrowDown':
        move(active + 1);
        break;
      case 'ArrowUp':
        move(active - 1);
        break;
      case 'PageDown':
        move(active + page);
        break;
      case 'PageUp':
        move(active - page);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(count - 1);
        break;
      case 'Enter':
      case ' ':
        if (active >= 0) onSelect(callAt(active));
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  return (
    <div
      className={`grid${servers ? ' has-server' : ''}`}
      role="grid"
      aria-label="Calls"
      aria-rowcount={count + 1}
      aria-colcount={columns}
      // Only while the active row is rendered: an id that is not in the DOM is an ARIA error (screen
      // readers lose focus), and mouse scrolling takes the active row out of the virtual window.
      aria-activedescendant={active >= 0 && active < count && visible.includes(callAt(active)) ? `call-row-${callAt(active)}` : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
    >
      <div role="rowgroup" className="grid-head">
        <div role="row" aria-rowindex={1} className="grid-row grid-head-row">
          <div role="columnheader" className="c-idx">#</div>
          {servers && (
            <div role="columnheader" className="c-server" title="The trace (server) of the call">
              server
            </div>
          )}
          <div role="columnheader" className="c-time" title={servers ? 'Seconds since the earliest trace started, every server on one wall clock (hover a row for wall time)' : 'Seconds since the recording started (hover a row for wall time)'}>
            time (s)
          </div>
          <div role="columnheader" className="c-method">method</div>
          <div role="columnheader" className="c-keys">keys</div>
          <div role="columnheader" className="c-dur" title="Duration of the request span the call belongs to (hover for the request and its phases)">
            duration
          </div>
          <div role="columnheader" className="c-args">arguments</div>
        </div>
      </div>
      <div role="rowgroup" className="grid-body" ref={scrollRef}>
        {count === 0 ? (
          <div className="grid-empty">{emptyText}</div>
        ) : (
          <div className="grid-sizer" style={{ height: slots * ROW_HEIGHT }}>
            {slotsShown.map((slot) => {
              const pos = slot + shift;
              if (pos < 0 || pos >= count) return null;
              const index = callAt(pos);
              const q = store.qualname(index);
              const entry = args.get(index);
              const span = spans.get(index);
              const style: CSSProperties & Record<'--hue', number> = { transform: `translateY(${slot * ROW_HEIGHT + delta}px)`, '--hue': methodHue(q) };
              const cls = `grid-row${index === selected ? ' is-selected' : ''}${pos === active ? ' is-active' : ''}${pos % 2 ? ' is-odd' : ''}`;
              return (
                <div
                  key={slot}
                  id={`call-row-${index}`}
                  role="row"
                  aria-rowindex={pos + 2}
                  data-call={index}
                  aria-selected={index === selected}
                  className={cls}
                  style={style}
                  onClick={() => onSelect(index)}
                >
                  <div role="gridcell" className="c-idx">
                    {index}
                  </div>
                  {servers && (
                    <div role="gridcell" className="c-server" title={store.serverOf(index)}>
                      <span className="server-chip" style={{ ['--hue' as string]: serverHue(store.traceOf(index)) }}>
                        {store.serverOf(index)}
                      </span>
                    </div>
                  )}
                  <div role="gridcell" className="c-time" title={entry?.tWall === undefined ? undefined : formatWall(entry.tWall)}>
                    {formatRelSeconds(store.tMono[index] ?? 0)}
                  </div>
                  <div role="gridcell" className="c-method" title={q}>
                    <span className="method-chip">{shortMethodName(q)}</span>
                  </div>
                  <div role="gridcell" className="c-keys">
                    {entry === undefined ? '' : entry.ok ? (entry.keyCount ?? '–') : '!'}
                  </div>
                  <div role="gridcell" className="c-dur" title={spanTitle(span)} data-span={span?.span}>
                    {spanCell(span)}
                  </div>
                  <div role="gridcell" className="c-args">
                    {entry === undefined ? (
                      <span className="muted">…</span>
                    ) : entry.ok ? (
                      <>
                        {entry.unknownTags > 0 && <span className="badge badge-warn">unknown tag</span>}
                        {entry.summary}
                      </>
                    ) : (
                      <span className="badge badge-err" title={entry.error}>
                        unreadable: {entry.error}
                      </span>
                    )}
                  </div>
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
