import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../logger';
import type { DeadLetter, DeadLetterSink } from '../../pipeline/ports';

/** Local mode's dead-letter queue: one JSON line per entry in a file, and a log line. */
export class FileDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  async send(entry: DeadLetter): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${JSON.stringify(entry)}\n`);
    this.logger.error('dead-lettered', { ...entry, deadLetterFile: this.path });
  }
}
