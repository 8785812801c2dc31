import type { HTMLAttributes, ReactNode } from 'react';

/** One column: its heading and how a row fills its cell. */
export interface Column<R> {
  head: ReactNode;
  /** Tooltip of the heading (what the figure is). */
  title?: string;
  /** A figure: right-aligned, tabular digits. */
  num?: boolean;
  /** Class of the heading and the cells. */
  className?: string;
  /** Class of the cells only. */
  cellClassName?: string;
  cell(row: R): ReactNode;
}

type RowAttributes = HTMLAttributes<HTMLTableRowElement> & { [data: `data-${string}`]: string | number | undefined };

const classOf = (...parts: (string | false | undefined)[]): string | undefined => parts.filter(Boolean).join(' ') || undefined;

/**
 * The panels' small tables (phases, requests, statistics, compare) in one shape: a heading row from
 * the columns, a row per item, `.data-table` styling. `rowProps` gives a row its key attributes
 * (`data-*` for the tests, a tone class, a click); `after` ends the body (a "none" row).
 */
export function DataTable<R>({
  columns,
  rows,
  rowKey,
  rowProps,
  className,
  testId,
  after,
}: {
  columns: readonly Column<R>[];
  rows: readonly R[];
  rowKey(row: R): string | number;
  rowProps?(row: R): RowAttributes;
  className?: string;
  testId?: string;
  after?: ReactNode;
}) {
  return (
    <table className={classOf('data-table', className)} data-testid={testId}>
      <thead>
        <tr>
          {columns.map((c, i) => (
            <th key={i} className={classOf(c.num && 'num', c.className)} title={c.title}>
              {c.head}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={rowKey(r)} {...rowProps?.(r)}>
            {columns.map((c, i) => (
              <td key={i} className={classOf(c.num && 'num', c.className, c.cellClassName)}>
                {c.cell(r)}
              </td>
            ))}
          </tr>
        ))}
        {after}
      </tbody>
    </table>
  );
}
