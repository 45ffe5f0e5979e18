import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SettledEventSink } from '../../pipeline/ports';
import { SETTLED_EVENT, type SettledDetail } from '../../pipeline/settlement';

/** Local mode's event bus: one JSON line per `ProductImagesSettled` event, shaped as EventBridge delivers it. */
export class FileSettledSink implements SettledEventSink {
  constructor(private readonly path: string) {}

  async publish(detail: SettledDetail): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const event = {
      source: SETTLED_EVENT.source,
      'detail-type': SETTLED_EVENT.detailType,
      time: new Date().toISOString(),
      detail,
    };
    await appendFile(this.path, `${JSON.stringify(event)}\n`);
  }
}
