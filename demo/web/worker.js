// worker.js: runs libgolf (golf-web.js + golf-web.wasm) in a Web Worker so that the page stays responsive. Messages
// in: {type: 'load', url} or {type: 'load', buffer, name}; {type: 'generate', prompt, maxTokens, temperature, seed}.
// Messages out: 'loaded' (load time), 'token' (one per generated token, with the whole characters it completes),
// 'done' (time to first token, tokens/s), 'error'.
importScripts('golf-web.js');
const modulePromise = createGolf();
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let M = null;
let model = 0, session = 0, modelBuffer = 0;

function lastError() { return M.UTF8ToString(M._golf_last_error()); }

function freeModel() {
  if (session) M._golf_session_free(session);
  if (model) M._golf_model_free(model);
  if (modelBuffer) M._free(modelBuffer);
  session = model = modelBuffer = 0;
}

async function load(msg) {
  const fetchStart = performance.now();
  const bytes = new Uint8Array(msg.url ? await (await fetch(msg.url)).arrayBuffer() : msg.buffer);
  const loadStart = performance.now();
  freeModel();
  // The model reads this buffer in place for its whole life; 64-byte alignment lets raw tensors stay where they are.
  modelBuffer = M._malloc(bytes.length + 64);
  const at = (modelBuffer + 63) & ~63;
  M.HEAPU8.set(bytes, at);  // M.HEAPU8 read after malloc: the heap may have grown
  model = M._golf_web_load(at, bytes.length);
  if (!model) throw new Error('cannot load ' + (msg.url || msg.name) + ': ' + lastError());
  session = M._golf_web_session_new(model);
  if (!session) throw new Error(lastError());
  postMessage({type: 'loaded', name: msg.url || msg.name, bytes: bytes.length,
               fetchMs: loadStart - fetchStart, loadMs: performance.now() - loadStart});
}

function generate(msg) {
  if (!session) throw new Error('no model loaded');
  const prompt = encoder.encode(msg.prompt);
  const p = M._malloc(prompt.length + 1);
  M.HEAPU8.set(prompt, p);
  const start = performance.now();
  const status = M._golf_web_begin(session, p, prompt.length, msg.temperature, 40, 0.95, msg.seed, msg.maxTokens);
  M._free(p);
  if (status !== 0) throw new Error(lastError());
  let firstTokenMs = 0, generateStart = 0, n = 0;
  for (;;) {
    const token = M._golf_web_next(session);
    if (token === -2) throw new Error(lastError());
    const ptr = M._golf_web_text(), len = M._golf_web_text_len();
    const text = decoder.decode(M.HEAPU8.slice(ptr, ptr + len));  // whole UTF-8 characters only
    if (token === -1) {
      if (text) postMessage({type: 'token', token, text});
      break;
    }
    if (n++ === 0) { firstTokenMs = performance.now() - start; generateStart = performance.now(); }
    postMessage({type: 'token', token, text});
  }
  const seconds = (performance.now() - generateStart) / 1000;
  // tokens/s of the steps after the first (the first includes reading the prompt)
  postMessage({type: 'done', tokens: n, firstTokenMs, tokensPerSecond: n > 1 ? (n - 1) / seconds : 0});
}

onmessage = async (e) => {
  try {
    M = M || await modulePromise;
    if (e.data.type === 'load') await load(e.data);
    else if (e.data.type === 'generate') generate(e.data);
  } catch (err) {
    postMessage({type: 'error', message: String(err && err.message || err)});
  }
};
