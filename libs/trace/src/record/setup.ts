import type { ConfigValue } from '../format/config-json.ts';
import type { CallEvent } from '../model.ts';
import { EventBus } from '../publish/bus.ts';
import { TraceGate, type Tracer } from '../publish/traced.ts';
import { FileSink } from './file-sink.ts';
import { Recorder, type RecorderOptions } from './recorder.ts';

export interface TracingSession extends Tracer {
  recorder: Recorder;
  bus: EventBus<CallEvent>;
  path: string;
  close(): void;
}

export interface SetupOptions extends Omit<RecorderOptions, 'gate'> {
  path: string;
  config?: ConfigValue;
  gate?: TraceGate;
  queueSize?: number;
}

/**
 * Creates the file, the recorder and the bus, attaches the config, subscribes and turns the gate
 * on. On any failure the file is closed and the gate is left off (LMCache left both behind).
 */
export function setupTracing(options: SetupOptions): TracingSession {
  const gate = options.gate ?? new TraceGate();
  const bus = new EventBus<CallEvent>({ capacity: options.queueSize });
  let sink: FileSink | null = null;
  let recorder: Recorder | null = null;
  try {
    sink = new FileSink(options.path);
    recorder = new Recorder(sink, { ...options, gate });
    if (options.config !== undefined) recorder.attachConfig(options.config);
    recorder.subscribe(bus);
    gate.enabled = true;
    const rec = recorder;
    return {
      gate,
      bus,
      recorder: rec,
      path: options.path,
      publish: (e: CallEvent) => bus.publish(e),
      close: () => rec.close(),
    };
  } catch (e) {
    gate.enabled = false;
    try {
      if (recorder) recorder.close();
      else sink?.close();
    } catch {
      /* the original error is the one to report */
    }
    throw e;
  }
}
