import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  children: ReactNode;
  /** A new load clears a previous render failure. */
  resetKey: number;
  /** Lets the root report `data-state="failed"` for a render failure too. */
  onError(error: Error): void;
}
interface State {
  error: Error | null;
  key: number;
}

/**
 * The one error boundary: a view that throws (a bug, or data no check anticipated) becomes the
 * failed state with its message on the page, never a blank page or a console-only error.
 */
export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null, key: this.props.resetKey };

  static getDerivedStateFromError(error: Error): Partial<State> {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }

  componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('inspector view failed', error, info.componentStack);
    this.props.onError(error);
  }

  render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="failed-page" data-failure="render">
        <div className="failed-card">
          <h1>The inspector could not show this trace</h1>
          <p>A view failed while rendering. The file itself may be fine; this is a bug in the inspector.</p>
          <pre className="failed-message">{error.message}</pre>
        </div>
      </div>
    );
  }
}
