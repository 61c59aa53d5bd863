// Monaco JSON language worker (variables / headers / response editors).
import 'monaco-editor/esm/vs/language/json/json.worker.js';
