// ESLint rule that enforces the process boundaries of the architecture
// (docs/architecture.md, "Layers"). A file's layer is read from its path; every
// import is resolved against the file and checked against the layer's allow-list.
// This is the equivalent of VS Code's `code-layering` rule: a newcomer can tell
// from a path alone what a file may touch, and the linter refuses the rest.
import path from 'node:path';
import { builtinModules } from 'node:module';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

/** Ordered most specific first: the first prefix that matches names the layer. */
const LAYERS = [
  { name: 'shared/api', prefix: 'shared/api/' },
  { name: 'shared', prefix: 'shared/' },
  { name: 'main/electron', prefix: 'main/electron/' },
  { name: 'main/engine', prefix: 'main/engine/' },
  { name: 'main', prefix: 'main/' },
  { name: 'renderer', prefix: 'renderer/' },
  { name: 'relay', prefix: 'relay/' },
];

/** Which project folders each layer may import from (by path prefix). */
const ALLOWED_TARGETS = {
  'shared/api': ['shared/'],
  shared: ['shared/'],
  'main/electron': ['main/', 'shared/', 'resources/'],
  'main/engine': ['main/engine/', 'shared/'],
  main: ['main/', 'shared/', 'relay/', 'renderer/', 'resources/'],
  renderer: ['renderer/', 'shared/api/'],
  relay: ['relay/', 'shared/'],
};

/** Layers that must stay free of Node built-ins (they run in a browser too, or are pure). */
const NO_NODE_BUILTINS = new Set(['shared', 'shared/api', 'renderer']);

const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function layerOf(relativeFile) {
  const posix = relativeFile.split(path.sep).join('/');
  return LAYERS.find((l) => posix.startsWith(l.prefix))?.name;
}

export const processBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce process boundaries between shared, main, renderer and relay.' },
    schema: [],
    messages: {
      electron:
        "Only main/electron/ may import 'electron' (the engine and the rest must run under plain Node).",
      crossLayer:
        "'{{layer}}' may not import from '{{target}}'. Move the shared part to shared/ (see docs/architecture.md).",
      nodeBuiltin:
        "'{{layer}}' must stay free of Node built-ins ('{{source}}'): it also runs in the browser or must stay pure.",
    },
  },
  create(context) {
    const filename = context.physicalFilename ?? context.filename;
    const relativeFile = path.relative(repoRoot, filename);
    const layer = layerOf(relativeFile);
    if (!layer) return {};

    function check(node, source) {
      if (typeof source !== 'string') return;
      if (source === 'electron' || source.startsWith('electron/')) {
        if (layer !== 'main/electron') context.report({ node, messageId: 'electron' });
        return;
      }
      if (nodeBuiltins.has(source) || nodeBuiltins.has(source.split('/')[0])) {
        if (NO_NODE_BUILTINS.has(layer)) {
          context.report({ node, messageId: 'nodeBuiltin', data: { layer, source } });
        }
        return;
      }
      if (!source.startsWith('.') && !source.startsWith('/')) return; // an npm package
      const resolved = path.resolve(path.dirname(filename), source);
      const target = path.relative(repoRoot, resolved).split(path.sep).join('/');
      const allowed = ALLOWED_TARGETS[layer];
      if (!allowed.some((prefix) => `${target}/`.startsWith(prefix) || target.startsWith(prefix))) {
        context.report({ node, messageId: 'crossLayer', data: { layer, target } });
      }
    }

    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
      CallExpression: (node) => {
        if (
          node.callee.type === 'Identifier' &&
          node.callee.name === 'require' &&
          node.arguments[0]?.type === 'Literal'
        ) {
          check(node, node.arguments[0].value);
        }
      },
    };
  },
};

export default { rules: { 'process-boundaries': processBoundaries } };
