export { EXIT, stderrLog, usageFailure, stopOnSignals, isTypedError, classifyError, runMain } from './shell';
