// Runs @doyensec/electronegativity on a folder and prints its findings as one
// JSON object on stdout. Electronegativity fetches translations and Electron
// release lists from the internet; the app's machines reach no outside host, so
// its HTTP client is replaced by one that fails at once (it then uses its
// built-in English texts), and the release check is left out.
import Module from 'node:module';

const [input, electronVersion] = process.argv.slice(2);
const originalLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  if (request === 'got') {
    const refuse = () => Promise.reject(new Error('no network for electronegativity'));
    return Object.assign(refuse, { default: refuse, get: refuse });
  }
  return originalLoad.call(this, request, parent, isMain);
};

const require = Module.createRequire(import.meta.url);
const run = require('@doyensec/electronegativity');
const silent = console.log;
console.log = () => undefined;
try {
  const result = await run({
    input,
    output: undefined,
    isSarif: false,
    customScan: [],
    excludeFromScan: ['AvailableSecurityFixesGlobalCheck'],
    severitySet: undefined,
    confidenceSet: undefined,
    isRelative: true,
    isVerbose: true,
    electronUpgrade: undefined,
    electronVersionOverride: electronVersion,
    parserPlugins: [],
  });
  console.log = silent;
  const issues = result.issues.map((i) => ({
    id: i.id,
    file: i.file,
    line: i.location?.line,
    severity: i.severity?.name,
    confidence: i.confidence?.name,
    manualReview: Boolean(i.manualReview),
    description: i.description,
  }));
  process.stdout.write(
    `${JSON.stringify({ checks: result.atomicChecks + result.globalChecks, errors: result.errors.length, issues })}\n`,
  );
} catch (error) {
  console.log = silent;
  console.error(error);
  process.exit(1);
}
