import type { ConfigValue } from '../format/config-json.ts';
import type { CallEvent } from '../model.ts';
import { EventBus } from '../publish/bus.ts';
import { TraceGate, type Tracer } from '../publish/traced.ts';
import { FileSink, type FileSinkOptions } from './file-sink.ts';
import { Recorder, type RecorderOptions } from './recorder.ts';

export interface TracingSession extends Tracer {
  recorder: Recorder;
  bus: EventBus<CallEvent>;
  /** The trace's (first segment's) path. */
  path: string;
  /** The file the frames go to: its segments and the committed bytes of the current one. */
  sink: FileSink;
  close(): void;
}

export interface SetupOptions extends Omit<RecorderOptions, 'gate'> {
  path: string;
  config?: ConfigValue;
  gate?: TraceGate;
  queueSize?: number;
  /** Test hook: the file sink's write call. */
  sinkOptions?: FileSinkOptions;
}

/**
 * Creates the file, the recorder and the bus, attaches the config (which writes the header),
 * subscribes and turns the gate on. On any failure the gate is left off and no file is left
 * behind (the sink publishes a file only once its header landed; LMCache left an empty one).
 */
export function setupTracing(options: SetupOptions): TracingSession {
  const gate = options.gate ?? new TraceGate();
  const bus = new EventBus<CallEvent>({ capacity: options.queueSize });
  let sink: FileSink | null = null;
  try {
    sink = new FileSink(options.path, options.sinkOptions);
    const rec = new Recorder(sink, { ...options, gate });
    if (options.config !== undefined) rec.attachConfig(options.config);
    rec.subscribe(bus);
    gate.enabled = true;
    return {
      gate,
      bus,
      recorder: rec,
      path: options.path,
      sink,
      publish: (e: CallEvent) => bus.publish(e),
      close: () => rec.close(),
    };
  } catch (e) {
    gate.enabled = false;
    try {
      // The sink, not the recorder: closing the recorder would try the header again.
      sink?.close();
    } catch {
      /* the original error is the one to report */
    }
    throw e;
  }
}
