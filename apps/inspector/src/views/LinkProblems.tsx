import type { LinkProblem } from '../model/link-state.ts';

/** Parts of the link that opened this page that were not understood, each with why; dismissible. */
export function LinkProblems({ problems, onDismiss }: { problems: readonly LinkProblem[]; onDismiss(): void }) {
  if (problems.length === 0) return null;
  return (
    <div className="banner banner-warn link-problems" role="status" data-testid="link-problems">
      <strong>Part of this link was not understood</strong> (the rest is applied):
      <ul>
        {problems.map((p, i) => (
          <li key={i}>
            <code>{p.param}</code>: {p.reason}
          </li>
        ))}
      </ul>
      <button type="button" className="chip-x banner-x" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
