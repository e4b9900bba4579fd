// Viridian Manager: the graphical console (a VM's screen on a canvas, its keyboard and mouse) and the VM list's
// thumbnails. Kept apart from app.js; app.js calls openScreen, closeScreen and screenThumbnail.
'use strict';

const screenState = { socket: null, queue: Promise.resolve(), pending: null, thumbs: null };

// The screen socket's frames: six big-endian u16 (screen width, height, region x, y, width, height), then a PNG.
function drawScreenFrame(canvas, data) {
  const v = new DataView(data);
  const [sw, sh, x, y] = [v.getUint16(0), v.getUint16(2), v.getUint16(4), v.getUint16(6)];
  const png = new Blob([new Uint8Array(data, 12)], { type: 'image/png' });
  // Regions decode in parallel but are drawn in the order they came, so a later change is never painted over.
  const bitmap = createImageBitmap(png);
  screenState.queue = screenState.queue.then(async () => {
    const image = await bitmap;
    if (canvas.width !== sw || canvas.height !== sh) { canvas.width = sw; canvas.height = sh; }
    canvas.getContext('2d').drawImage(image, x, y);
    image.close();
    window.viridianScreen.frames++;
    canvas.dataset.frames = window.viridianScreen.frames;
  }).catch(() => {});
}

function screenCard(vm) {
  return h('div', { class: 'card', id: 'screen-card' },
    h('h2', {}, t('screen.title')),
    h('p', { id: 'screen-status', class: 'muted' }, t('screen.hint')),
    h('canvas', { id: 'screen', tabindex: 0, width: 640, height: 400 }),
    h('div', { class: 'actions' },
      h('button', { type: 'button', id: 'screen-cad', onclick: () => sendScreenInput({ type: 'ctrl-alt-del' }) }, t('screen.ctrlAltDel')),
      h('a', { id: 'screen-download', href: withToken(API + '/vms/' + vm.id + '/screenshot'), download: vm.name + '.png' }, t('screen.download'))));
}

function sendScreenInput(message) {
  const s = screenState.socket;
  if (s && s.readyState === WebSocket.OPEN) s.send(JSON.stringify(message));
}

function closeScreen() {
  if (screenState.socket) { screenState.socket.onclose = null; screenState.socket.close(); screenState.socket = null; }
}

function openScreen(vm) {
  closeScreen();
  const canvas = document.getElementById('screen');
  if (!canvas) return;
  window.viridianScreen = { canvas, frames: 0, refused: 0 }; // for tests and the curious
  const status = document.getElementById('screen-status');
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(withToken(proto + '//' + location.host + API + '/vms/' + vm.id + '/screen/ws'));
  socket.binaryType = 'arraybuffer';
  socket.onmessage = m => {
    if (typeof m.data !== 'string') { status.textContent = t('screen.hint'); return drawScreenFrame(canvas, m.data); }
    const msg = JSON.parse(m.data);
    if (msg.type === 'no-display') status.textContent = t('screen.noDisplay');
    if (msg.type === 'refused') canvas.dataset.refused = ++window.viridianScreen.refused;
  };
  screenState.socket = socket;

  // Keys by their place on the keyboard (KeyboardEvent.code): the service maps them to scancodes and refuses others.
  const key = down => e => { e.preventDefault(); sendScreenInput({ type: 'key', code: e.code, down }); };
  canvas.addEventListener('keydown', key(true));
  canvas.addEventListener('keyup', key(false));
  // The pointer in the screen's pixels; moves are sent once per animation frame at most, clicks and the wheel at once.
  const at = e => ({
    x: Math.min(canvas.width - 1, Math.max(0, Math.floor(e.offsetX * canvas.width / canvas.clientWidth))),
    y: Math.min(canvas.height - 1, Math.max(0, Math.floor(e.offsetY * canvas.height / canvas.clientHeight))),
  });
  const pointer = (e, wheel) => Object.assign({ type: 'pointer', buttons: e.buttons & 7, wheel }, at(e));
  canvas.addEventListener('mousemove', e => {
    const first = !screenState.pending;
    screenState.pending = pointer(e, 0);
    if (first) requestAnimationFrame(() => { sendScreenInput(screenState.pending); screenState.pending = null; });
  });
  for (const type of ['mousedown', 'mouseup']) canvas.addEventListener(type, e => {
    if (type === 'mousedown') canvas.focus();
    e.preventDefault();
    sendScreenInput(pointer(e, 0));
  });
  canvas.addEventListener('wheel', e => { e.preventDefault(); sendScreenInput(pointer(e, e.deltaY < 0 ? 1 : -1)); }, { passive: false });
  canvas.addEventListener('contextmenu', e => e.preventDefault());
}

// ---- thumbnails in the VM list: a running VM's screen, looked at again every 5 s while the list shows ------------
const THUMB_EVERY_MS = 5000;

function screenThumbnail(vm) {
  if (vm.state !== 'running' && vm.state !== 'paused') return h('span', { class: 'vm-thumb-none' });
  const img = h('img', { class: 'vm-thumb', 'data-vm': vm.id, alt: t('list.screenOf', { name: vm.name }),
    src: withToken(API + '/vms/' + vm.id + '/thumbnail?width=160&t=' + Date.now()) });
  img.onerror = () => { img.hidden = true; }; // no display yet
  img.onload = () => { img.hidden = false; };
  if (!screenState.thumbs) {
    screenState.thumbs = setInterval(() => {
      for (const i of document.querySelectorAll('img.vm-thumb'))
        i.src = withToken(API + '/vms/' + i.dataset.vm + '/thumbnail?width=160&t=' + Date.now());
    }, THUMB_EVERY_MS);
  }
  return img;
}
