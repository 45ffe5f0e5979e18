import { reportPrerequisites } from './prerequisites';

// `npm test` runs this first: a missing Java runtime is told in one paragraph, not in a stack trace.
if (!reportPrerequisites(process.argv[2] ?? 'this command')) process.exitCode = 1;
