// Monaco's generic editor worker (diffing, word ranges, ...).
import 'monaco-editor/esm/vs/editor/editor.worker.js';
